"""Glyph-size driven upscaling of OCR pages (`parsers.ocr.preprocess`): small print is enlarged before OCR.

Why these tests: width alone does not tell whether a page is readable — an A4 scan at 150 dpi in 8 pt
is 1240 px wide (no width upscale) yet its glyphs are 17 px, which the cell-line splitting and the
recogniser misread (``scan_tiff_small_font`` in `tests/test_forge_scan.py` went 10% → 100% right).
The pieces are tested on synthetic pictures drawn with Pillow and the Noto CJK font: the glyph-height
estimate, the factor rule and its caps, and that boxes found on the scaled page map back to input
pixels through ``Prepared.scale`` (the grid stages without OCR are fast; one end-to-end test runs the
real engine on a small page).
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from parsers.ocr import ocr_image
from parsers.ocr import preprocess as pp
from parsers.ocr.grid import char_height, find_grids
from parsers.ocr.preprocess import glyph_height, prepare, upscale_factor

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
PAGE_W = 1600  # wider than UPSCALE_BELOW_WIDTH: only the glyph rule can ask for an upscale
ROWS = [["项目", "本年新收", "上年结转"], ["自然人", "7295", "0"], ["法人或其他组织", "71", "38"]]


def text_page(px: int, width: int = PAGE_W) -> np.ndarray:
    """Lines of mixed CJK text and digits at font size `px` on a white page (grayscale array)."""
    font = ImageFont.truetype(FONT, px)
    img = Image.new("L", (width, px * 20), 255)
    d = ImageDraw.Draw(img)
    for i in range(12):
        line = f"本年度政府信息公开工作{i}年报告统计 7295 第二十条"
        d.text((40, 30 + i * int(px * 1.5)), line, font=font, fill=0)
    return np.asarray(img)


def table_page(px: int, origin: tuple[int, int] = (120, 200)) -> tuple[Image.Image, tuple[int, ...]]:
    """A ruled 3×3 table in font size `px` on a wide page → (page, the table's outer box in page pixels)."""
    font = ImageFont.truetype(FONT, px)
    col_w = [px * 9, px * 6, px * 6]
    row_h = int(px * 2.4)
    x0, y0 = origin
    xs = [x0]
    for w in col_w:
        xs.append(xs[-1] + w)
    img = Image.new("L", (PAGE_W, y0 + row_h * len(ROWS) + 300), 255)
    d = ImageDraw.Draw(img)
    for r, row in enumerate(ROWS):
        for c, text in enumerate(row):
            box = (xs[c], y0 + r * row_h, xs[c + 1], y0 + (r + 1) * row_h)
            d.rectangle(box, outline=0, width=2)
            tw = d.textlength(text, font=font)
            d.text(((box[0] + box[2] - tw) / 2, (box[1] + box[3]) / 2 - px * 0.65), text, font=font, fill=0)
    return img, (xs[0], y0, xs[-1], y0 + row_h * len(ROWS))


@pytest.mark.parametrize("px", [12, 17, 22, 34])
def test_glyph_height_follows_the_font_size(px: int) -> None:
    g = glyph_height(text_page(px))
    assert 0.7 * px <= g <= 1.05 * px, (px, g)


def test_glyph_height_is_proportional() -> None:
    small, big = glyph_height(text_page(14)), glyph_height(text_page(28))
    assert 1.7 <= big / small <= 2.3, (small, big)


def test_factor_rules_and_caps() -> None:
    target, small = pp.TARGET_CHAR_PX, pp.SMALL_CHAR_PX
    # a wide page with big glyphs: nothing to do
    assert upscale_factor((3000, 2480), 40.0) == 1.0
    # normal print on a wide page: left alone (the glyph rule is for small print only)
    assert upscale_factor((3000, 1500), small + 1) == 1.0
    # the width rule alone (a screenshot with normal glyphs)
    assert upscale_factor((900, 700), small + 1) == pytest.approx(pp.UPSCALE_BELOW_WIDTH / 700)
    # the glyph rule alone: a wide page in small print reaches the target glyph height
    assert upscale_factor((1754, 1500), 15.0) == pytest.approx(target / 15.0)
    # the larger of the two wins
    assert upscale_factor((900, 1300), 12.0) == pytest.approx(target / 12.0)
    assert upscale_factor((900, 700), small - 1) == pytest.approx(pp.UPSCALE_BELOW_WIDTH / 700)
    # caps: the factor, then the pixel budget (a very long small-print screenshot)
    assert upscale_factor((2000, 1500), 4.0) == pp.UPSCALE_MAX_FACTOR
    long_page = (20_000, 1500)  # 30 MP: the budget allows ×1.15 only
    f = upscale_factor(long_page, 12.0)
    assert 1.0 < f < target / 12.0
    assert f * f * long_page[0] * long_page[1] <= pp.UPSCALE_MAX_PIXELS * 1.0001
    assert upscale_factor((60_000, 1500), 12.0) == 1.0  # already above the budget: never shrunk


def test_small_print_page_is_scaled_to_the_target_glyph() -> None:
    img, _ = table_page(13)
    p = prepare(img)
    assert p.scale > 1.5  # 1600 px wide: only the glyph rule asks for this
    assert char_height(p.ink) >= 0.8 * pp.TARGET_CHAR_PX
    assert p.gray.shape[1] == round(PAGE_W * p.scale) or abs(p.gray.shape[1] - PAGE_W * p.scale) <= 1


def test_normal_print_page_is_left_alone() -> None:
    img, _ = table_page(34)
    p = prepare(img)
    assert p.scale == 1.0 and p.gray.shape == (img.height, img.width)


@pytest.mark.parametrize("px", [12, 16])
def test_grid_found_on_the_scaled_page_maps_back_to_input_pixels(px: int) -> None:
    img, (x0, y0, x1, y1) = table_page(px)
    p = prepare(img)
    grids, _ = find_grids(p.ink, char_height(p.ink))
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (3, 3)
    bx0, by0, bx1, by1 = (v / p.scale for v in grids[0].bbox)
    for got, want in ((bx0, x0), (by0, y0), (bx1, x1), (by1, y1)):
        assert abs(got - want) <= 4, (grids[0].bbox, p.scale, (x0, y0, x1, y1))


def test_thin_strokes_of_small_glyphs_survive_the_median() -> None:
    """Strokes 1 px wide (small print: the stem of a 7 or 1) vanish under a 3×3 median at the input
    resolution; `prepare` upscales such pages first, so they survive it."""
    img, _ = table_page(12)
    d = ImageDraw.Draw(img)
    strokes = [(1300 + 20 * i, 300) for i in range(5)]
    for x, y in strokes:
        d.line((x, y, x, y + 11), fill=0, width=1)
    p = prepare(img, deskew=False)
    assert p.scale > 1.0

    def ink_near(x: int, y0: int, y1: int) -> int:
        s = p.scale
        return int((p.ink[int(y0 * s) : int(y1 * s) + 1, int((x - 2) * s) : int((x + 3) * s)] > 0).sum())

    for x, y in strokes:
        assert ink_near(x, y + 2, y + 9) >= 6 * p.scale, (x, y)  # the stroke's middle is kept


@pytest.mark.slow
def test_small_print_table_reads_right_with_boxes_in_input_pixels() -> None:
    img, (x0, y0, x1, y1) = table_page(13)
    page = ocr_image(img, 0, unit=1.0)
    tables = [b for _, b in page.blocks if hasattr(b, "rows")]
    assert len(tables) == 1
    t = tables[0]
    assert [[c.text for c in row] for row in t.rows][1:] == [r for r in ROWS[1:]]
    bx0, by0, bx1, by1 = t.src["bbox"]
    assert abs(bx0 - x0) <= 4 and abs(by0 - y0) <= 4 and abs(bx1 - x1) <= 4 and abs(by1 - y1) <= 4
    cell = t.rows[1][1]  # "7295": its box lies inside its drawn cell, in input pixels
    cx0, cy0, cx1, cy1 = cell.src["bbox"]
    assert x0 + 13 * 9 - 4 <= cx0 < cx1 <= x0 + 13 * 15 + 4 and y0 + 31 - 4 <= cy0 < cy1 <= y0 + 62 + 4
