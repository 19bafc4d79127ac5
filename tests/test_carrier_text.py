"""Text carrier: the seed (Word text) shape, pipe rows, markdown tables, TSV, decoding, corpus files."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.carriers import text
from parsers.carriers.text import Kind, classify_line, split_pipe_row
from parsers.errors import UnreadableInput

SHARED = Path(__file__).resolve().parents[2] / "shared"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="/work/shared corpus not available")

SEED_SHAPE = (
    "三、收到和处理政府信息公开申请情况\n"
    "\t（本列数据的勾稽关系）\n\t申请人情况\n"
    "\n"
    "\t\n\t自然人\n\t法人或其他组织\n\t总计\n"
    "\n"
    "\t\n\t\n\t商业\n企业\n\t科研\n机构\n"
    "\n"
    "\t一、本年新收政府信息公开申请数量\n\t[bookmark: _GoBack]0\n\t 12 \n"
    "\n"
    "\n"
    "四、政府信息公开行政复议、行政诉讼情况\n"
)


def test_seed_shape_rows_cells_and_continuations() -> None:
    doc = text.read(SEED_SHAPE.encode())
    (t,) = doc.tables
    assert t.texts() == [
        ["（本列数据的勾稽关系）", "申请人情况", "", ""],
        ["", "自然人", "法人或其他组织", "总计"],
        ["", "", "商业\n企业", "科研\n机构"],
        ["一、本年新收政府信息公开申请数量", "0", "12", ""],
    ]
    assert t.rows[2][2].src == {"line": 12}
    assert t.rows[0][2].src == {"pad": True}  # padded, never guessed as a merge
    assert all(c.span_of is None for row in t.rows for c in row)
    assert [p.text for p in doc.paragraphs] == [
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
    ]
    assert doc.paragraphs[1].src == {"line": 22}
    assert doc.blocks[1] is t
    assert any("bookmark" in w for w in doc.warnings)


def test_pipe_rows_of_cms_text_views() -> None:
    src = (
        "二、主动公开政府信息情况\n第二十条第(一)项 | |||\n"
        "信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n"
        "规章 | 0 | 0 | 0 |\n行政许可 | 600 | ||\n正文继续。\n"
    )
    doc = text.read(src.encode())
    assert doc.tables[0].texts() == [
        ["第二十条第(一)项", "", "", ""],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "0", "0", "0"],
        ["行政许可", "600", "", ""],
    ]
    assert [p.text for p in doc.paragraphs] == ["二、主动公开政府信息情况", "正文继续。"]
    assert doc.tables[0].rows[3][1].src == {"line": 5}


def test_markdown_tables_skip_separators_and_end_at_blank_lines() -> None:
    src = (
        "# 某县2025年政府信息公开工作年度报告\n\n| 信息内容 | 本年制发件数 |\n|---|:---:|\n"
        "| 规章 | 6 |\n|---|---|\n| 规范性文件 | 32 |\n\n| 行政许可 | 517645 |\n"
    )
    doc = text.read(src.encode())
    assert [t.texts() for t in doc.tables] == [
        [["信息内容", "本年制发件数"], ["规章", "6"], ["规范性文件", "32"]],
        [["行政许可", "517645"]],
    ]
    assert doc.paragraphs[0].text == "某县2025年政府信息公开工作年度报告"
    assert [t.src["table_idx"] for t in doc.tables] == [0, 1]


def test_tab_separated_rows() -> None:
    doc = text.read("表二\n信息内容\t本年处理决定数量\n行政处罚\t9\n\t0\n结束\n".encode())
    assert doc.tables[0].texts() == [["信息内容", "本年处理决定数量"], ["行政处罚", "9"], ["", "0"]]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("", Kind.BLANK), ("\t", Kind.CELL), ("\t规章", Kind.CELL), ("规章\t0\t0", Kind.TSV),
        ("|---|---|", Kind.SEP), ("a | b", Kind.PLAIN), ("a | b |", Kind.PIPE), ("正文", Kind.PLAIN),
    ],
)  # fmt: skip
def test_classify_line(line: str, kind: Kind) -> None:
    assert classify_line(line) is kind


def test_split_pipe_row() -> None:
    assert split_pipe_row("| a | b |") == ["a", "b"]
    assert split_pipe_row("a | |||") == ["a", "", "", ""]


def test_gb18030_text_and_bom() -> None:
    body = "一、总体情况\n\t行政许可\n\t600\n"
    assert text.read(body.encode("gb18030")).tables[0].texts() == [["行政许可", "600"]]
    assert text.read(b"\xef\xbb\xbf" + body.encode()).paragraphs[0].text == "一、总体情况"


def test_empty_and_binary_text_are_unreadable() -> None:
    with pytest.raises(UnreadableInput, match="empty"):
        text.read(b"\n \n")
    with pytest.raises(UnreadableInput, match="binary"):
        text.read(b"abc\x00\x00def")


@needs_shared
def test_seed_report() -> None:
    doc = text.read((SHARED / "seed-report.txt").read_bytes())
    t2, t3, t4 = doc.tables
    assert ["行政许可", "600", "", ""] in t2.texts()
    assert ["行政事业性收费", "26.815", "", ""] in t2.texts()
    new = next(r for r in t3.texts() if r[0].startswith("一、本年新收"))
    assert new[1:8] == ["0"] * 7  # " 0" cleaned, the [bookmark: _GoBack] artefact stripped
    assert t3.rows[7][1].text == "（三）\n不予\n公开"
    assert t4.n_cols == 15
    assert doc.paragraphs[0].text == "宁波市镇海区人力资源和社会保障局"


@needs_shared
def test_corpus_text_shapes() -> None:
    raw = SHARED / "corpus/raw"
    yangling = text.read((raw / "030_yangling_audit_2022.txt").read_bytes())
    assert yangling.tables[0].texts()[3] == ["行政规范性文件", "0", "0", "0"]
    md = text.read((raw / "008_shuyang_county2025.txt").read_bytes())
    assert md.tables[0].texts()[2] == ["行政规范性文件", "6", "1", "32"]
