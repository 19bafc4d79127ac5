"""The forge itself: its data keeps the format-spec §7 identities, its files are well-formed and
carry exactly the forged numbers, and it is deterministic.

The identities are re-computed here from literal key names (not from `tests.forge.keys`), and the
HTML grid is re-expanded with a separate little expander, so a bug in the forge's own tables or
`LTable.grid` cannot hide behind itself.
"""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest
from lxml import html as lxml_html

from tests.forge import INCONSISTENT_VARIANTS, VARIANTS, VARIANTS_BY_NAME, forge, forged_digest
from tests.forge.__main__ import main as forge_cli
from tests.forge.data import EMPTY_SPELLINGS, INCONSISTENCIES, lenient, make_report
from tests.forge.layout import Layout, outline
from tests.forge.render_docx import render_docx
from tests.forge.render_pdf import render_pdf
from tests.forge.render_text import render_text

COLS6 = ("natural_person", "commercial", "research", "public_interest", "legal_service", "other_org")
COLS7 = (*COLS6, "total")
SEEDS = range(60)


def v(cells: dict, key: str) -> int | Decimal:
    return lenient(cells[key])


def t3_leaves(cells: dict) -> list[str]:
    """Outcome leaves by key shape: granted, partial and every child of （三）…（六）."""
    rows = {k.rsplit(".", 1)[0] for k in cells if k.startswith("applications.")}
    leaves = [r for r in rows if r in ("applications.granted", "applications.partial")]
    leaves += [r for r in rows if re.match(r"applications\.(denied|unable|not_processed|other)\.", r)]
    return leaves


# --------------------------------------------------------------------------------------------------
# data


@pytest.mark.parametrize("fv", ["gov2021", "gov2019"])
def test_modern_reports_keep_every_identity(fv: str) -> None:
    for seed in SEEDS:
        c = make_report(seed, format_version=fv).cells
        for col in COLS7:  # T3-BAL
            left = v(c, f"applications.new.{col}") + v(c, f"applications.carried_over.{col}")
            right = v(c, f"applications.total_processed.{col}") + v(c, f"applications.carried_forward.{col}")
            assert left == right, (seed, col)
            # T3-SUM7
            assert v(c, f"applications.total_processed.{col}") == sum(
                v(c, f"{leaf}.{col}") for leaf in t3_leaves(c)
            ), (seed, col)
        for row in {k.rsplit(".", 1)[0] for k in c if k.startswith("applications.")}:  # T3-ROWSUM
            assert v(c, f"{row}.total") == sum(v(c, f"{row}.{col}") for col in COLS6), (seed, row)
        for g in ("review", "litigation.direct", "litigation.after_review"):  # T4-*
            parts = sum(v(c, f"{g}.{p}") for p in ("upheld", "corrected", "other", "pending"))
            assert v(c, f"{g}.total") == parts, (seed, g)
        for k, val in c.items():  # NONNEG, integral counts
            if k.endswith("delta_items") or val is None:
                continue
            assert val >= 0, (seed, k)
            if not k.endswith("amount_wan"):
                assert isinstance(val, int), (seed, k)


def test_table3_has_the_spec_cell_counts() -> None:
    # format-spec §4.2: 25 rows × 7 in 2021, 23 × 7 in 2019; §3: 10 and 22 table-二 cells; §5: 15
    def count(c: dict, prefix: str) -> int:
        return sum(k.startswith(prefix) for k in c)

    c21 = make_report(1, format_version="gov2021", undivided_other=False).cells
    c19 = make_report(1, format_version="gov2019").cells
    assert (count(c21, "applications."), count(c21, "active."), len(c21)) == (175, 10, 200)
    assert (count(c19, "applications."), count(c19, "active."), len(c19)) == (161, 22, 198)
    undivided = make_report(1, format_version="gov2021", undivided_other=True).cells
    assert "applications.other.subtotal.total" in undivided
    assert "applications.other.overdue_fee.total" not in undivided


