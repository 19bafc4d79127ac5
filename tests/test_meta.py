"""Tests for parsers.meta: titles (§9.9), agency, statistical year, publication date and scope (§6, §9.7)."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from parsers.document import Cell, Document, Paragraph, Table
from parsers.meta import ReportMeta, detect_scope, extract_meta, is_report_title, parse_title

SHARED = Path(__file__).resolve().parents[2] / "shared"


def doc_of(*lines: str, meta: dict[str, str] | None = None) -> Document:
    return Document(kind="text", blocks=[Paragraph(x) for x in lines], meta=meta or {})


# --- titles (§9.9)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title,agency,year",
    [
        (
            "宁波市镇海区人力资源和社会保障局2022年度政府信息公开工作年度报告",
            "宁波市镇海区人力资源和社会保障局",
            2022,
        ),
        ("西咸新区底张街道办事处2023年度政府信息公开工作年度报告", "西咸新区底张街道办事处", 2023),
        ("白银区人民路街道2023年政府信息公开工作年度报告", "白银区人民路街道", 2023),
        (
            "南京徐庄高新技术产业开发区管理委员会2024年政府信息公开工作年度报告",
            "南京徐庄高新技术产业开发区管理委员会",
            2024,
        ),
        ("武汉市生态环境局2020年政府信息公开工作年度报告", "武汉市生态环境局", 2020),
        ("龙潭区人民政府2017年政府信息公开工作年度报告", "龙潭区人民政府", 2017),
        ("2019年上海市人民政府办公厅政府信息公开工作年度报告", "上海市人民政府办公厅", 2019),
        ("2022年上海市政府信息公开工作年度报告", "上海市", 2022),
        ("2018年武汉市政府信息公开工作年度报告", "武汉市", 2018),
        ("宿迁市政府办公室2014年政府信息公开年度报告", "宿迁市政府办公室", 2014),
        ("舒兰市市场监督管理局2016年政务信息公开年度报告", "舒兰市市场监督管理局", 2016),
        (
            "重庆市大足区人民政府外事办公室政府信息公开工作2022年度报告",
            "重庆市大足区人民政府外事办公室",
            2022,
        ),
        ("2009年上海市发展和改革委员会政府信息公开年报 ( 2010年02月19日 )", "上海市发展和改革委员会", 2009),
        ("政府信息公开工作年度报告", None, None),
        ("ＸＸ县教育局 ２０２３ 年 政府信息公开工作年度报告", "XX县教育局", 2023),
        (
            "麻陽苗族自治縣板栗樹鄉人民政府2022年政府信息公開工作年度報告",
            "麻阳苗族自治县板栗树乡人民政府",
            2022,
        ),
        ("关于2022年度政府信息公开情况的报告", None, 2022),
    ],
)
def test_parse_title(title: str, agency: str | None, year: int | None) -> None:
    assert is_report_title(title)
    assert parse_title(title) == (agency, year)


@pytest.mark.parametrize(
    "title",
    [
        "文字解读：大明湖街道2023年政府信息公开工作年度报告",
        "图解：XX局2022年政府信息公开工作年度报告",
        "一图读懂XX区2023年政府信息公开工作年度报告",
        "《XX局2022年度政府信息公开工作年度报告》解读",
        "关于做好2022年政府信息公开工作年度报告编制发布工作的通知",
        "中华人民共和国政府信息公开工作年度报告格式",
        "根据条例要求，现公布兴仁市人民政府2022年政府信息公开工作年度报告。",
        "XX局2022年部门预算公开",
        "",
    ],
)
def test_companion_pages_and_non_titles_are_rejected(title: str) -> None:
    assert not is_report_title(title)
    assert parse_title(title) == (None, None)


# --- extract_meta on hand-built documents
# ---------------------------------------------------------------------


def test_seed_like_two_line_title_and_tail_date() -> None:
    doc = doc_of(
        "宁波市镇海区人力资源和社会保障局",
        "2022年度政府信息公开工作年度报告",
        "",
        "一、总体情况",
        "截至2022年底，我局工作平稳。",
        "六、其他需要报告的事项",
        "无。",
        "",
        "镇海区人力资源和社会保障局",
        "2023年1月4日",
    )
    m = extract_meta(doc)
    assert isinstance(m, ReportMeta)
    assert m.title == "宁波市镇海区人力资源和社会保障局2022年度政府信息公开工作年度报告"
    assert m.agency == m.agency_raw == "宁波市镇海区人力资源和社会保障局"
    assert m.stat_year == 2022 and m.evidence["stat_year"] == "title"
    assert m.published_date == date(2023, 1, 4) and m.evidence["published_date"] == "tail_signature"
    assert m.scope == "agency"
    d = m.to_dict()
    assert d["published_date"] == "2023-01-04" and d["scope"] == "agency" and d["evidence"]["title"]


def test_page_meta_title_and_date_win() -> None:
    doc = doc_of("正文", "一、总体情况", "本年度……", "XX局", "2023年1月4日")
    page = {
        "<title>": "沭阳县发展和改革局2023年政府信息公开年度报告-沭阳县发改局",
        "发布日期": "2024-01-10 09:30",
    }
    m = extract_meta(doc, page_meta=page, url="https://www.example.gov.cn/a.html")
    assert m.title == "沭阳县发展和改革局2023年政府信息公开年度报告" and m.agency == "沭阳县发展和改革局"
    assert m.published_date == date(2024, 1, 10) and m.evidence["published_date"] == "page_meta:发布日期"
    doc2 = doc_of("XX局2023年政府信息公开工作年度报告", meta={"PubDate": "2024-01-12"})
    assert extract_meta(doc2).published_date == date(2024, 1, 12)


def test_stat_period_sentence_beats_title_year() -> None:
    doc = doc_of(
        "XX局2023年政府信息公开工作年度报告",
        "本年度报告中所列数据的统计期限自二〇二二年一月一日起至十二月三十一日止。",
        "一、总体情况",
        "x",
    )
    m = extract_meta(doc)
    assert (
        m.stat_year == 2022
        and m.evidence["stat_year"].startswith("stat_period")
        and "2023" in m.evidence["stat_year"]
    )


def test_published_year_minus_one_and_chinese_numeral_tail() -> None:
    doc = doc_of(
        "政府信息公开工作年度报告", "一、总体情况", "我局认真贯彻条例。", "XX市XX局", "二〇二四年一月十九日"
    )
    m = extract_meta(doc)
    assert m.published_date == date(2024, 1, 19)
    assert m.stat_year == 2023 and m.evidence["stat_year"] == "published_date.year-1"
    assert m.agency == "XX市XX局" and m.evidence["agency"].startswith("tail_signature")


def test_labelled_head_date_and_metadata_table() -> None:
    table = Table(
        rows=[[Cell("索引号"), Cell("620702081/2026-00007")], [Cell("生成日期"), Cell("2026-01-23 16:24:38")]]
    )
    doc = Document(
        kind="html",
        blocks=[
            Paragraph("北街街道2025年政府信息公开工作年度报告"),
            table,
            Paragraph("一、总体情况"),
            Paragraph("x"),
        ],
    )
    m = extract_meta(doc)
    assert (
        m.published_date == date(2026, 1, 23) and m.agency == "北街街道办事处" and m.agency_raw == "北街街道"
    )


def test_period_sentence_is_not_a_publication_date() -> None:
    """Corpus 001 (PDF lines): "…统计期限自 2023 年 1 月 1 日" ends a wrapped line; it is not a head date."""
    doc = doc_of(
        "洪泽区人民政府",
        "2023 年政府信息公开工作年度报告",
        "要求编制此报告。报告中所列数据统计期限自 2023 年 1 月 1 日",
        "起至 2023 年 12 月 31 日止。",
        "一、总体情况",
        "x",
    )
    assert extract_meta(doc).published_date is None
    bare = doc_of("2015年3月13日", "引 言", "本年报……", "一、概 述", "x")
    assert extract_meta(bare).published_date == date(2015, 3, 13)
    titled = doc_of("2009年上海市发展和改革委员会政府信息公开年报 ( 2010年02月19日 )", "一、概述", "x")
    assert extract_meta(titled).published_date == date(2010, 2, 19)


def test_agency_is_not_invented_and_typos_are_kept() -> None:
    m = extract_meta(doc_of("# 沐阳县人民政府 2025 年 政府信息公开工作年度报告", "一、总体情况", "x"))
    assert m.agency_raw == "沐阳县人民政府" and m.agency == "沐阳县人民政府"  # corpus 008's typo, not 沭阳
    empty = extract_meta(doc_of("一、总体情况", "我局认真贯彻条例。"))
    assert empty.agency is None and empty.title is None and empty.stat_year is None


def test_full_name_from_a_place_printed_in_the_text() -> None:
    """Corpus 001: title 洪泽区人民政府, preamble 由淮安市洪泽区人民政府办公室…编制."""
    doc = doc_of(
        "洪泽区人民政府",
        "2023 年政府信息公开工作年度报告",
        "本报告由淮安市洪泽区人民政府办公室根据《条例》要求编制此报告。",
        "一、总体情况",
        "x",
    )
    m = extract_meta(doc)
    assert m.agency_raw == "洪泽区人民政府" and m.agency == "淮安市洪泽区人民政府"
    assert m.stat_year == 2023 and m.scope == "government_aggregate"


def test_preamble_statement_gives_agency() -> None:
    m = extract_meta(
        doc_of("根据条例要求，现公布兴仁市人民政府2022年政府信息公开工作年度报告。", "一、总体情况", "x")
    )
    assert m.agency == "兴仁市人民政府" and m.stat_year == 2022


# --- scope (§9.7)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "preamble,agency,scope",
    [
        (
            "本报告由南平市政府信息公开办汇总南平市各县（市、区）、市政府各有关部门政府信息公开工作情况编制而成。",
            None,
            "government_aggregate",
        ),
        (
            "综合2017年度丽水市各县(市、区)政府和市级各部门的政府信息公开年度工作报告编制而成。",
            "丽水市人民政府",
            "government_aggregate",
        ),
        ("本报告由上海市人民政府办公厅代表市政府编制。", "上海市人民政府办公厅", "government_office"),
        ("根据条例编制本报告。", "山东省人民政府办公厅", "government_office"),
        ("本报告涵盖局机关及所属单位的政府信息公开工作。", "XX市水务局", "agency_with_subordinates"),
        ("根据条例编制本报告。", "兴仁市人民政府", "government_aggregate"),
        ("根据条例编制本报告。", "XX县XX镇人民政府", "agency"),
        ("根据条例编制本报告。", "湛江市人民政府地方志办公室", "agency"),
        ("根据条例编制本报告。", "XX市教育局", "agency"),
    ],
)
def test_detect_scope(preamble: str, agency: str | None, scope: str) -> None:
    assert detect_scope(preamble, agency)[0] == scope


# --- the corpus snippets 028–070 (real report openings, 2009–2025)
# ---------------------------------------------


def _manifest() -> list[dict[str, str]]:
    path = SHARED / "corpus" / "manifest.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["format"] == "txt-excerpt"]


SNIPPETS = _manifest()


def _snippet_doc(row: dict[str, str]) -> Document:
    text = (SHARED / "corpus" / row["file"]).read_text(encoding="utf-8", errors="replace")
    return Document(kind="text", blocks=[Paragraph(line) for line in text.splitlines()])


def _compatible(found: str, expected: str) -> bool:
    """The agency found names the same body as the manifest (which may add a city or a 人民政府 suffix)."""
    expected = re.sub(r"\s*\(.*\)$", "", expected)
    core = re.sub(r"(人民政府|办事处)$", "", found)
    return core in expected or expected in found


@pytest.mark.skipif(not SNIPPETS, reason="/work/shared corpus not available")
@pytest.mark.parametrize("row", SNIPPETS, ids=[r["id"] for r in SNIPPETS])
def test_corpus_snippet(row: dict[str, str]) -> None:
    m = extract_meta(_snippet_doc(row), url=row["source_path"])
    assert m.stat_year == int(row["year"]), m.evidence
    if m.agency is not None and not row["agency"].endswith("not in excerpt)"):
        weak = m.evidence["agency"].startswith("overview_subject")  # may be an abbreviation (区政府办公室)
        assert _compatible(m.agency, row["agency"]) or "inferred" in row["agency"] or weak, (
            m.agency,
            row["agency"],
            m.evidence,
        )


@pytest.mark.skipif(not SNIPPETS, reason="/work/shared corpus not available")
def test_corpus_snippet_detection_rates() -> None:
    """Floors measured on the 43 snippets (43/43 years, 34 agencies compatible with the manifest)."""
    metas = [(row, extract_meta(_snippet_doc(row))) for row in SNIPPETS]
    years = sum(m.stat_year == int(r["year"]) for r, m in metas)
    agencies = sum(1 for r, m in metas if m.agency and _compatible(m.agency, r["agency"]))
    assert years >= 42
    assert agencies >= 30


def test_page_furniture_before_the_title_is_not_part_of_the_agency() -> None:
    """Regression (demo crawl): a nav line 互动交流 squashed against the title gave the agency
    互动交流宁波市江北区司法局."""
    title = "宁波市江北区司法局2024年度政府信息公开工作年度报告"
    doc = Document(
        kind="html",
        blocks=[
            Paragraph("首页 政务公开 互动交流"),
            Paragraph(title),
            Paragraph(f"现向社会公布{title}。本报告所列数据统计期限从2024年1月1日至2024年12月31日止。"),
            Paragraph("一、总体情况"),
        ],
        meta={"title": title},
    )
    assert extract_meta(doc).agency == "宁波市江北区司法局"


def test_a_numbered_office_keeps_its_number() -> None:
    """Regression (crawl bench): 第418街道办事处 was rejected as a non-name (digits), so every numbered
    office fell back to the portal's agency and their reports merged."""
    assert parse_title("宁波市镇海区第418街道办事处2024年度政府信息公开工作年度报告") == (
        "宁波市镇海区第418街道办事处",
        2024,
    )
    assert parse_title("宁波市镇海区第419街道办事处2024年度政府信息公开工作年度报告")[0] != parse_title(
        "宁波市镇海区第418街道办事处2024年度政府信息公开工作年度报告"
    )[0]
