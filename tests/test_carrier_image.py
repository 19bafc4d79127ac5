"""OCR carrier (`parsers.carriers.image`, `parsers.ocr`): grids rebuilt from synthetic images.

Images are drawn in memory with Pillow and the Noto CJK font (Debian ``fonts-noto-cjk``): ruled tables
with merged cells, an unruled table, noise and skew. The grid stages are tested without OCR (fast);
the end-to-end tests run the real engine on small images.
"""

from __future__ import annotations

import io
import socket

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from parsers.carriers import CARRIERS, load, sniff
from parsers.checks import CLEAN_FLAGS, run_checks
from parsers.document import Document
from parsers.errors import LimitExceeded, UnreadableInput
from parsers.ocr import OcrSettings, engine
from parsers.ocr.grid import char_height, find_grids
from parsers.ocr.page import fix_digits
from parsers.ocr.preprocess import decode_frames, prepare
from parsers.report import parse_document
from parsers.tables import _cell
from parsers.values import parse_value

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def draw(rows: list[list[tuple[str, int, int]]], *, ruled: bool = True, col_w: int = 150, row_h: int = 56,
         px: int = 24, noise: float = 0.0, skew: float = 0.0) -> Image.Image:  # fmt: skip
    """A table picture. `rows` lists origin cells (text, rowspan, colspan) like HTML."""
    font = ImageFont.truetype(FONT, px)
    occupied: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs in row:
            while (r, c) in occupied:
                c += 1
            placed.append((r, c, rs, cs, text))
            for dr in range(rs):
                for dc in range(cs):
                    occupied.add((r + dr, c + dc))
            c += cs
    n_cols = max(c for _, c in occupied) + 1
    widths = [col_w * 2] + [col_w] * (n_cols - 1)
    xs = [40]
    for w in widths:
        xs.append(xs[-1] + w)
    img = Image.new("L", (xs[-1] + 40, 40 + row_h * len(rows) + 40), 255)
    d = ImageDraw.Draw(img)
    for r, c, rs, cs, text in placed:
        x0, y0, x1, y1 = xs[c], 40 + r * row_h, xs[c + cs], 40 + (r + rs) * row_h
        if ruled:
            d.rectangle((x0, y0, x1, y1), outline=0, width=2)
        tw = d.textlength(text, font=font)
        d.text((x0 + (x1 - x0 - tw) / 2, (y0 + y1) / 2 - px * 0.65), text, font=font, fill=0)
    if skew:
        img = img.rotate(skew, expand=True, fillcolor=255)
    if noise:
        a = np.array(img)
        rng = np.random.default_rng(7)
        mask = rng.random(a.shape) < noise
        a[mask] = rng.choice([0, 255], size=int(mask.sum()))
        img = Image.fromarray(a)
    return img


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


T4 = [
    [("行政复议", 1, 3), ("行政诉讼", 1, 2)],
    [("结果维持", 1, 1), ("结果纠正", 1, 1), ("总计", 1, 1), ("维持", 1, 1), ("总计", 1, 1)],
    [("3", 1, 1), ("12", 1, 1), ("15", 1, 1), ("105", 1, 1), ("0", 1, 1)],
]
MERGED = [
    [("项目", 2, 1), ("申请人情况", 1, 3)],
    [("自然人", 1, 1), ("商业企业", 1, 1), ("总计", 1, 1)],
    [("本年新收", 1, 1), ("7", 1, 1), ("28", 1, 1), ("35", 1, 1)],
    [("上年结转", 1, 1), ("0", 1, 1), ("1", 1, 1), ("1", 1, 1)],
]


# ---- grid stages (no OCR) -------------------------------------------------------------------------


def test_ruled_grid_finds_rows_columns_and_merges() -> None:
    p = prepare(draw(MERGED))
    grids, _ = find_grids(p.ink, char_height(p.ink))
    assert len(grids) == 1
    g = grids[0]
    assert (g.n_rows, g.n_cols) == (4, 4)
    spans = {(c.row, c.col): (c.rowspan, c.colspan) for c in g.cells}
    assert spans[(0, 0)] == (2, 1)  # 项目 spans two rows
    assert spans[(0, 1)] == (1, 3)  # 申请人情况 spans three columns
    assert spans[(2, 1)] == (1, 1)
    assert len(g.cells) == 1 + 1 + 3 + 4 + 4


def test_noise_and_skew_do_not_break_the_grid() -> None:
    p = prepare(draw(MERGED, noise=0.02, skew=1.2))
    assert abs(p.skew_deg) > 0.5  # the page was straightened
    grids, _ = find_grids(p.ink, char_height(p.ink))
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (4, 4)


def test_text_without_rules_makes_no_ruled_grid() -> None:
    p = prepare(draw(MERGED, ruled=False))
    grids, _ = find_grids(p.ink, char_height(p.ink))
    assert grids == []


def test_fix_digits_only_touches_numbers() -> None:
    assert fix_digits("1O5") == "105"
    assert fix_digits("l2") == "12"
    assert fix_digits("其他") == "其他"
    assert fix_digits("O") == "O"  # no digit at all: not a number, left alone


