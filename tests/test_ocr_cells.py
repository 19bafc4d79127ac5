"""Ruled-cell reading of the OCR path: glyph-complete line crops, specks, value look-alikes.

Why these tests (failure patterns found by ``bench/ocr_bench.py`` over seeds 0–4, fixed in general ways):

- a lone ``1`` in a ruled cell came back ``-``: the cell's row-ink profile drops rows holding only a
  2 px stroke, so the crop held the flag of the 1 alone (`grid.grow_to_components` restores the glyph);
- noisy small print: a one-pixel speck, upscaled, survives the median and is read as ``.`` or ``二``
  beside a figure (`preprocess.despeckle` before upscaling; `grid.cell_lines` drops speck-sized lines);
- a lone ``一`` / ``O`` in a figure column is a dash / a zero, but only in a figure column
  (`page.value_cells`, `page.value_token`, shared with the unruled path).

Synthetic pictures drawn with Pillow and the Noto CJK font; no OCR engine needed.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from parsers.ocr.grid import Grid, GridCell, cell_lines, text_lines
from parsers.ocr.page import value_cells, value_token
from parsers.ocr.preprocess import binarise, despeckle

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def _cell(text: str, px: int = 22, size: tuple[int, int] = (120, 60)) -> np.ndarray:
    img = Image.new("L", size, 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, px)
    w = font.getlength(text)
    d.text(((size[0] - w) / 2, (size[1] - px) / 2 - 2), text, font=font, fill=0)
    return np.asarray(img)


@pytest.mark.parametrize("px", [24, 17])
def test_a_lone_one_is_cropped_whole(px: int) -> None:
    """The profile alone loses the stem of ``1`` (rows of 2 px): at 24 px it keeps the flag only (read
    ``-``), at 17 px nothing (an empty cell); the cell's line covers the whole glyph."""
    gray = _cell("1", px=px)
    ink = binarise(gray)
    ys = np.nonzero(ink.any(axis=1))[0]
    glyph_h = int(ys[-1] - ys[0] + 1)
    profile_only = text_lines(ink, float(px))
    assert all(y1 - y0 < 0.8 * glyph_h for _x0, y0, _x1, y1 in profile_only)  # the failure being fixed
    h, w = gray.shape
    lines = cell_lines(ink, np.zeros_like(ink), (0, 0, w, h), float(px))
    assert len(lines) == 1
    _x0, y0, _x1, y1 = lines[0]
    assert y1 - y0 >= glyph_h - 1


def test_two_lines_stay_two_and_a_dash_stays() -> None:
    gray = np.vstack([_cell("自然人"), _cell("7295")])
    ink = binarise(gray)
    h, w = gray.shape
    assert len(cell_lines(ink, np.zeros_like(ink), (0, 0, w, h), 22.0)) == 2
    dash = np.zeros((60, 120), dtype=np.uint8)
    dash[29:32, 50:64] = 255  # a short, flat dash: far wider than a speck, though not as tall
    assert len(cell_lines(dash, np.zeros_like(dash), (0, 0, 120, 60), 22.0)) == 1


def test_a_speck_cluster_above_a_figure_is_not_a_line() -> None:
    gray = _cell("0", px=30, size=(150, 80)).copy()
    gray[12:14, 40:43] = 0  # a 2×3 cluster of noise, well above the 0 (a 2×2 opening keeps it)
    ink = binarise(gray)
    lines = cell_lines(ink, np.zeros_like(ink), (0, 0, 150, 80), 30.0)
    assert len(lines) == 1
    assert lines[0][1] > 20


def test_despeckle_removes_specks_keeps_dots_and_rules() -> None:
    gray = _cell("3.5", px=17, size=(200, 60)).copy()
    gray[50, 10:190] = 0  # a one-pixel ruling line
    rng = random.Random(7)
    specks = []
    for _ in range(60):
        y, x = rng.randrange(2, 10), rng.randrange(2, 198)
        gray[y, x] = 0
        specks.append((y, x))
    gray[5, 100:102] = 0  # a two-pixel speck
    out = despeckle(gray, 17.0)
    assert all(out[y, x] == 255 for y, x in specks)
    assert (out[5, 100:102] == 255).all()
    assert (out[50, 10:190] == 0).all()
    # the glyphs, the decimal point included, are untouched
    assert (out[15:45] == gray[15:45]).all()
    n, _labels, _stats, _c = cv2.connectedComponentsWithStats(binarise(out)[15:45], connectivity=8)
    assert n - 1 == 3  # 3, the dot, 5


def _grid(texts: list[list[str]]) -> tuple[Grid, list[tuple[str, float]]]:
    n_rows, n_cols = len(texts), len(texts[0])
    rows, cols = list(range(0, 10 * n_rows + 1, 10)), list(range(0, 10 * n_cols + 1, 10))
    g = Grid((0, 0, 10 * n_cols, 10 * n_rows), rows, cols)
    flat = []
    for r, row in enumerate(texts):
        for c, t in enumerate(row):
            g.cells.append(GridCell(r, c, 1, 1, (c * 10, r * 10, c * 10 + 10, r * 10 + 10)))
            flat.append((t, 0.9))
    return g, flat


def test_value_tokens_only_in_figure_cells() -> None:
    rows = [["一", "本年新收", "12"], ["二", "上年结转", "一"], ["三", "办理结果", "O"], ["四", "其他", "7"]]
    g, texts = _grid(rows)
    figures = {(g.cells[i].row, g.cells[i].col) for i in value_cells(g, texts)}
    assert figures == {(0, 2), (1, 2), (2, 2), (3, 2)}  # never the serial numbers left of the labels
    assert value_token("一") == "—" and value_token("O") == "0" and value_token("12") == "12"
    assert value_token("其他") == "其他"


def test_a_value_row_under_single_cell_headers() -> None:
    """Table 四: one value row, each column also holding a header: the row says they are figures."""
    g, texts = _grid([["结果维持", "结果纠正", "尚未审结", "总计"], ["3", "0", "一", "无"]])
    figures = {(g.cells[i].row, g.cells[i].col) for i in value_cells(g, texts)}
    assert figures == {(1, 0), (1, 1), (1, 2), (1, 3)}