def test_legacy_reports_keep_the_section_8_3_rules() -> None:
    for seed in SEEDS:
        c = make_report(seed, format_version="legacy_2014").cells
        received = ("in_person", "fax", "online", "letter")
        assert v(c, "legacy.apps.received.total") == sum(v(c, f"legacy.apps.received.{k}") for k in received)
        assert v(c, "legacy.apps.closed.total") == v(c, "legacy.apps.closed.on_time") + v(
            c, "legacy.apps.closed.extended"
        )
        replied = [k for k in c if k.startswith("legacy.apps.replied.") and not k.endswith(".total")]
        assert len(replied) == 8
        assert v(c, "legacy.apps.replied.total") == sum(v(c, k) for k in replied)
        refused = [k for k in c if k.startswith("legacy.apps.refused.")]
        assert v(c, "legacy.apps.replied.refused") >= sum(v(c, k) for k in refused)
        for g in ("review", "litigation", "complaints"):
            parts = sum(v(c, f"legacy.{g}.{p}") for p in ("upheld", "corrected", "other"))
            assert v(c, f"legacy.{g}.total") == parts
        assert v(c, "legacy.org.staff") == v(c, "legacy.org.staff_full") + v(c, "legacy.org.staff_part")
        assert v(c, "legacy.resp.press_conf_principal") <= v(c, "legacy.resp.press_conf")
        assert v(c, "legacy.active.normative_published") <= v(c, "legacy.active.total")


def test_distributions_are_realistic() -> None:
    reports = [make_report(s, format_version="gov2021") for s in range(200)]
    values = [
        x for r in reports for k, x in r.cells.items() if k.startswith("applications.") and x is not None
    ]
    zeros = sum(x == 0 for x in values) / len(values)
    assert 0.6 < zeros < 0.98, zeros  # many zeros, not all
    assert any(x >= 100 for x in values)  # occasional city-sized numbers
    fees = [r.cells["active.fees.amount_wan"] for r in reports]
    assert any(isinstance(f, Decimal) and f != f.to_integral_value() for f in fees)  # real decimals
    assert {r.scope for r in reports} >= {"agency", "government_aggregate"}
    assert any(r.title.startswith(str(r.stat_year)) for r in reports)  # year-first titles
    assert any(r.title.startswith(r.agency) for r in reports)  # agency-first titles
    assert all(r.published_date.year == r.stat_year + 1 for r in reports)


@pytest.mark.parametrize("kind", sorted(INCONSISTENCIES))
def test_inconsistency_knobs_break_exactly_their_rule(kind: str) -> None:
    for seed in range(20):
        good = make_report(seed, format_version="gov2021", blanks="none")
        bad = make_report(seed, format_version="gov2021", inconsistent=kind)
        c = bad.cells
        assert all(x is not None for x in c.values()), "a broken report keeps every number printed"
        bal = [
            v(c, f"applications.new.{col}") + v(c, f"applications.carried_over.{col}")
            != v(c, f"applications.total_processed.{col}") + v(c, f"applications.carried_forward.{col}")
            for col in COLS7
        ]
        t4 = [
            v(c, f"{g}.total") != sum(v(c, f"{g}.{p}") for p in ("upheld", "corrected", "other", "pending"))
            for g in ("review", "litigation.after_review")
        ]
        rowsum = v(c, "applications.granted.total") != sum(v(c, f"applications.granted.{x}") for x in COLS6)
        assert {"t4_totals": all(t4), "t3_balance": any(bal), "t3_rowsum": rowsum}[kind], (seed, kind)
        if kind != "t3_balance":
            assert not any(bal)
        assert good.agency == bad.agency and good.stat_year == bad.stat_year


