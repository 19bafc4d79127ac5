"""LibreOffice conversion (`parsers.carriers.convert`) and the DOC/WPS carriers built on it.

The .doc files are written by LibreOffice itself from DOCX files made here with python-docx or by the
report forge (`tests.office_fixtures`, cached on disk), so the right reading of each is the DOCX's. A
"WPS" file is such a .doc carrying WPS Office's ``KSOProductBuildVer`` property, as real ones do.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import docx as python_docx
import pytest
from docx.shared import Twips

from parsers.carriers import convert as convert_mod
from parsers.carriers import doc as doc_carrier
from parsers.carriers import load, sniff
from parsers.carriers.convert import CALC, WRITER, convert, missing_component
from parsers.carriers.ole import inspect_ole
from parsers.document import Cell, Table
from parsers.errors import ConverterUnavailable, LimitExceeded, UnreadableInput
from parsers.limits import Limits
from tests.office_fixtures import office_convert, soffice_or_skip, with_kingsoft_marker


def small_docx() -> bytes:
    """A paragraph and a table with a row merge and a column merge."""
    d = python_docx.Document()
    d.add_paragraph("某某局2022年政府信息公开工作年度报告")
    t = d.add_table(rows=3, cols=3)
    t.style = "Table Grid"
    for r, row in enumerate(
        [["信息内容", "本年制发件数", "现行有效件数"], ["规章", "3", "12"], ["", "0", "5"]]
    ):
        for c, text in enumerate(row):
            t.cell(r, c).text = text
    t.cell(1, 0).merge(t.cell(2, 0))
    t.cell(0, 1).merge(t.cell(0, 2)).text = "件数"
    d.add_paragraph("二、主动公开政府信息情况")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return small_docx()


@pytest.fixture(scope="module")
def doc_bytes(docx_bytes: bytes) -> bytes:
    return office_convert(docx_bytes, src_ext="docx", to="doc")


@pytest.fixture(scope="module")
def wps_bytes(docx_bytes: bytes) -> bytes:
    return office_convert(with_kingsoft_marker(docx_bytes), src_ext="docx", to="doc")


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private profile pool, so a test can inspect it (and see nothing else's)."""
    root = tmp_path / "profiles"
    monkeypatch.setenv(convert_mod.PROFILE_ROOT_ENV, str(root))
    return root


# ------------------------------------------------------------------------------------------ sniffing


def test_ole_directory_names_the_family(doc_bytes: bytes, wps_bytes: bytes) -> None:
    info = inspect_ole(doc_bytes)
    assert info is not None and info.family == "word" and not info.kingsoft
    assert "worddocument" in info.streams
    wps = inspect_ole(wps_bytes)
    assert wps is not None and wps.family == "word" and wps.kingsoft
    assert inspect_ole(doc_bytes[:2000]) is None  # truncated: directory unreadable
    assert inspect_ole(b"not ole at all") is None


@pytest.mark.parametrize(
    ("which", "kwargs", "kind"),
    [
        ("doc", {}, "doc"),
        ("doc", {"url": "http://x.gov.cn/a/report.xls"}, "doc"),  # content beats a lying suffix
        ("doc", {"content_type": "application/vnd.ms-excel"}, "doc"),
        ("doc", {"url": "http://x.gov.cn/a/report.wps"}, "wps"),  # suffix names the flavour in a family
        ("wps", {}, "wps"),  # Kingsoft marker, no hint at all
        ("wps", {"url": "http://x.gov.cn/a/report.doc"}, "wps"),
    ],
)
def test_sniff_word_binaries_by_content(which: str, kwargs: dict, kind: str, request) -> None:
    data = request.getfixturevalue(f"{which}_bytes")
    assert sniff(data, **kwargs) == kind


# ------------------------------------------------------------------------------------------ DOC / WPS


def _shape(table: Table) -> list[list[tuple[str, tuple[int, int] | None]]]:
    return [[(c.text, c.span_of) for c in row] for row in table.rows]


@pytest.mark.slow
def test_doc_reads_like_its_docx(docx_bytes: bytes, doc_bytes: bytes) -> None:
    doc, ref = load(doc_bytes), load(docx_bytes)
    assert doc.kind == "doc"
    assert doc.warnings[0].startswith("converted from DOC (Word 97-2003) to DOCX by LibreOffice")
    assert [p.text for p in doc.paragraphs] == [p.text for p in ref.paragraphs]
    assert len(doc.tables) == len(ref.tables) == 1
    assert _shape(doc.tables[0]) == _shape(ref.tables[0])
    assert doc.tables[0].texts()[2] == ["规章", "0", "5"]  # the row merge expanded, not blank


