"""`parsers.ocr.unruled`: unruled table grids rebuilt from synthetic text boxes (no OCR, fast).

Boxes are laid out the way a detector reports a borderless table: numbers centred in their columns,
long labels wrapped over two lines with the row's figures centred between them, merged headers
centred over (and narrower than) the columns they span, rowspan headers between two header lines.
The grids are then handed to `parsers.tables.extract_tables`, the mapping ruled tables go through.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from parsers.document import Document, Paragraph
from parsers.ocr.engine import TextBox
from parsers.ocr.page import unruled_table
from parsers.ocr.unruled import (
    UnruledTable,
    find_tables,
    line_rows,
    looks_like_slash,
    value_columns,
    value_ink_box,
)
from parsers.tables import extract_tables
from tests.forge.render_scan import FONT_PATH

H = 28  # box height (px)
GLYPH = 26  # CJK glyph width (px)
DIGIT = 14


def box(text: str, x: float, y: float, *, centre: bool = True, conf: float = 0.99) -> TextBox:
    """A detected line: `x` is its centre (or left edge with ``centre=False``), `y` its top."""
    w = sum(DIGIT if ch.isascii() else GLYPH for ch in text)
    x0 = x - w / 2 if centre else x
    return TextBox(x0, y, x0 + w, y + H, text, conf)


T4_COLS = [470, 570, 670, 770, 870]  # column centres of a transposed table 四
T4_HEAD = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def t4_boxes(top: float, values: list[list[str]]) -> list[TextBox]:
    """A transposed table 四 (3 groups × 5 columns) whose first label column holds 行政诉讼 over two rows."""
    out = [box(h, x, top) for h, x in zip(T4_HEAD, T4_COLS, strict=True)]
    labels = [("行政复议", 300), ("未经复议直接起诉", 300), ("复议后起诉", 300)]
    for r, ((label, lx), row) in enumerate(zip(labels, values, strict=True)):
        y = top + 60 * (r + 1)
        out.append(box(label, lx, y))
        out += [box(v, x, y) for v, x in zip(row, T4_COLS, strict=True) if v]
    out.append(box("行政诉讼", 150, top + 150))  # rowspan 2, centred between its two rows
    return out


def grid_of(boxes: list[TextBox]) -> tuple[list[UnruledTable], list[TextBox]]:
    return find_tables(boxes)


def test_columns_come_from_the_gaps_between_value_stacks() -> None:
    # right-aligned numbers of different widths stack into one column each
    boxes = []
    for r, (a, b) in enumerate([("5", "12"), ("1234", "7"), ("76.5", "300")]):
        y = 100 + 50 * r
        boxes.append(box(f"行{r}标签", 80, y, centre=False))
        boxes.append(TextBox(400 - DIGIT * len(a), y, 400, y + H, a, 1.0))
        boxes.append(TextBox(600 - DIGIT * len(b), y, 600, y + H, b, 1.0))
    bands = value_columns(line_rows(boxes, H), H)
    assert len(bands) == 2
    assert bands[0][1] < 600 - DIGIT * 3 and bands[1][0] > 400  # the boundary lies in the gap
    assert bands[0][0] > 80 + 4 * GLYPH  # the labels are left of the first value column


def test_transposed_table_four_maps_every_cell() -> None:
    values = [["0", "1", "无", "0", "1"], ["2", "0", "", "0", "2"], ["0", "0", "3", "0", "3"]]
    boxes = [box("四、政府信息公开行政复议、行政诉讼情况", 60, 20, centre=False), *t4_boxes(100, values)]
    tables, rest = grid_of(boxes)
    assert [b.text for b in rest] == ["四、政府信息公开行政复议、行政诉讼情况"]  # the heading stays prose
    (t,) = tables
    grid = t.texts()
    assert t.n_cols == t.n_label + 5
    assert grid[0][t.n_label :] == T4_HEAD
    assert [row[t.n_label :] for row in grid[1:]] == values
    assert "行政诉讼" in grid[2][: t.n_label] and "未经复议直接起诉" in grid[2][: t.n_label]
    # value cells are marked for re-reading with a box inside their column band
    cell = next(c for c in t.cells if c.row == 2 and c.col == t.n_label + 2)
    assert cell.reread and cell.text == "" and cell.box is not None
    a, z = t.bands[2]
    assert a <= cell.box[0] and cell.box[2] <= z
    _top, table = unruled_table(t, [(c.text, c.conf) for c in t.cells], 1, 1.0)
    assert all("ocr_conf" in c.src for row in table.rows for c in row)
    ex = extract_tables(Document("image", [Paragraph("四、政府信息公开行政复议、行政诉讼情况"), table]))
    got = {k: v["value"] for k, v in ex.cells.items()}
    assert got["review.upheld"] == 0 and got["review.corrected"] == 1 and got["review.total"] == 1
    assert got["litigation.direct.upheld"] == 2 and got["litigation.direct.other"] is None
    assert got["litigation.after_review.other"] == 3 and got["litigation.after_review.total"] == 3
    assert all(v["flag"] == "ocr" for v in ex.cells.values())


T3_COLS = [700, 790, 880, 980, 1090, 1190, 1270]
T3_SUBS = ["商业企业", "科研机构", "社会公益", "法律服务", "其他"]


def t3_boxes() -> list[TextBox]:
    """The head of table 三 and four data rows, one with a label wrapped over two lines."""
    out = [
        box("申请人情况", 985, 100),  # colspan 7, centred
        box("法人或其他组织", 1010, 150),  # colspan 5 over the organisations
        box("（本列数据的勾稽关系为：第一项加第二项之和，", 100, 150, centre=False),
        box("自然人", T3_COLS[0], 185),  # rowspan 2: between the two lower header lines
        box("总计", T3_COLS[6], 185),
        *(box(s, x, 215) for s, x in zip(T3_SUBS, T3_COLS[1:6], strict=True)),
    ]
    rows = [
        ("一、本年新收政府信息公开申请数量", ["3", "1", "0", "0", "0", "0", "4"]),
        ("二、上年结转政府信息公开申请数量", ["0", "", "0", "0", "无", "0", "0"]),
        ("（一）予以公开", ["2", "1", "0", "0", "0", "0", "3"]),
        ("（二）部分公开（区分处理的，只计|这一情形，不计其他情形）", ["1", "0", "0", "0", "0", "0", "1"]),
        ("四、结转下年度继续办理", ["0", "0", "0", "0", "0", "0", "0"]),
    ]
    y = 280
    for label, vals in rows:
        parts = label.split("|")
        if len(parts) == 2:  # wrapped: two label lines, the figures centred between them
            out += [box(parts[0], 260, y, centre=False), box(parts[1], 260, y + 32, centre=False)]
            out += [box(v, x, y + 16) for v, x in zip(vals, T3_COLS, strict=True) if v]
            y += 100
        else:
            out.append(box(label, 90, y, centre=False))
            out += [box(v, x, y) for v, x in zip(vals, T3_COLS, strict=True) if v]
            y += 60
    return out


def test_table_three_header_merges_and_wrapped_labels() -> None:
    (t,), rest = grid_of(t3_boxes())
    assert not rest
    grid = t.texts()
    n = t.n_label
    assert t.n_cols == n + 7
    body = [r for r in grid if any(x.isdigit() for x in r[n:])]
    assert len(body) == 5  # the wrapped label is one row, not two
    wrapped = body[3]
    assert "部分公开" in "".join(wrapped[:n]) and "不计其他情形" in "".join(wrapped[:n])
    assert wrapped[n:] == ["1", "0", "0", "0", "0", "0", "1"]
    assert body[1][n:] == ["0", "", "0", "0", "无", "0", "0"]  # a missing figure stays in its column
    # headers: each label in its own column, the merged 法人或其他组织 kept whole
    heads = [r[n:] for r in grid[: grid.index(body[0])]]
    assert any(r[0] == "自然人" and r[6] == "总计" for r in heads)
    assert any(r[1:6] == T3_SUBS for r in heads)
    assert any("法人或其他组织" in r for r in heads)
    _top, table = unruled_table(t, [(c.text, c.conf) for c in t.cells], 1, 1.0)
    ex = extract_tables(Document("image", [table]))
    got = {k: v["value"] for k, v in ex.cells.items()}
    assert got["applications.new.natural_person"] == 3 and got["applications.new.total"] == 4
    assert got["applications.carried_over.commercial"] is None  # blank, never 0
    assert got["applications.carried_over.legal_service"] == 0  # 无 reads as zero text
    assert got["applications.partial.natural_person"] == 1 and got["applications.partial.total"] == 1
    assert got["applications.carried_forward.total"] == 0


def test_header_box_over_two_columns_is_split_but_a_merged_header_is_not() -> None:
    boxes = [box("第二十条第（一）项", 620, 40)]
    cols = [450, 640, 800]
    # the detector joined two neighbouring headers into one box
    joined = "本年废止件数现行有效件数"
    x0 = cols[1] - 3 * GLYPH
    boxes.append(TextBox(x0, 100, x0 + 12 * GLYPH + (cols[2] - cols[1] - 6 * GLYPH), 100 + H, joined, 0.99))
    boxes += [box("信息内容", 150, 100), box("本年制发件数", cols[0], 100)]
    for r, (label, vals) in enumerate([("规章", ["5", "0", "5"]), ("行政规范性文件", ["0", "0", "4"])]):
        y = 160 + 60 * r
        boxes.append(box(label, 150, y))
        boxes += [box(v, x, y) for v, x in zip(vals, cols, strict=True)]
    (t,), _ = grid_of(boxes)
    grid = t.texts()
    assert grid[1][t.n_label :] == ["本年制发件数", "本年废止件数", "现行有效件数"]
    ex = extract_tables(Document("image", [unruled_table(t, [(c.text, c.conf) for c in t.cells], 1, 1.0)[1]]))
    assert ex.cells["active.regulations.repealed"]["value"] == 0
    assert ex.cells["active.normative_docs.in_force"]["value"] == 4
    assert ex.cells["active.regulations.in_force"]["flag"] == "ocr"  # columns by header, not position


def test_prose_and_lone_numbers_make_no_table() -> None:
    boxes = [
        box("2025年，本机关共收到申请12件，办结12件，工作平稳有序。", 70, 100, centre=False),
        box("（1）主动公开", 90, 160, centre=False),
        box("3", 620, 1500),  # a page number
    ]
    tables, rest = grid_of(boxes)
    assert tables == [] and len(rest) == 3


def test_two_tables_apart_stay_two_tables() -> None:
    values = [["0", "1", "0", "0", "1"], ["2", "0", "0", "0", "2"], ["0", "0", "3", "0", "3"]]
    boxes = t3_boxes()
    bottom = max(b.y1 for b in boxes)
    heading = box("四、政府信息公开行政复议、行政诉讼情况", 60, bottom + 6 * H, centre=False)
    boxes += [heading, *t4_boxes(bottom + 8 * H, values)]
    tables, rest = grid_of(boxes)
    assert [t.n_cols - t.n_label for t in tables] == [7, 5]
    assert [b.text for b in rest] == [heading.text]


def test_a_column_without_figures_is_kept_from_its_header() -> None:
    """Every 商业企业 cell is a dash the detector did not report: the header still names the column,
    so the figures to its right are not shifted one column left."""
    values = [["0", "", "1", "0", "1"], ["2", "", "0", "0", "2"], ["0", "", "3", "0", "3"]]
    (t,), _ = grid_of(t4_boxes(100, values))
    assert len(t.bands) == 5
    grid = t.texts()
    assert [row[t.n_label :] for row in grid[1:]] == values
    blank = next(c for c in t.cells if c.row == 1 and c.col == t.n_label + 1)
    assert blank.reread  # the page stage reads the dash from the image


def _glyph_ink(ch: str, px: int = 22) -> np.ndarray:
    """A glyph drawn with the scans' font at `px`, as a binary ink array with a white margin."""
    font = ImageFont.truetype(FONT_PATH, px)
    img = Image.new("L", (4 * px, 3 * px), 255)
    ImageDraw.Draw(img).text((px, px // 2), ch, font=font, fill=0)
    return (np.asarray(img) < 128).astype(np.uint8) * 255


def test_a_slash_read_as_one_is_told_apart_by_its_lean() -> None:
    for px in (17, 22, 30):
        assert looks_like_slash(_glyph_ink("/", px))
        assert not looks_like_slash(_glyph_ink("1", px))
        assert not looks_like_slash(_glyph_ink("7", px))


def test_value_ink_box_keeps_thin_strokes_and_ignores_a_neighbour() -> None:
    ink = np.zeros((60, 200), dtype=np.uint8)
    seven = _glyph_ink("7")
    ys, xs = np.nonzero(seven)
    crop = seven[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    ink[20 : 20 + crop.shape[0], 90 : 90 + crop.shape[1]] = crop
    ink[25:35, 0:30] = 255  # the end of a label running into the band's left edge
    got = value_ink_box(ink, (10, 5, 190, 55))
    assert got is not None
    want = (90, 20, 90 + crop.shape[1], 20 + crop.shape[0])
    assert all(abs(g - w) <= 1 for g, w in zip(got, want, strict=True))  # the whole 7, diagonal included
    assert value_ink_box(np.zeros((60, 200), dtype=np.uint8), (10, 5, 190, 55)) is None


def test_a_lone_zero_read_as_the_letter_o_still_makes_a_value_row() -> None:
    """行政许可 | O: the row is a value row (its cell re-read), not a header row keeping the letter."""
    cols = [450]
    boxes = [box("信息内容", 150, 100), box("本年处理决定数量", cols[0], 100)]
    for r, (label, v) in enumerate([("行政处罚", "O"), ("行政强制", "12")]):
        boxes += [box(label, 150, 160 + 60 * r), box(v, cols[0], 160 + 60 * r)]
    (t,), _ = grid_of(boxes)
    cell = next(c for c in t.cells if c.row == 1 and c.col == t.n_label)
    assert cell.reread and cell.text == "O"