def test_printed_spellings_map_to_value_and_flag() -> None:
    seen: dict[str, set] = {}
    for seed in range(40):
        d = make_report(seed, format_version="gov2021", blanks="sprinkle")
        for k in d.keys:
            seen.setdefault(d.text(k), set()).add(d.expected(k))
    for spelling, want in EMPTY_SPELLINGS.items():
        assert seen.get(spelling) == {want}, spelling
    assert seen["无"] == {(0, "zero_text")}
    d19 = [make_report(s, format_version="gov2019", profile="city") for s in range(30)]
    amounts = [d.text("active.procurement.amount_wan") for d in d19]
    assert any(a.endswith("万元") for a in amounts) and any(re.fullmatch(r"\d+元", a) for a in amounts)
    for d in d19:
        if d.text("active.procurement.amount_wan").endswith("元"):
            assert d.expected("active.procurement.amount_wan")[1] == "unit_inline"
    deltas = {d.text(k) for d in d19 for k in d.keys if k.endswith("delta_items")}
    assert any(t.startswith("+") for t in deltas) and any(t.startswith("-") for t in deltas)


def test_bad_knobs_raise_with_the_allowed_values() -> None:
    with pytest.raises(ValueError, match="allowed: gov2021, gov2019, legacy_2014"):
        make_report(1, format_version="gov2030")
    with pytest.raises(ValueError, match="allowed: none, org_columns, sprinkle"):
        make_report(1, blanks="some")
    with pytest.raises(ValueError, match="allowed"):
        Layout(t4="diagonal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="t3_repeat_header"):
        Layout(t3_repeat_header=True)
    with pytest.raises(ValueError, match="unknown forge variant"):
        forge(1, "html_nope")


def test_overrides_replace_fields_and_rederive_the_title() -> None:
    d = make_report(3, format_version="gov2021", agency="测试县统计局", stat_year=2022)
    assert d.agency == "测试县统计局" and d.stat_year == 2022
    assert "测试县统计局" in d.title and "2022" in d.title
    assert "2022年1月1日" in d.narrative["preamble"]


# --------------------------------------------------------------------------------------------------
# carriers: the numbers are where a reader expects them


def expand(table) -> list[list[str]]:
    """A second, independent rowspan/colspan expander (HTML table model)."""
    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.xpath("./tbody/tr|./tr")):
        c = 0
        for td in tr.xpath("./td|./th"):
            while (r, c) in grid:
                c += 1
            text = re.sub(r"\s+", "", td.text_content().replace("\xa0", ""))
            for dr in range(int(td.get("rowspan", 1))):
                for dc in range(int(td.get("colspan", 1))):
                    grid[(r + dr, c + dc)] = text
            c += int(td.get("colspan", 1))
    n_rows = max(r for r, _ in grid) + 1
    n_cols = max(c for _, c in grid) + 1
    return [[grid.get((r, c), "") for c in range(n_cols)] for r in range(n_rows)]


def find_table(tables: list[list[list[str]]], anchor: str) -> list[list[str]]:
    return next(t for t in tables if any(anchor in cell for row in t for cell in row))


def t3_expected_rows(d) -> list[list[str]]:
    rows = list(dict.fromkeys(k.rsplit(".", 1)[0] for k in d.keys if k.startswith("applications.")))
    return [[d.text(f"{r}.{c}") for c in COLS7] for r in rows]


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.renderer == "html"], ids=lambda v: v.name)
def test_html_variants_carry_every_number(variant) -> None:
    for seed in (1, 2):
        r = forge(seed, variant)
        charset = "gbk" if "gbk" in variant.options.get("encoding", "") else "utf-8"
        text = r.content.decode(charset)
        if charset == "gbk":
            with pytest.raises(UnicodeDecodeError):
                r.content.decode("utf-8")
        root = lxml_html.fromstring(text)
        tables = [expand(t) for t in root.iter("table")]
        d = r.data
        assert d.title in text
        if d.format_version == "legacy_2014":
            grid = find_table(tables, "统计指标")
            values = [row[-1] for row in grid[1:] if row[-2] != "—"]  # heading rows have unit —
            assert values == [re.sub(r"\s+", "", d.text(k)) for k in d.keys]
            continue
        t3 = find_table(tables, "予以公开")
        if variant.layout.t3_split != "none":  # the continuation is the next table
            t3 = t3 + tables[tables.index(t3) + 1]
        if variant.layout.t3_subtotal_col:  # drop the extra 小计 column before comparing
            t3 = [row[:-2] + row[-1:] for row in t3]
        body = [row[-7:] for row in t3 if row[-1] not in ("总计",) and "申请人情况" not in row[-1]]
        body = [row for row in body if not {"自然人", "商业企业"} & set(row)]
        assert body == t3_expected_rows(d), (seed, variant.name)
        t4_values = [d.text(k) for k in d.keys if k.startswith(("review.", "litigation."))]
        flat4 = [
            x
            for t in tables
            if any("复议后起诉" in c or "行政复议" in c for row in t for c in row)
            for row in t
            for x in row
        ]
        for val in t4_values:
            assert val in flat4