@pytest.mark.slow
def test_wps_reads_as_wps(docx_bytes: bytes, wps_bytes: bytes) -> None:
    doc = load(wps_bytes, url="http://x.gov.cn/download.do?id=9")
    assert doc.kind == "wps"
    assert "Kingsoft WPS" in doc.warnings[0]
    assert _shape(doc.tables[0]) == _shape(load(docx_bytes).tables[0])


def test_truncated_doc_refused_before_libreoffice(doc_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_soffice(*args, **kwargs):
        raise AssertionError("LibreOffice must not see an unreadable OLE2 file")

    monkeypatch.setattr(doc_carrier, "convert", no_soffice)
    with pytest.raises(UnreadableInput, match="OLE2") as exc:
        load(doc_bytes[:3000], url="http://x.gov.cn/a.doc")
    assert exc.value.what == "doc"
    with pytest.raises(UnreadableInput, match="OLE2"):
        load(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, url="http://x.gov.cn/a.wps")


def test_excel_binary_is_not_read_as_word(doc_bytes: bytes) -> None:
    from tests.test_carrier_sheet import report_workbook, xlsx_bytes

    xls = office_convert(xlsx_bytes(report_workbook()), src_ext="xlsx", to="xls")
    with pytest.raises(UnreadableInput, match="holds excel") as exc:
        doc_carrier.read(xls)
    assert exc.value.what == "doc"


def test_drop_covered_columns() -> None:
    a = Cell("a", {"c": 0})
    t = Table(
        [
            [a, Cell("a", {"c": 0}, (0, 0)), Cell("a", {"c": 0}, (0, 0)), Cell("b", {"c": 3})],
            [Cell("x"), Cell("y"), Cell("y", {}, (1, 1)), Cell("z")],
        ]
    )
    out = doc_carrier.drop_covered_columns(t)
    assert out.texts() == [["a", "a", "b"], ["x", "y", "z"]]  # column 2 only ever continued column 1
    assert out.rows[0][1].span_of == (0, 0)
    plain = Table([[Cell("p"), Cell("q")]])
    assert doc_carrier.drop_covered_columns(plain) is plain


def test_drop_hairline_columns_shrinks_spans() -> None:
    d = python_docx.Document()
    t = d.add_table(rows=2, cols=3)
    t.cell(0, 0).merge(t.cell(0, 1)).text = "复议"  # row 0: [复议 (c0–c1)] [诉讼 (c2)]
    t.cell(0, 2).text = "诉讼"
    t.cell(1, 0).text = "维持"  # row 1: [维持 (c0)] [总计 (c1–c2)]
    t.cell(1, 1).merge(t.cell(1, 2)).text = "总计"
    cols = t._tbl.tblGrid.findall("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}gridCol")
    for col, width in zip(cols, (2000, 2000, 2000), strict=True):
        col.w = Twips(width)
    buf = io.BytesIO()
    d.save(buf)
    assert load(buf.getvalue()).tables[0].n_cols == 3
    # the same table whose middle grid column is a 1-twip sliver: nothing real sits on it alone
    cols[1].w = Twips(1)
    hair = io.BytesIO()
    d.save(hair)
    fixed = load(doc_carrier.drop_hairline_columns(hair.getvalue())).tables[0]
    assert fixed.texts() == [["复议", "诉讼"], ["维持", "总计"]]
    untouched = buf.getvalue()
    assert doc_carrier.drop_hairline_columns(untouched) is untouched


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["rtf", "odt"])
def test_rtf_and_odt_read_like_their_docx(kind: str, docx_bytes: bytes) -> None:
    data = office_convert(docx_bytes, src_ext="docx", to=kind)
    assert sniff(data) == kind
    doc, ref = load(data), load(docx_bytes)
    assert doc.kind == kind
    assert doc.warnings[0].startswith(f"converted from {kind.upper()}")
    assert [p.text for p in doc.paragraphs] == [p.text for p in ref.paragraphs]
    assert _shape(doc.tables[0]) == _shape(ref.tables[0])


# ------------------------------------------------------------------------------------------ convert()


