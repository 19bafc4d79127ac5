"""Image clean-up before OCR: decode → grayscale → denoise → upscale → deskew → binarise.

Why each step (applied as median or despeckle, upscale, deskew, binarise; measured on the forge's scans,
``tests/test_forge_scan.py``):

- **upscale**: the recogniser reads 48 px high lines; screenshots of tables often print digits 10–12 px
  high, which it misreads. Images narrower than ``UPSCALE_BELOW_WIDTH`` are scaled up (cubic), and so
  are pages in *small print* whatever their width (8 pt text, a 100 dpi scan): the glyph height is
  measured on the raw page (`glyph_height`) and a page whose glyphs are below ``SMALL_CHAR_PX`` is
  scaled so they reach ``TARGET_CHAR_PX``. Width alone misses these: an A4 page at 150 dpi in 8 pt
  is 1240 px wide with 17 px glyphs, read 11% right at ×1.13 and 100% at ×1.8
  (``scan_tiff_small_font`` in `tests/test_forge_scan.py`). Every later stage works on the scaled
  page; ``Prepared.scale`` maps its pixels (grid and cell boxes) back to the input.
- **median filter**: salt-and-pepper noise from a scanner both breaks ruling lines and adds specks
  the recogniser reads as ``.``/``1``; a 3×3 median removed it (a noisy scan went from 23/35 to 35/35
  digits right in the brief's trial). It runs before upscaling (interpolation would grow specks past
  3×3) unless glyphs are smaller than ``SMALL_CHAR_PX``: their strokes are 1–2 px wide and a 3×3
  median erases them (the "7" of 7295, whole zeros); after upscaling they survive it. The price: a
  one-pixel speck, upscaled, is only partly removed. Growing the kernel with the factor (5×5 at ×1.8)
  removed the specks but also thin ruling lines, so it is not done.
- **despeckle** (small print only, before upscaling): instead, ink components far smaller than a
  stroke are whitened: at most ``SPECK_AREA_CH2`` × glyph height² pixels (2 px at 17 px glyphs,
  3 at 22). Salt-and-pepper specks are 1–2 px there, while the smallest real mark, the dot of ``.``,
  is a solid ~(0.12 × glyph)² (4 px at 17, 6 at 22) and a ruling line is one long component: neither
  is touched. Without it a noisy 17 px scan read specks as ``.`` / ``二`` beside the figures and
  lost whole rows (171/200 cells right on seed 0 of ``scan_tiff_small_noisy``).
- **deskew**: a page fed crooked by a few tenths of a degree makes long ruling lines step across
  rows, so they no longer look like lines to the morphology. The angle maximising the variance of the
  row-ink profile (searched over ±``MAX_SKEW_DEG``) is undone.
- **binarise**: Otsu on the denoised grayscale; ink is 255 in the result (what the morphology wants).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageSequence

from parsers.errors import LimitExceeded, UnreadableInput
from parsers.ocr.grid import char_height

UPSCALE_BELOW_WIDTH = 1400  # px; typical screenshots are 600–1000 px wide, A4 scans at 150 dpi ~1240
UPSCALE_MAX_FACTOR = 2.5
# Small print: glyphs (`grid.char_height` units, ~1 px less than the font size) below SMALL_CHAR_PX have
# 1–2 px strokes; such pages are scaled so glyphs reach TARGET_CHAR_PX, where a glyph plus the crop
# margin is about the recogniser's 48 px input. Measured on scan_tiff_small_font (17 px glyphs, seed 0):
# target 24 → 99.5%, 27 → 99.5%, 30 → 100% of cells right. Pages at or above SMALL_CHAR_PX keep the
# width rule alone: the forge's 22 px print (20–21 px glyphs, ×1.13) reads 100%, and scaling it to 30
# px cost 20–40% more time for no gain.
SMALL_CHAR_PX = 19.0
TARGET_CHAR_PX = 30.0
UPSCALE_MAX_PIXELS = 40_000_000  # a scaled page above this costs > 160 MB in the later stages
MEDIAN_KSIZE = 3
MAX_SKEW_DEG = 3.0
SKEW_STEP_DEG = 0.1
SKEW_MIN_DEG = 0.05  # below this the rotation costs more (interpolation blur) than it gains
SPECK_AREA_CH2 = 0.008  # an ink component of at most this × glyph height² pixels is a speck (docstring)


@dataclass(slots=True)
class Prepared:
    """One page ready for the grid stage: `gray` (denoised, deskewed, uint8, text dark on light) and
    `ink` (binary, ink = 255); `scale` maps these pixels back to the input image (input = ours / scale)."""

    gray: np.ndarray
    ink: np.ndarray
    scale: float
    skew_deg: float


def decode_frames(data: bytes, *, max_pixels: int, max_frames: int) -> list[Image.Image]:
    """Image bytes (PNG/JPEG/GIF/BMP/TIFF/WebP) → RGB/L frames; every frame's size is checked against
    `max_pixels` from the header, before any pixel is decoded (a decompression bomb never allocates)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            frames: list[Image.Image] = []
            for i, frame in enumerate(ImageSequence.Iterator(img)):
                if i >= max_frames:
                    raise LimitExceeded(
                        "image", f"more than {max_frames} frames/pages (OcrSettings.max_pages)"
                    )
                w, h = frame.size
                if w * h > max_pixels:
                    raise LimitExceeded(
                        "image", f"{w}×{h} = {w * h:,} pixels, above OcrSettings.max_pixels={max_pixels:,}"
                    )
                frames.append(frame.convert("L"))
    except LimitExceeded:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise UnreadableInput("image", f"the image cannot be decoded ({type(e).__name__}: {e})") from e
    if not frames:
        raise UnreadableInput("image", "the image has no frames")
    return frames


