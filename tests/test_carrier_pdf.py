"""PDF carrier: ruled tables built with reportlab (tight multi-digit cells, merges, a table continued
on the next page), corpus PDFs 001/003, and broken files."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, SimpleDocTemplate
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable

from parsers.carriers import pdf
from parsers.errors import LimitExceeded, UnreadableInput
from parsers.limits import Limits

SHARED = Path(__file__).resolve().parents[2] / "shared"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="/work/shared corpus not available")

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
BODY = ParagraphStyle("body", fontName="STSong-Light", fontSize=10.5, leading=16)
GRID = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONT", (0, 0), (-1, -1), "STSong-Light", 9)]


def build_pdf(story: list, **kw) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, topMargin=20 * mm, bottomMargin=20 * mm, **kw).build(story)
    return buf.getvalue()


def ruled(rows: list[list[str]], col_widths: list[float], extra: list | None = None, **kw) -> RLTable:
    return RLTable(rows, colWidths=col_widths, style=GRID + (extra or []), **kw)


def test_tight_multidigit_cells_are_never_split_or_glued() -> None:
    # narrow columns with right-aligned numbers end a few points from the next cell's left-aligned one
    rows = [["信息内容", "甲", "乙", "丙"]] + [[f"第{i}行", "4119", "88283", "3985758"] for i in range(5)]
    data = build_pdf(
        [
            RLParagraph("二、主动公开政府信息情况", BODY),
            ruled(rows, [40 * mm, 16 * mm, 16 * mm, 20 * mm], [("ALIGN", (1, 1), (1, -1), "RIGHT")]),
        ]
    )
    doc = pdf.read(data)
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert table.texts() == rows
    for row in table.rows[1:]:
        for cell in row[1:]:
            assert re.fullmatch(r"\d+", cell.text)
            assert cell.src["page"] == 1 and len(cell.src["bbox"]) == 4
    assert doc.paragraphs[0].text == "二、主动公开政府信息情况"


def test_merged_cells_expand_with_span_of() -> None:
    rows = [
        ["（本列数据的勾稽关系）", "", "申请人情况", ""],
        ["", "", "自然人", "总计"],
        ["三、本年度办理结果", "（一）予以公开", "12", "12"],
        ["", "（二）部分公开", "3", "3"],
    ]
    spans = [("SPAN", (0, 0), (1, 1)), ("SPAN", (2, 0), (3, 0)), ("SPAN", (0, 2), (0, 3))]
    doc = pdf.read(build_pdf([ruled(rows, [40 * mm, 40 * mm, 25 * mm, 25 * mm], spans)]))
    t = doc.tables[0]
    assert t.n_rows == 4 and t.n_cols == 4
    assert t.rows[1][1].text == "（本列数据的勾稽关系）" and t.rows[1][1].span_of == (0, 0)
    assert t.rows[0][3].text == "申请人情况" and t.rows[0][3].span_of == (0, 2)
    assert t.rows[3][0].text == "三、本年度办理结果" and t.rows[3][0].span_of == (2, 0)
    assert [c.text for c in t.rows[3][1:]] == ["（二）部分公开", "3", "3"]
    assert all(c.span_of is None for c in t.rows[2])


def test_table_continued_on_next_page_is_joined_and_repeated_header_dropped() -> None:
    header = ["信息内容", "本年新收", "上年结转", "总计"]
    body = [[f"行{i:02d}", str(100 + i), str(i), str(100 + 2 * i)] for i in range(60)]
    data = build_pdf([RLParagraph("三、收到和处理政府信息公开申请情况", BODY), ruled([header, *body],
                     [45 * mm, 30 * mm, 30 * mm, 30 * mm], repeatRows=1)])  # fmt: skip
    doc = pdf.read(data)
    assert len(doc.tables) == 1, [t.src for t in doc.tables]
    t = doc.tables[0]
    assert t.texts() == [header, *body]
    assert t.src["continued_on"] == [2]
    assert {c.src["page"] for row in t.rows for c in row} == {1, 2}


def test_continuation_without_repeated_header_and_text_between_pages() -> None:
    rows = [[f"项目{i}", str(i * 7), str(i * 11)] for i in range(70)]
    doc = pdf.read(
        build_pdf([ruled(rows, [60 * mm, 30 * mm, 30 * mm]), RLParagraph("六、其他需要报告的事项", BODY)])
    )
    assert len(doc.tables) == 1
    assert doc.tables[0].texts() == rows
    assert doc.paragraphs[-1].text == "六、其他需要报告的事项"


def test_separate_tables_on_pages_with_text_between_stay_separate() -> None:
    a = ruled([["行政复议", "结果维持"], ["1", "2"]], [40 * mm, 40 * mm])
    b = ruled([["行政复议", "结果维持"], ["3", "4"]], [40 * mm, 40 * mm])
    doc = pdf.read(build_pdf([a, RLParagraph("中间的正文。", BODY), PageBreak(), b]))
    assert [t.texts() for t in doc.tables] == [[["行政复议", "结果维持"], ["1", "2"]],
                                               [["行政复议", "结果维持"], ["3", "4"]]]  # fmt: skip


def test_prose_paragraphs_join_wrapped_lines_without_spaces() -> None:
    text = "本报告由某某区人民政府办公室根据《中华人民共和国政府信息公开条例》要求编制。" * 4
    doc = pdf.read(build_pdf([RLParagraph(text, BODY), RLParagraph("一、总体情况", BODY)]))
    assert [p.text for p in doc.paragraphs] == [text, "一、总体情况"]
    assert doc.paragraphs[0].src["page"] == 1


def test_page_cap_from_limits() -> None:
    data = build_pdf([RLParagraph("第一页", BODY), PageBreak(), RLParagraph("第二页", BODY)])
    with pytest.raises(LimitExceeded, match="max_pdf_pages"):
        pdf.read(data, limits=Limits(max_pdf_pages=1))


def test_truncated_pdf_is_unreadable_with_reason() -> None:
    data = build_pdf([RLParagraph("内容", BODY)])
    with pytest.raises(UnreadableInput, match="truncated or corrupt"):
        pdf.read(data[: len(data) // 3])


def test_encrypted_pdf_is_a_clear_error() -> None:
    from reportlab.lib import pdfencrypt

    enc = pdfencrypt.StandardEncryption("secret-user", "secret-owner", canPrint=0)
    data = build_pdf([RLParagraph("机密", BODY)], encrypt=enc)
    with pytest.raises(UnreadableInput, match="encrypted"):
        pdf.read(data)


@needs_shared
@pytest.mark.parametrize(
    ("name", "first_t2_rows", "t3_row_new"),
    [
        ("001_hzq2023.pdf", ["规章", "0", "0", "0"], ["21", "0", "0", "0", "0", "0", "21"]),
        ("003_huaian2024.pdf", ["规章", "1", "0", "11"], ["3001", "53", "0", "0", "61", "4", "3119"]),
    ],
)
def test_corpus_pdfs(name: str, first_t2_rows: list[str], t3_row_new: list[str]) -> None:
    doc = pdf.read((SHARED / "corpus" / "raw" / name).read_bytes())
    t2, t3, t4 = doc.tables
    assert t2.n_cols == 4 and t2.rows[2][0].text == first_t2_rows[0]
    assert [c.text for c in t2.rows[2]] == first_t2_rows
    assert t3.n_cols == 10 and t3.n_rows >= 26  # table 三 joined across the page break
    new = next(row for row in t3.rows if row[0].text.startswith("一、本年新收"))
    assert [c.text for c in new[3:]] == t3_row_new
    assert t4.n_cols == 15
    assert any(p.text.startswith("一、总体情况") for p in doc.paragraphs)
    # the wrapped prose frame is body text, not a one-column table
    assert all(t.n_cols > 1 for t in doc.tables)
