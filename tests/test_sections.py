"""Tests for parsers.sections: heading variants of format-spec §2 and legacy outlines of §8.1."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from parsers.document import Cell, Document, Paragraph, Table
from parsers.sections import parse_heading, split_sections, split_tail_signature

SHARED = Path(__file__).resolve().parents[2] / "shared"


def doc_of(*lines: str | Table) -> Document:
    return Document(kind="text", blocks=[Paragraph(x) if isinstance(x, str) else x for x in lines])


def grid(rows: list[list[str]]) -> Table:
    return Table(rows=[[Cell(t) for t in row] for row in rows])


def test_2021_outline_with_preamble_tables_and_signature() -> None:
    doc = doc_of(
        "XX局2022年度政府信息公开工作年度报告",
        "本报告中所列数据的统计期限自2022年1月1日起至12月31日止。",
        "一、总体情况",
        "（一）主动公开政府信息情况",
        "全年主动公开信息100条。",
        "（二）依申请公开情况",
        "全年收到申请3件。",
        "二、主动公开政府信息情况",
        grid([["第二十条第（一）项", "", ""], ["信息内容", "本年制发件数", "x"]]),
        "三、收到和处理政府信息公开申请情况",
        grid([["申请人情况", "自然人"], ["一、本年新收", "3"]]),
        "四、政府信息公开行政复议、行政诉讼情况",
        grid([["行政复议", "行政诉讼"], ["0", "0"]]),
        "五、存在的主要问题及改进情况",
        "问题一。",
        "六、其他需要报告的事项",
        "无。",
        "",
        "XX局",
        "2023年1月4日",
    )
    s = split_sections(doc)
    assert list(s) == [
        "preamble",
        "overview",
        "active",
        "applications",
        "review_litigation",
        "problems",
        "other",
    ]
    assert s["active"] == s["applications"] == s["review_litigation"] == ""
    assert "统计期限" in s["preamble"]
    assert "（一）主动公开政府信息情况" in s["overview"] and "全年收到申请3件" in s["overview"]
    assert s["other"] == "无。"  # signature cut, tables never part of the text
    assert s["problems"] == "问题一。"


def test_2019_heading_variants_and_sentence_around_table() -> None:
    doc = doc_of(
        "一、概述",
        "概述内容。",
        "二、行政机关主动公开政府信息情况",
        "本年度制发规范性文件2件。",
        "三、行政机关收到和处理政府信息公开申请情况",
        "共收到申请5件。",
        "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况",
        "无。",
        "五、政府信息公开工作存在的主要问题及改进情况",
        "改进。",
        "六、其他需要报告的事项",
        "无其他事项。",
    )
    s = split_sections(doc)
    assert s == {
        "overview": "概述内容。",
        "active": "本年度制发规范性文件2件。",
        "applications": "共收到申请5件。",
        "review_litigation": "无。",
        "problems": "改进。",
        "other": "无其他事项。",
    }


@pytest.mark.parametrize("numbering", ["（{}）", "{}.", "第{}部分"])
def test_other_numbering_styles(numbering: str) -> None:
    nums = {"（{}）": "一二三", "{}.": "123", "第{}部分": "一二三"}[numbering]
    doc = doc_of(
        numbering.format(nums[0]) + "总体情况",
        "a。",
        "1.主动公开情况" if numbering != "{}." else "x",
        numbering.format(nums[1]) + "主动公开政府信息情况",
        "b。",
        numbering.format(nums[2]) + "存在的主要问题及改进情况",
        "c。",
    )
    s = split_sections(doc)
    assert (
        s["active"] == "b。"
        and s["problems"] == "c。"
        and s["overview"].startswith("a。")
        and "overview" in s
    )


def test_overview_subtopics_do_not_split_the_overview() -> None:
    """Corpus 030: （一）主动公开政府信息情况 inside 一、总体情况 is a subtopic, not section 二."""
    s = split_sections(
        doc_of(
            "一、总体情况",
            "（一）主动公开政府信息情况",
            "x。",
            "（二）依申请公开情况",
            "y。",
            "二、主动公开政府信息情况",
            "z。",
        )
    )
    assert s == {"overview": "（一）主动公开政府信息情况\nx。\n（二）依申请公开情况\ny。", "active": "z。"}


def test_heading_glued_after_a_sentence_and_heading_with_body() -> None:
    """Corpus 057: "…联系（电话…）。一、总体情况" in one paragraph."""
    s = split_sections(
        doc_of(
            "如有疑问请联系本办（电话：123）。一、总体情况",
            "（一）主动公开。全年公开10条。",
            "二、主动公开政府信息情况。本年度无。",
        )
    )
    assert s["preamble"] == "如有疑问请联系本办（电话：123）。"
    assert s["overview"].startswith("（一）主动公开。") and s["active"] == "本年度无。"


def test_heading_as_table_title_row() -> None:
    title_table = grid(
        [["三、收到和处理政府信息公开申请情况", "三、收到和处理政府信息公开申请情况"], ["申请人情况", "1"]]
    )
    s = split_sections(doc_of("一、总体情况", "a。", title_table, "表后说明：本年新收申请1件。"))
    assert s["applications"] == "表后说明：本年新收申请1件。"


def test_body_enumerations_and_table_cells_are_not_headings() -> None:
    s = split_sections(
        doc_of(
            "一、总体情况",
            "a。",
            "五、存在的主要问题及改进情况",
            "一、加强学习，提高认识。",
            "二、主动公开政府信息情况要加强。",
            "本年收费金额（单位：万元）",
            "点击查看解读",
        )
    )
    assert list(s) == ["overview", "problems"]
    assert parse_heading("本年收费金额（单位：万元）") is None
    assert parse_heading("点击查看解读") is None
    assert parse_heading("引 言").key == "preamble"  # type: ignore[union-attr]


def test_legacy_2008_outline() -> None:
    """§8.1 Art. 32 structure, with 收费 and 概述 / 引言 (corpus 068/070 style, traditional script too)."""
    s = split_sections(
        doc_of(
            "引言",
            "本年度报告根据条例编制。",
            "一、概述",
            "概述。",
            "二、主动公开政府信息情况",
            "主动。",
            "三、依申請公開政府信息情況",
            "依申请。",
            "四、政府信息公开的收费及减免情况",
            "未收费。",
            "五、因政府信息公开申请行政复议和提起行政诉讼的情况",
            "无。",
            "六、政府信息公开工作存在的主要问题及改进措施",
            "问题。",
            "七、其他需要报告的事项",
            "无。",
        )
    )
    assert s == {
        "preamble": "本年度报告根据条例编制。",
        "overview": "概述。",
        "active": "主动。",
        "applications": "依申请。",
        "fees": "未收费。",
        "review_litigation": "无。",
        "problems": "问题。",
        "other": "无。",
    }


def test_legacy_2014_outline_keys() -> None:
    s = split_sections(
        doc_of(
            "一、工作要点落实情况",
            "a",
            "二、主动公开情况",
            "b",
            "三、回应解读情况",
            "c",
            "四、依申请公开情况",
            "d",
            "五、行政复议、行政诉讼和投诉情况",
            "e",
            "六、机构建设和保障经费情况",
            "f",
            "七、政府信息公开会议和培训情况",
            "g",
            "八、存在问题及改进措施",
            "h",
        )
    )
    assert s == {
        "overview": "a",
        "active": "b",
        "response": "c",
        "applications": "d",
        "review_litigation": "e",
        "organisation": "f",
        "training": "g",
        "problems": "h",
    }


def test_unknown_first_heading_opens_the_overview() -> None:
    """Corpus 070: 一、加强组织领导 then 二、主动公开政府信息情况."""
    s = split_sections(doc_of("一、加强组织领导", "a。", "二、主动公开政府信息情况", "b。"))
    assert s == {"overview": "a。", "active": "b。"}


def test_restarted_numbering_for_the_table_part() -> None:
    """Corpus 006: narrative 一–六, then 一、主动公开政府信息情况 … again."""
    s = split_sections(
        doc_of(
            "一、总体情况",
            "a",
            "二、工作机制保障",
            "b",
            "一、主动公开政府信息情况",
            "c",
            "二、收到和处理政府信息公开申请情况",
            "d",
        )
    )
    assert s == {"overview": "a\nb", "active": "c", "applications": "d"}


def test_tail_signature() -> None:
    assert split_tail_signature(["无。", "镇海区人力资源和社会保障局", "2023年1月4日"]) == (
        "镇海区人力资源和社会保障局",
        date(2023, 1, 4),
        2,
    )
    assert split_tail_signature(["无。", "XX街道办事处 二〇二四年一月十九日"]) == (
        "XX街道办事处",
        date(2024, 1, 19),
        1,
    )
    assert split_tail_signature(["无。", "2023年1月4日"]) == (None, date(2023, 1, 4), 1)
    assert split_tail_signature(["本年度无其他事项。"]) == (None, None, 0)


@pytest.mark.skipif(not (SHARED / "seed-report.txt").exists(), reason="/work/shared corpus not available")
def test_seed_report() -> None:
    text = (SHARED / "seed-report.txt").read_text(encoding="utf-8")
    s = split_sections(Document(kind="text", blocks=[Paragraph(line) for line in text.splitlines()]))
    assert {
        "preamble",
        "overview",
        "active",
        "applications",
        "review_litigation",
        "problems",
        "other",
    } <= set(s)
    assert s["other"] == "无。"
    assert s["preamble"].startswith("宁波市镇海区人力资源和社会保障局")
    assert "（5） 监督保障方面" in s["overview"] and "未收到政府信息公开申请" in s["overview"]
    assert s["problems"].startswith("2022年度，我局政府信息公开工作整体平稳有序")


@pytest.mark.skipif(not (SHARED / "corpus").exists(), reason="/work/shared corpus not available")
@pytest.mark.parametrize(
    "name,expected",
    [
        ("030_yangling_audit_2022.txt", ["overview", "active", "applications"]),
        (
            "053_beijing_dzj_2010_mirror.txt",
            ["overview", "active", "applications", "fees", "review_litigation", "problems"],
        ),
        (
            "070_leshan_fzb_2010_wiki.txt",
            ["preamble", "overview", "active", "applications", "review_litigation", "fees", "problems"],
        ),
        (
            "008_shuyang_county2025.txt",
            ["preamble", "overview", "active", "applications", "review_litigation", "problems", "other"],
        ),
    ],
)
def test_corpus_outlines(name: str, expected: list[str]) -> None:
    text = (SHARED / "corpus" / "raw" / name).read_text(encoding="utf-8")
    s = split_sections(Document(kind="text", blocks=[Paragraph(line) for line in text.splitlines()]))
    assert list(s) == expected
