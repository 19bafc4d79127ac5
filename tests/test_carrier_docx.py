"""DOCX carrier: merged cells (gridSpan / vMerge), body order, layout tables, corrupt packages."""

from __future__ import annotations

import io

import docx as python_docx
import pytest

from parsers.carriers import docx
from parsers.document import Paragraph, Table
from parsers.errors import UnreadableInput


def save(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def table3_docx() -> bytes:
    d = python_docx.Document()
    d.core_properties.title = "某局2023年政府信息公开工作年度报告"
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    t = d.add_table(rows=5, cols=5)
    t.cell(0, 0).merge(t.cell(1, 1)).text = "（本列数据的勾稽关系）"  # 2x2 block
    t.cell(0, 2).merge(t.cell(0, 4)).text = "申请人情况"  # gridSpan=3
    for c, label in zip((2, 3, 4), ("自然人", "商业\n企业", "总计"), strict=True):
        t.cell(1, c).text = label
    t.cell(2, 0).merge(t.cell(4, 0)).text = "三、本年度办理结果"  # vMerge restart/continue
    for r, label, values in ((2, "（一）予以公开", ("10", "2", "12")), (3, "（二）部分公开", ("1", "0", "1")),
                             (4, "（三）不予公开", ("0", "0", "0"))):  # fmt: skip
        t.cell(r, 1).text = label
        for c, v in zip((2, 3, 4), values, strict=True):
            t.cell(r, c).text = v
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    d.add_table(rows=1, cols=2).rows[0].cells[0].text = "行政复议"
    return save(d)


def test_merges_expand_to_full_grid_with_span_of() -> None:
    doc = docx.read(table3_docx())
    t = doc.tables[0]
    assert t.texts() == [
        ["（本列数据的勾稽关系）", "（本列数据的勾稽关系）", "申请人情况", "申请人情况", "申请人情况"],
        ["（本列数据的勾稽关系）", "（本列数据的勾稽关系）", "自然人", "商业\n企业", "总计"],
        ["三、本年度办理结果", "（一）予以公开", "10", "2", "12"],
        ["三、本年度办理结果", "（二）部分公开", "1", "0", "1"],
        ["三、本年度办理结果", "（三）不予公开", "0", "0", "0"],
    ]
    assert t.rows[0][0].span_of is None and t.rows[1][1].span_of == (0, 0) and t.rows[0][4].span_of == (0, 2)
    assert t.rows[4][0].span_of == (2, 0)
    assert t.rows[3][0].src == {"table": 0, "row": 2, "col": 0}
    assert t.rows[4][3].src == {"table": 0, "row": 4, "col": 3}
    assert t.src["table_idx"] == 0


def test_body_order_interleaves_paragraphs_and_tables() -> None:
    doc = docx.read(table3_docx())
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["Paragraph", "Table", "Paragraph", "Table"]
    assert isinstance(doc.blocks[0], Paragraph) and doc.blocks[0].src == {"paragraph": 0}
    assert isinstance(doc.blocks[3], Table) and doc.blocks[3].texts() == [["行政复议", ""]]
    assert doc.meta["title"] == "某局2023年政府信息公开工作年度报告"


def test_identical_texts_in_adjacent_cells_are_not_merged() -> None:
    d = python_docx.Document()
    t = d.add_table(rows=2, cols=3)
    for r in range(2):
        for c in range(3):
            t.cell(r, c).text = "0"
    doc = docx.read(save(d))
    assert all(c.span_of is None for row in doc.tables[0].rows for c in row)


def test_layout_table_with_nested_table_is_read_as_flow() -> None:
    d = python_docx.Document()
    outer = d.add_table(rows=1, cols=1)
    cell = outer.cell(0, 0)
    cell.paragraphs[0].text = "一、总体情况"
    inner = cell.add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "规章"
    inner.cell(0, 1).text = "5"
    doc = docx.read(save(d))
    assert [p.text for p in doc.paragraphs] == ["一、总体情况"]
    assert [t.texts() for t in doc.tables] == [[["规章", "5"]]]


def test_corrupt_and_truncated_docx_are_unreadable() -> None:
    data = table3_docx()
    with pytest.raises(UnreadableInput, match="docx"):
        docx.read(data[: len(data) // 2])
    with pytest.raises(UnreadableInput, match="docx"):
        docx.read(b"PK\x03\x04 not really a zip")
