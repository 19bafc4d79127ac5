"""parsers.report: parse() end to end through the real carriers (seed text, HTML with merges)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from parsers.errors import ParseError
from parsers.report import PARSER_VERSION, ParseOptions, parse

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed-report.txt"

HTML = """<html><head><meta charset="utf-8"><title>某局2022年政府信息公开工作年度报告</title></head><body>
<p>二、主动公开政府信息情况</p>
<table>
<tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>行政规范性文件</td><td>3</td><td>1</td><td>12</td></tr>
<tr><td colspan="4">第二十条第（五）项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>
<tr><td>行政许可</td><td colspan="3">45</td></tr>
<tr><td colspan="4">第二十条第（八）项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年收费金额（单位：万元）</td></tr>
<tr><td>行政事业性收费</td><td colspan="3">1.5</td></tr>
</table>
<p>四、政府信息公开行政复议、行政诉讼情况</p>
<table>
<tr><td colspan="5">行政复议</td><td colspan="10">行政诉讼</td></tr>
<tr><td rowspan="2">结果维持</td><td rowspan="2">结果纠正</td>
<td rowspan="2">其他结果</td><td rowspan="2">尚未审结</td>
<td rowspan="2">总计</td><td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>
<tr><td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td>
<td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td></tr>
<tr><td>1</td><td>0</td><td>0</td><td>1</td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td>
<td>3</td><td>0</td><td>0</td><td>0</td><td>3</td></tr>
</table></body></html>"""


@pytest.mark.skipif(not SEED.exists(), reason="/work/shared (seed report) not beside the repository")
def test_seed_through_text_carrier() -> None:
    result = parse(SEED.read_bytes(), url="file:///seed-report.txt")
    d = result.to_dict()
    assert set(d) == {"parser_version", "report", "cells", "sections", "checks", "warnings"}
    assert d["parser_version"] == PARSER_VERSION
    assert d["report"]["format_version"] == "gov2021"
    assert d["report"]["source_kind"] == "text"
    cells = d["cells"]
    assert cells["active.licensing.decisions"]["value"] == 600
    assert cells["active.fees.amount_wan"]["value"] == pytest.approx(26.815)
    assert cells["applications.carried_forward.total"]["value"] == 0
    assert cells["litigation.after_review.upheld"]["value"] == 0
    leaves = [k for k, v in cells.items() if v["flag"] != "derived"]
    assert len(leaves) == 200
    assert all(cells[k]["flag"] == "ok" for k in leaves)
    assert cells["applications.denied.subtotal.total"]["flag"] == "derived"
    json.dumps(d, ensure_ascii=False)


def test_html_with_merges() -> None:
    result = parse(HTML.encode("utf-8"), url="http://example.gov.cn/nb.html", content_type="text/html")
    c = result.cells
    assert result.report["format_version"] == "gov2021"
    assert result.report["source_kind"] == "html"
    assert c["active.normative_docs.in_force"]["value"] == 12
    assert c["active.licensing.decisions"]["value"] == 45
    assert c["active.fees.amount_wan"]["value"] == 1.5
    assert c["review.total"]["value"] == 2
    assert c["litigation.after_review.upheld"]["value"] == 3
    assert c["litigation.total.upheld"] == {**c["litigation.total.upheld"], "value": 3, "flag": "derived"}
    assert c["review.upheld"]["src"]["table_idx"] == 1
    assert "path" in c["review.upheld"]["src"]


def test_image_tables_give_no_cells() -> None:
    page = (
        "<html><body><p>一、总体情况</p><p>本机关2022年度……</p><p>二、主动公开政府信息情况</p>"
        '<p><img src="/upload/table2.png" width="600" height="400"></p>'
        "<p>三、收到和处理政府信息公开申请情况</p>"
        '<p><img src="/upload/table3.jpg" width="600" height="800"></p></body></html>'
    )
    result = parse(page.encode(), url="http://example.gov.cn/a.html", content_type="text/html")
    if result.document is not None and result.document.image_tables:
        assert result.report["source_kind"] == "image"
        assert result.cells == {}
        assert any("image" in w for w in result.warnings)
    else:  # carrier did not count the images: still no invented zeros
        assert result.cells == {}


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="mode must be one of lenient, strict"):
        ParseOptions(mode="fuzzy")
    opts = ParseOptions()
    assert dataclasses.replace(opts, mode="strict").mode == "strict"


def test_garbage_is_a_named_error() -> None:
    with pytest.raises(ParseError):
        parse(b"")
    with pytest.raises(ParseError):
        parse(b"%PDF-1.4\n%broken")


@pytest.mark.parametrize(
    ("year", "want"),
    [(2023, "unknown_free_text"), (2016, "legacy_2008")],
)
def test_narrative_only_report_era(year: int, want: str) -> None:
    """format-spec §1.2 step 5: no table at all → legacy_2008 up to 2018, else ``unknown_free_text``."""
    text = (
        f"某县人民政府{year}年政府信息公开工作年度报告\n一、总体情况\n{year}年，我县认真贯彻落实《条例》，"
        "主动公开政府信息。\n二、存在的主要问题及改进情况\n公开内容仍需细化。\n"
    )
    parsed = parse(text.encode("utf-8"), url="http://example.gov.cn/a.txt", content_type="text/plain")
    assert parsed.report["stat_year"] == year
    assert parsed.report["format_version"] == want