@pytest.mark.slow
def test_convert_runs_in_parallel(doc_bytes: bytes, profiles: Path) -> None:
    """Two conversions at once both produce output (each holds its own profile)."""
    from tests.test_carrier_sheet import report_workbook, xlsx_bytes

    xls = office_convert(xlsx_bytes(report_workbook()), src_ext="xlsx", to="xls")
    jobs = {"docx": (doc_bytes, "doc", "docx"), "xlsx": (xls, "xls", "xlsx")}
    results: dict[str, bytes | BaseException] = {}

    def work(name: str) -> None:
        data, src_ext, to = jobs[name]
        try:
            results[name] = convert(data, src_ext=src_ext, to=to)
        except BaseException as e:
            results[name] = e

    threads = [threading.Thread(target=work, args=(name,)) for name in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sniff(results["docx"]) == "docx", results["docx"]
    assert sniff(results["xlsx"]) == "xlsx", results["xlsx"]
    used = {p.name for p in profiles.iterdir() if p.is_dir()}
    assert used and used <= {"profile-0", "profile-1"}  # warm profiles kept for the next conversion


@pytest.mark.slow
def test_unloadable_input_is_named(profiles: Path) -> None:
    soffice_or_skip()
    with pytest.raises(UnreadableInput, match="could not convert it to pdf") as exc:
        convert(b"PK\x03\x04 not really a zip", src_ext="docx", to="pdf")
    assert exc.value.what == "docx"
    assert "could not be loaded" in str(exc.value)  # soffice's own words are passed on


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_timeout_kills_the_process_group(doc_bytes: bytes, profiles: Path) -> None:
    soffice_or_skip()
    with pytest.raises(LimitExceeded, match=r"did not finish within 0\.01s") as exc:
        convert(doc_bytes, src_ext="doc", to="docx", limits=Limits(time_budget_s=0.01))
    assert exc.value.what == "doc"
    assert _processes_mentioning(str(profiles)) == []  # wrapper, oosplash and soffice.bin all gone
    assert not (profiles / "profile-0").exists()  # a killed run's profile is never reused


def test_size_limits(doc_bytes: bytes) -> None:
    with pytest.raises(LimitExceeded, match="max_input_bytes"):
        convert(doc_bytes, src_ext="doc", to="docx", limits=Limits(max_input_bytes=1024))


def test_no_soffice_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConverterUnavailable, match="libreoffice-writer-nogui") as exc:
        convert(b"x", src_ext="doc", to="docx")
    assert exc.value.what == "doc"
    with pytest.raises(ConverterUnavailable, match="libreoffice-calc-nogui"):
        convert(b"x", src_ext="xls", to="xlsx")


def test_missing_calc_is_detected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    program = tmp_path / "program"
    program.mkdir()
    fake = program / "soffice"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    (program / "libswlo.so").write_bytes(b"")  # Writer installed, Calc not
    assert missing_component(str(fake), "doc") is None
    assert missing_component(str(fake), "et") is CALC
    monkeypatch.setattr(convert_mod, "find_soffice", lambda: str(fake))
    with pytest.raises(ConverterUnavailable, match=r"Calc, which is not installed.*libreoffice-calc-nogui"):
        convert(b"x", src_ext="xls", to="xlsx")
    assert WRITER.debian_package == "libreoffice-writer-nogui"


def test_profiles_are_exclusive_and_reused(profiles: Path, tmp_path: Path, monkeypatch) -> None:
    with convert_mod._profile(tmp_path) as a, convert_mod._profile(tmp_path) as b:
        assert a.path != b.path
        assert {a.path.name, b.path.name} == {"profile-0", "profile-1"}
    with convert_mod._profile(tmp_path) as again:
        assert again.path.name == "profile-0"  # released locks are taken again: warm profiles reused
    monkeypatch.setattr(convert_mod, "MAX_PROFILES", 1)
    with convert_mod._profile(tmp_path) as a, convert_mod._profile(tmp_path) as b:
        assert a.path.name == "profile-0"
        assert b.path == tmp_path / "profile"  # pool exhausted: a throw-away profile in the work dir


def test_profile_pool_refuses_a_foreign_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to plant a directory owned by someone else")
    root = tmp_path / "planted"
    root.mkdir()
    os.chown(root, 65534, 65534)
    monkeypatch.setenv(convert_mod.PROFILE_ROOT_ENV, str(root))
    with convert_mod._profile(tmp_path) as p:
        assert p.path == tmp_path / "profile"


# ------------------------------------------------------------------------------------------ end to end


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "variant"), [(3, "docx_default"), (0, "docx_t3_repeated_labels")])
def test_parse_doc_gives_the_docx_cells(seed: int, variant: str) -> None:
    from parsers.report import parse
    from tests.forge import forge

    report = forge(seed, variant)
    doc = office_convert(report.content, src_ext="docx", to="doc")
    want = parse(report.content, url=report.url)
    got = parse(doc)
    assert got.report["source_kind"] == "doc"
    assert len(want.cells) > 100
    assert {k: (v["value"], v["flag"]) for k, v in got.cells.items()} == {
        k: (v["value"], v["flag"]) for k, v in want.cells.items()
    }
    assert got.report["stat_year"] == want.report["stat_year"]
    assert got.report["agency"] == want.report["agency"]