def test_image_variants_print_no_numbers() -> None:
    r = forge(2, "html_tables_as_images")
    root = lxml_html.fromstring(r.content.decode("utf-8"))
    assert len(root.xpath("//img[contains(@src, '/uploads/')]")) == 3  # tables 二, 三 and 四
    assert not [t for t in root.iter("table") if "予以公开" in t.text_content()]
    assert "三、收到和处理政府信息公开申请情况" in r.content.decode("utf-8")
    text = forge(2, "text_tables_as_images").content.decode()
    assert "予以公开" not in text and "二、主动公开政府信息情况" in text


def test_split_table3_keeps_its_merges_consistent() -> None:
    d = make_report(8, format_version="gov2021", undivided_other=False)
    first, second = outline(d, Layout(t3_split="bare")).tables[1:3]
    assert first.n_cols == second.n_cols == 10
    assert first.rows[5][0].text == "三、本年度办理结果" and first.rows[5][0].rowspan == 10  # （一）…（三）8.
    assert second.rows[0][0].text == "" and second.rows[0][0].rowspan == 12  # （四）1. … （七）总计
    with pytest.raises(ValueError, match="pick one"):
        Layout(t3_split="header", t3_repeat_header=True, t3_result="repeated")


@pytest.mark.parametrize("layout", [Layout(), Layout(t4="transposed_split", t2="split", linebreaks=True)])
def test_docx_has_real_merges_and_the_numbers(layout: Layout) -> None:
    import docx

    d = make_report(11, format_version="gov2021", profile="city", blanks="none")
    blob, ctype, name = render_docx(d, layout)
    assert ctype.endswith("wordprocessingml.document") and name.endswith(".docx")
    doc = docx.Document(io.BytesIO(blob))
    expected_tables = outline(d, layout).tables
    assert len(doc.tables) == len(expected_tables)
    t3 = next(t for t in doc.tables if len(t.rows) > 5 and "予以公开" in t.cell(5, 1).text)
    xml = t3._tbl.xml
    assert "w:vMerge" in xml and "w:gridSpan" in xml  # merged the way Word merges
    rows = [[t3.cell(r, c).text for c in range(3, 10)] for r in range(3, len(t3.rows))]
    assert rows == t3_expected_rows(d)


