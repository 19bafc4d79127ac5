"""parsers.legacy_text: figures from legacy_2008 prose (format-spec §8.4)."""

from __future__ import annotations

import pytest

from parsers.document import Document, Paragraph
from parsers.legacy_text import extract_figures, text_cells
from parsers.report import parse
from tests.forge import LEGACY_VARIANTS, forge
from tests.forge.render_legacy import prose_expected, to_chinese


def _doc(*paras: str) -> Document:
    return Document("text", [Paragraph(p, {"line": i + 1}) for i, p in enumerate(paras)])


def test_arabic_and_chinese_numerals_with_spans():
    text = "全年共受理政府信息公开申请三十二件，其中当面申请12件、网上申请一十件，信函申请10件。"
    figs = {f.key: f for f in extract_figures(_doc("概述", text))}
    assert figs["legacy.apps.received.total"].value == 32
    assert figs["legacy.apps.received.in_person"].value == 12
    assert figs["legacy.apps.received.online"].value == 10
    assert figs["legacy.apps.received.letter"].value == 10
    f = figs["legacy.apps.received.total"]
    assert f.src["paragraph"] == 1 and f.src["text_src"] == {"line": 2}
    lo, hi = f.src["span"]
    assert text[lo:hi].endswith("三十二件")
    assert f.raw == text and f.to_cell()["flag"] == "text"


def test_specific_patterns_win_over_general():
    figs = {f.key: f.value for f in extract_figures(_doc("同意公开20件，同意部分公开5件，不予公开7件。"))}
    assert figs == {
        "legacy.apps.replied.granted": 20,
        "legacy.apps.replied.partial": 5,
        "legacy.apps.replied.refused": 7,
    }


def test_negative_statements_and_fees():
    doc = _doc(
        "2010年我局未收到政府信息公开申请。",
        "全年共收取费用1200元。",
        "本年度未发生针对本机关政府信息公开事务的行政复议和行政诉讼。",
    )
    cells = text_cells(doc)
    assert cells["legacy.apps.received.total"]["value"] == 0
    assert cells["legacy.fees_wan"]["value"] == pytest.approx(0.12)
    assert cells["legacy.fees_wan"]["unit"] == "万元"
    assert cells["legacy.review.total"]["value"] == 0
    assert cells["legacy.litigation.total"]["value"] == 0
    assert all(c["flag"] == "text" for c in cells.values())


def test_traditional_mirror_and_existing_keys_win():
    doc = _doc("我局2010年共主動公開政府信息175條，其中全文電子化率達100%。", "全職人員1人。")
    cells = text_cells(doc, existing={"legacy.org.staff_full": {"value": 3}})
    assert cells["legacy.active.total"]["value"] == 175
    assert "legacy.org.staff_full" not in cells


def test_no_numbers_from_years_percent_or_phone():
    doc = _doc("本年报中所列数据的统计期限自2014年1月1日起至12月31日止，电话:84556003，占总数的100%。")
    assert extract_figures(doc) == []


def test_to_chinese_roundtrip():
    from parsers.cn_numbers import cn_to_int

    for n in (0, 7, 10, 32, 105, 1200, 2070, 10001, 32000):
        assert cn_to_int(to_chinese(n)) == n


@pytest.mark.parametrize("variant", [v for v in LEGACY_VARIANTS if v.renderer == "legacy_prose"], ids=str)
@pytest.mark.parametrize("seed", range(4))
def test_forged_prose_reports(variant, seed):
    r = forge(seed, variant)
    res = parse(r.content, content_type=r.content_type, url=r.url)
    assert res.report["format_version"] == "legacy_2008"
    for key, want in prose_expected(r.data).items():
        cell = res.cells[key]
        assert cell["flag"] == "text", key
        assert float(cell["value"]) == pytest.approx(float(want), abs=0.0005), key
        assert cell["raw"] and "span" in cell["src"]