def glyph_height(gray: np.ndarray) -> float:
    """Typical glyph height of a raw (not yet scaled) grayscale page, in its pixels (`char_height` of
    its Otsu ink: specks below 6 px and rules are ignored there)."""
    return char_height(binarise(gray))


def upscale_factor(shape: tuple[int, int], glyph_px: float) -> float:
    """How much to enlarge a page of `shape` (h, w) whose glyphs measure `glyph_px`: enough for the
    width rule (``UPSCALE_BELOW_WIDTH``) and for glyphs to reach ``TARGET_CHAR_PX``, but never beyond
    ``UPSCALE_MAX_FACTOR`` nor ``UPSCALE_MAX_PIXELS``; 1.0 when neither rule asks for more.
    The glyph rule applies to small print only (below ``SMALL_CHAR_PX``; see the constants)."""
    h, w = shape
    f = 1.0
    if w < UPSCALE_BELOW_WIDTH:
        f = UPSCALE_BELOW_WIDTH / w
    if 0 < glyph_px < SMALL_CHAR_PX:
        f = max(f, TARGET_CHAR_PX / glyph_px)
    f = min(f, UPSCALE_MAX_FACTOR, (UPSCALE_MAX_PIXELS / max(h * w, 1)) ** 0.5)
    return f if f > 1.0 else 1.0


def upscale(gray: np.ndarray, f: float) -> np.ndarray:
    """`gray` enlarged by `f` (cubic); unchanged when ``f <= 1``."""
    if f <= 1.0:
        return gray
    return cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)


def binarise(gray: np.ndarray) -> np.ndarray:
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def despeckle(gray: np.ndarray, glyph_px: float) -> np.ndarray:
    """`gray` with every ink component of at most ``SPECK_AREA_CH2 × glyph_px²`` pixels (at least 1)
    set to white: specks, never strokes, dots or rules (see the module docstring)."""
    max_area = max(1, int(SPECK_AREA_CH2 * glyph_px * glyph_px))
    _n, labels, stats, _c = cv2.connectedComponentsWithStats(binarise(gray), connectivity=8)
    small = np.nonzero(stats[:, cv2.CC_STAT_AREA] <= max_area)[0]
    small = small[small > 0]
    if small.size == 0:
        return gray
    out = gray.copy()
    out[np.isin(labels, small)] = 255
    return out


def estimate_skew(ink: np.ndarray) -> float:
    """Degrees to rotate (counter-clockwise positive, cv2 convention) so text rows become level."""
    w = ink.shape[1]
    f = min(1.0, 800 / max(w, 1))
    small = cv2.resize(ink, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else ink
    sh, sw = small.shape
    centre = (sw / 2, sh / 2)
    best, best_score = 0.0, -1.0
    angles = np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, SKEW_STEP_DEG)
    for a in angles:
        m = cv2.getRotationMatrix2D(centre, float(a), 1.0)
        rot = cv2.warpAffine(small, m, (sw, sh), flags=cv2.INTER_NEAREST, borderValue=0)
        score = float(np.var(rot.sum(axis=1, dtype=np.float64)))
        if score > best_score:
            best, best_score = float(a), score
    return best


def rotate(gray: np.ndarray, deg: float) -> np.ndarray:
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)


def prepare(frame: Image.Image, *, median: bool = True, deskew: bool = True) -> Prepared:
    """Stages of the module docstring on one decoded frame."""
    gray = np.asarray(frame.convert("L"), dtype=np.uint8)
    glyph = glyph_height(gray)
    scale = upscale_factor(gray.shape, glyph)
    median_first = glyph >= SMALL_CHAR_PX or scale == 1.0
    if median and MEDIAN_KSIZE > 1 and median_first:
        gray = cv2.medianBlur(gray, MEDIAN_KSIZE)
    if median and not median_first:
        gray = despeckle(gray, glyph)
    gray = upscale(gray, scale)
    if median and MEDIAN_KSIZE > 1 and not median_first:
        gray = cv2.medianBlur(gray, MEDIAN_KSIZE)
    ink = binarise(gray)
    skew = 0.0
    if deskew:
        skew = estimate_skew(ink)
        if abs(skew) >= SKEW_MIN_DEG:
            gray = rotate(gray, skew)
            ink = binarise(gray)
        else:
            skew = 0.0
    return Prepared(gray, ink, scale, skew)