def test_text_seed_shape_matches_the_seed_report() -> None:
    d = make_report(5, format_version="gov2021", blanks="none")
    text = render_text(d, Layout(linebreaks=True), style="seed")[0].decode()
    lines = text.split("\n")
    i = lines.index("\t（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
    # row 2 of table 三: the 3×3 corner continues as ONE empty cell line, then the three labels
    assert lines[i + 1 : i + 8] == ["\t申请人情况", "", "\t", "\t自然人", "\t法人或其他组织", "\t总计", ""]
    assert "\t商业" in lines and "企业" in lines  # a wrapped label continues un-indented
    new_row = lines.index("\t一、本年新收政府信息公开申请数量")
    assert lines[new_row + 1 : new_row + 8] == ["\t" + d.text(f"applications.new.{c}") for c in COLS7]


def test_text_pipe_and_markdown_rows() -> None:
    d = make_report(6, format_version="gov2021", blanks="none")
    pipe = render_text(d, style="pipe")[0].decode()
    row = next(line for line in pipe.split("\n") if line.startswith("一、本年新收"))
    assert row.split(" | ")[3:] == [d.text(f"applications.new.{c}") for c in COLS7]
    md, ctype, name = render_text(d, style="markdown")
    assert ctype.startswith("text/markdown") and name.endswith(".md")
    assert "|---|---|---|---|---|---|---|---|---|---|" in md.decode()


@pytest.mark.parametrize("engine", ["reportlab", "soffice"])
def test_pdf_has_a_text_layer_with_the_numbers(engine: str) -> None:
    import pdfplumber

    d = make_report(21, format_version="gov2021", profile="city", blanks="none")
    blob, ctype, _ = render_pdf(d, engine=engine)
    assert ctype == "application/pdf" and blob.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(blob)) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    flat = re.sub(r"\s+", "", text)
    assert "予以公开" in flat and "结转下年度继续办理" in flat and "行政复议" in flat
    assert d.agency in flat
    words = set(re.findall(r"[\d.]+", text))
    big = {d.text(k) for k in d.keys if d.cells[k] and len(d.text(k)) >= 2}
    assert big <= words, big - words


# --------------------------------------------------------------------------------------------------
# determinism and the sample CLI


@pytest.mark.parametrize(
    "name", ["html_everything", "text_seed", "text_markdown", "docx_default", "pdf_reportlab"]
)
def test_same_seed_same_bytes(name: str) -> None:
    a, b = forge(9, name), forge(9, name)
    assert a.content == b.content and a.url == b.url
    assert forge(10, name).content != a.content


def test_soffice_pdf_is_stable_by_text() -> None:
    import pdfplumber

    texts = []
    for _ in range(2):
        with pdfplumber.open(io.BytesIO(forge(4, "pdf_soffice").content)) as pdf:
            texts.append([p.extract_text() for p in pdf.pages])
    assert texts[0] == texts[1]


def test_forge_does_not_depend_on_the_hash_seed() -> None:
    """Set iteration order changes with PYTHONHASHSEED; the forged bytes must not (found the hard way)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from tests.forge import VARIANTS, forged_digest;"
        "print(forged_digest([(s, v) for v in VARIANTS if v.renderer in ('html', 'text') for s in (0, 1)]))"
    )
    root = Path(__file__).resolve().parents[1]
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(digests) == 1, digests


def test_digest_notices_a_change() -> None:
    pairs = [(s, VARIANTS_BY_NAME[n]) for s in (1, 2) for n in ("html_word_zoom", "text_seed")]
    assert forged_digest(pairs) == forged_digest(pairs)
    assert forged_digest(pairs) != forged_digest(pairs[:-1])


def test_every_variant_forges_and_names_a_gov_url() -> None:
    for variant in VARIANTS + INCONSISTENT_VARIANTS:
        if variant.renderer == "pdf":
            continue
        r = forge(3, variant)
        assert r.content and r.url.startswith("http://www.forge") and ".gov.cn/" in r.url
        assert r.url.endswith(r.filename.rsplit(".", 1)[1])


def test_cli_writes_files_and_a_truth_manifest(tmp_path, capsys) -> None:
    args = [str(tmp_path), "-n", "3", "--no-pdf", "--variant", "text_seed", "--variant", "html_gbk"]
    assert forge_cli(args) == 0
    lines = (tmp_path / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    entry = json.loads(lines[1])
    assert entry["variant"] == "html_gbk" and (tmp_path / entry["file"]).exists()
    assert entry["report"]["stat_year"] >= 2019
    assert all(set(c) == {"value", "raw", "flag"} for c in entry["cells"].values())
    assert forge_cli([str(tmp_path), "--variant", "nope"]) == 2
    assert "unknown variant" in capsys.readouterr().err