# ---- bad input --------------------------------------------------------------------------------------


def test_truncated_image_is_unreadable() -> None:
    data = png(draw(T4))
    with pytest.raises(UnreadableInput, match="image"):
        CARRIERS["image"](data[: len(data) // 3])


def test_pixel_cap_is_checked_before_decoding() -> None:
    with pytest.raises(LimitExceeded, match="max_pixels"):
        decode_frames(png(draw(T4)), max_pixels=10_000, max_frames=5)


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match=r"OcrSettings\.max_pages"):
        OcrSettings(max_pages=0)
    with pytest.raises(ValueError, match=r"OcrSettings\.median"):
        OcrSettings(median="yes")  # type: ignore[arg-type]


# ---- flags and checks -------------------------------------------------------------------------------


def test_ocr_confidence_becomes_the_ocr_flag() -> None:
    got = _cell(parse_value("12"), {"ocr_conf": 0.8731})
    assert got["flag"] == "ocr" and got["value"] == 12 and "0.873" in got["note"]
    assert _cell(parse_value("—"), {"ocr_conf": 0.99})["flag"] == "ocr"  # an OCR dash is a guess too
    assert _cell(parse_value("12"), {})["flag"] == "ok"


def test_failed_check_on_ocr_cells_is_extraction_suspect() -> None:
    keys = ("upheld", "corrected", "other", "pending", "total")
    cells = {
        f"review.{k}": {"value": v, "raw": str(v), "flag": "ocr"}
        for k, v in zip(keys, (1, 2, 3, 4, 99), strict=True)
    }
    results = [
        r.to_dict() if hasattr(r, "to_dict") else dict(r) for r in run_checks(cells, format_version="gov2021")
    ]
    rev = [r for r in results if r["rule"] == "T4-REV"]
    assert rev and rev[0]["status"] == "FAIL" and rev[0]["kind"] == "extraction_suspect"


# ---- end to end with the OCR engine -------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket connect or RapidOCR download fails the test: the engine must work offline."""
    from rapidocr.utils import download_file

    def refuse(*_a, **_k):
        raise AssertionError("OCR tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(download_file.DownloadFile, "run", classmethod(refuse))
    monkeypatch.setattr(engine, "_engine", None)  # build a fresh engine under the guard


@pytest.mark.slow
def test_ruled_image_to_table_offline(no_network: None) -> None:
    data = png(draw(MERGED))
    assert sniff(data) == "image"
    doc = load(data)
    assert doc.kind == "image" and len(doc.tables) == 1
    t = doc.tables[0]
    assert t.texts() == [
        ["项目", "申请人情况", "申请人情况", "申请人情况"],
        ["项目", "自然人", "商业企业", "总计"],
        ["本年新收", "7", "28", "35"],
        ["上年结转", "0", "1", "1"],
    ]
    assert t.rows[1][0].span_of == (0, 0) and t.rows[0][2].span_of == (0, 1)
    for row in t.rows:
        for c in row:
            assert 0.5 <= c.src["ocr_conf"] <= 1.0


@pytest.mark.slow
def test_noisy_skewed_ruled_image() -> None:
    doc = CARRIERS["image"](png(draw(T4, noise=0.02, skew=-0.8)))
    assert doc.tables[0].texts()[2] == ["3", "12", "15", "105", "0"]


@pytest.mark.slow
def test_unruled_image_is_clustered_into_rows_and_columns() -> None:
    rows = [[("项目", 1, 1), ("自然人", 1, 1), ("法人", 1, 1), ("总计", 1, 1)],
            [("本年新收", 1, 1), ("7", 1, 1), ("28", 1, 1), ("35", 1, 1)],
            [("上年结转", 1, 1), ("0", 1, 1), ("1", 1, 1), ("1", 1, 1)],
            [("予以公开", 1, 1), ("5", 1, 1), ("20", 1, 1), ("25", 1, 1)]]  # fmt: skip
    doc = CARRIERS["image"](png(draw(rows, ruled=False)))
    assert len(doc.tables) == 1
    t = doc.tables[0]
    assert t.src.get("unruled") is True
    assert t.texts()[1:] == [
        ["本年新收", "7", "28", "35"],
        ["上年结转", "0", "1", "1"],
        ["予以公开", "5", "20", "25"],
    ]


@pytest.mark.slow
def test_ocr_cells_reach_the_result_flagged() -> None:
    """Every mapped OCR cell keeps its confidence and a doubtful flag (``ocr``, or an already doubtful
    one such as ``position``): never a clean flag."""
    doc = CARRIERS["image"](png(draw(T4)))
    res = parse_document(Document(kind="image", blocks=doc.blocks))
    assert res.report["source_kind"] == "image"
    mapped = {k: c for k, c in res.cells.items() if c["flag"] != "derived"}
    assert mapped["review.corrected"]["value"] == 12
    for key, cell in mapped.items():
        assert cell["flag"] not in CLEAN_FLAGS and "ocr_conf" in cell["src"], (key, cell)
