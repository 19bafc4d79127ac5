"""Render a forged report as a *scan*: tables drawn as pictures, the way many agencies publish them.

Why: OCR (`parsers.ocr`) must be proved on pages whose every number is known. The outline of
`tests.forge.layout` (the same tables every other renderer prints) is drawn with Pillow and the Noto
CJK font from Debian ``fonts-noto-cjk``, then degraded like a scanner or a re-saved screenshot would:

- ``noise``: share of pixels flipped to salt-and-pepper specks (0 = clean);
- ``skew``: degrees the whole page is rotated (a crooked feed);
- ``blur``: Gaussian blur radius in pixels;
- ``jpeg``: JPEG quality (None = lossless); artefacts are baked in even for PNG/PDF output;
- ``ruled``: draw the cell borders (False: an unruled table, columns only by alignment);
- ``prose``: also draw the narrative paragraphs (slow to OCR; title, headings, tables and signature
  are always drawn);
- ``font_px``: body text height in pixels (22 ≈ 10.5 pt at 150 dpi).

Outputs (``fmt``): ``png`` / ``jpeg`` (the whole report as one long image), ``tiff`` (one frame per
page), ``pdf`` (an image-only PDF, one page per page image, no text layer — Pillow writes it) and
``html`` (the portal page with ``<img>`` tables; the pictures travel as `ForgedScan.resources`, keyed
by their absolute URL, which is what the crawl pipeline hands to `parsers.report.parse`).

`SCAN_VARIANTS` is separate from `tests.forge.VARIANTS`, so the pinned forge digest is unchanged.
Everything is a pure function of (seed, variant): the noise generator is seeded from the seed.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any
from urllib.parse import urljoin

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.forge import Variant, _url, report_data
from tests.forge.data import ReportData
from tests.forge.layout import Layout, LTable, outline
from tests.forge.render_html import render_html

FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
PAGE_W = 1240  # A4 width at 150 dpi
PAGE_H = 1754
MARGIN = 70
FORMATS = ("png", "jpeg", "tiff", "pdf", "html")


@dataclass(frozen=True, slots=True)
class ScanKnobs:
    noise: float = 0.0
    skew: float = 0.0
    blur: float = 0.0
    jpeg: int | None = None
    ruled: bool = True
    prose: bool = False
    font_px: int = 22

    def __post_init__(self) -> None:
        if not 0 <= self.noise <= 0.2:
            raise ValueError(f"ScanKnobs.noise={self.noise!r}; allowed: 0..0.2")
        if not -5 <= self.skew <= 5:
            raise ValueError(f"ScanKnobs.skew={self.skew!r}; allowed: -5..5 degrees")
        if self.jpeg is not None and not 5 <= self.jpeg <= 95:
            raise ValueError(f"ScanKnobs.jpeg={self.jpeg!r}; allowed: None or 5..95")
        if not 10 <= self.font_px <= 60:
            raise ValueError(f"ScanKnobs.font_px={self.font_px!r}; allowed: 10..60")


@dataclass(frozen=True, slots=True)
class ScanVariant:
    name: str
    fmt: str
    knobs: ScanKnobs = field(default_factory=ScanKnobs)
    layout: Layout = field(default_factory=Layout)
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"ScanVariant.fmt={self.fmt!r}; allowed: {', '.join(FORMATS)}")

    @property
    def as_variant(self) -> Variant:
        """The `tests.forge.Variant` whose data this scan prints (seed mixing by name, as forge())."""
        return Variant(self.name, "html", self.layout, {}, dict(self.data))


@dataclass(frozen=True, slots=True)
class ForgedScan:
    seed: int
    variant: ScanVariant
    data: ReportData
    content: bytes
    content_type: str
    url: str
    resources: dict[str, bytes] = field(default_factory=dict)


K = ScanKnobs
SCAN_VARIANTS: list[ScanVariant] = [
    ScanVariant("scan_png_clean", "png"),
    ScanVariant("scan_png_noisy", "png", K(noise=0.02, blur=0.6)),
    ScanVariant("scan_jpeg_skewed", "jpeg", K(skew=0.8, jpeg=60)),
    ScanVariant("scan_pdf_scanner", "pdf", K(noise=0.01, skew=-0.5, blur=0.5, jpeg=70, prose=True)),
    ScanVariant("scan_tiff_small_font", "tiff", K(font_px=17, jpeg=80)),
    # small print *and* speckle: the median filter cannot run before the upscale (it erases 1–2 px
    # strokes) and a speck upscaled survives it; `parsers.ocr.preprocess.despeckle` is what reads this
    ScanVariant("scan_tiff_small_noisy", "tiff", K(font_px=17, noise=0.02)),
    ScanVariant("scan_html_img_tables", "html", K(jpeg=85)),
    ScanVariant("scan_png_unruled", "png", K(ruled=False), L := Layout(t2="flat", t4="transposed")),
]
SCAN_VARIANTS_BY_NAME = {v.name: v for v in SCAN_VARIANTS}
del L


@cache
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, px)


def _text_w(text: str, font: ImageFont.FreeTypeFont) -> int:
    return int(font.getlength(text)) if text else 0


def wrap(text: str, width: int, font: ImageFont.FreeTypeFont) -> list[str]:
    """Break `text` (honouring ``\\n``) into lines no wider than `width`, character by character."""
    out: list[str] = []
    for part in text.split("\n"):
        line = ""
        for ch in part:
            if line and _text_w(line + ch, font) > width:
                out.append(line)
                line = ch
            else:
                line += ch
        out.append(line)
    return out


def draw_table(t: LTable, knobs: ScanKnobs, width: int) -> Image.Image:
    """One table as a picture: column widths from the texts, long labels wrapped, merges drawn."""
    font = _font(knobs.font_px)
    pad = max(6, knobs.font_px // 2)
    line_h = int(knobs.font_px * 1.45)
    grid = t.grid()
    n = len(grid[0])
    natural = [60] * n
    for row in grid:
        for c, (cell, origin, _) in enumerate(row):
            if origin and cell.colspan == 1:
                longest = max((_text_w(x, font) for x in cell.text.split("\n")), default=0)
                natural[c] = max(natural[c], min(longest, knobs.font_px * 16) + 2 * pad)
    total = sum(natural)
    if total > width:  # shrink the wide (label) columns, keep value columns readable
        wide = [c for c in range(n) if natural[c] > 3 * knobs.font_px + 2 * pad]
        excess = total - width
        wide_sum = sum(natural[c] for c in wide) or 1
        for c in wide:
            natural[c] = max(3 * knobs.font_px, natural[c] - excess * natural[c] // wide_sum)
    xs = [0]
    for w in natural:
        xs.append(xs[-1] + w)
    # wrap every origin cell to its spanned width; row heights from single-row cells, then rowspans
    placed = []
    heights = [line_h + 2 * pad] * len(grid)
    for r, row in enumerate(grid):
        for c, (cell, origin, cont) in enumerate(row):
            if not origin or cont or (c > 0 and row[c - 1][0] is cell and row[c - 1][1]):
                continue
            w = xs[c + cell.colspan] - xs[c] - 2 * pad
            lines = wrap(cell.text, max(w, knobs.font_px), font) if cell.text else []
            placed.append((r, c, cell, lines))
            if cell.rowspan == 1:
                heights[r] = max(heights[r], len(lines) * line_h + 2 * pad)
    for r, _c, cell, lines in placed:
        if cell.rowspan > 1:
            need = len(lines) * line_h + 2 * pad
            have = sum(heights[r : r + cell.rowspan])
            if need > have:
                heights[r + cell.rowspan - 1] += need - have
    ys = [0]
    for h in heights:
        ys.append(ys[-1] + h)
    img = Image.new("L", (xs[-1] + 3, ys[-1] + 3), 255)
    d = ImageDraw.Draw(img)
    for r, c, cell, lines in placed:
        x0, y0 = xs[c], ys[r]
        x1, y1 = xs[c + cell.colspan], ys[r + cell.rowspan]
        if knobs.ruled:
            d.rectangle((x0, y0, x1, y1), outline=0, width=2)
        block_h = len(lines) * line_h
        top = y0 + (y1 - y0 - block_h) // 2
        for i, line in enumerate(lines):
            lw = _text_w(line, font)
            centred = cell.key is not None or (len(lines) == 1 and lw < (x1 - x0) * 0.6)
            x = x0 + ((x1 - x0 - lw) // 2 if centred else pad)
            d.text((x, top + i * line_h + (line_h - knobs.font_px) // 2 - 2), line, font=font, fill=0)
    return img


def _text_block(text: str, px: int, width: int, centre: bool) -> Image.Image:
    font = _font(px)
    lines = wrap(text, width, font)
    line_h = int(px * 1.6)
    img = Image.new("L", (width, line_h * len(lines) + px // 2), 255)
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        x = (width - _text_w(line, font)) // 2 if centre else 0
        d.text((x, i * line_h), line, font=font, fill=0)
    return img


def pictures(data: ReportData, layout: Layout, knobs: ScanKnobs) -> list[tuple[str, Image.Image]]:
    """The report's blocks as (kind, picture), in reading order."""
    width = PAGE_W - 2 * MARGIN
    out: list[tuple[str, Image.Image]] = []
    for kind, value in outline(data, replace(layout, tables_as_images=False)).blocks:
        if kind == "table":
            out.append(("table", draw_table(value, knobs, width)))  # type: ignore[arg-type]
        elif kind == "title":
            out.append((kind, _text_block(str(value), int(knobs.font_px * 1.5), width, True)))
        elif kind == "heading" or knobs.prose or not str(value).strip() or len(str(value)) < 40:
            out.append((kind, _text_block(str(value), knobs.font_px, width, False)))
    return out


def paginate(blocks: list[tuple[str, Image.Image]]) -> list[Image.Image]:
    """Flow pictures onto A4 pages (a block taller than a page gets a page of its own height)."""
    pages: list[list[tuple[int, Image.Image]]] = [[]]
    y = MARGIN
    for _, img in blocks:
        if y + img.height > PAGE_H - MARGIN and pages[-1]:
            pages.append([])
            y = MARGIN
        pages[-1].append((y, img))
        y += img.height + 24
    out = []
    for items in pages:
        h = max(PAGE_H, max(y + im.height for y, im in items) + MARGIN)
        page = Image.new("L", (PAGE_W, h), 255)
        for y0, im in items:
            page.paste(im, (MARGIN, y0))
        out.append(page)
    return out


def degrade(img: Image.Image, knobs: ScanKnobs, rng: random.Random) -> Image.Image:
    """Skew, blur, salt-and-pepper noise and JPEG artefacts, in the order a scanner adds them."""
    if knobs.skew:
        img = img.rotate(knobs.skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if knobs.blur:
        img = img.filter(ImageFilter.GaussianBlur(knobs.blur))
    if knobs.noise:
        px = img.load()
        w, h = img.size
        for _ in range(int(w * h * knobs.noise)):
            px[rng.randrange(w), rng.randrange(h)] = 0 if rng.random() < 0.5 else 255
    if knobs.jpeg is not None:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=knobs.jpeg)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    return img


def _save(img: Image.Image, fmt: str, knobs: ScanKnobs) -> bytes:
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, "JPEG", quality=knobs.jpeg or 90)
    else:
        img.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def render_scan(seed: int, variant: ScanVariant | str) -> ForgedScan:
    """Forge one scanned report: `seed` picks the data (as `tests.forge.forge`), `variant` the output."""
    if isinstance(variant, str):
        variant = SCAN_VARIANTS_BY_NAME[variant]
    data = report_data(seed, variant.as_variant)
    knobs, rng = variant.knobs, random.Random(seed * 7907 + 13)
    if variant.fmt == "html":
        layout = replace(variant.layout, tables_as_images=True)
        page, ctype, filename = render_html(data, layout, style="cms", chrome="zoom")
        url = _url(data, filename)
        resources = {}
        for t in outline(data, replace(layout, tables_as_images=False)).tables:
            img = degrade(draw_table(t, knobs, PAGE_W - 2 * MARGIN), knobs, rng)
            src = f"/uploads/{data.published_date:%Y%m}/{data.seed}_{t.name}.png"
            resources[urljoin(url, src)] = _save(img, "png", knobs)
        return ForgedScan(seed, variant, data, page, ctype, url, resources)
    pages = [degrade(p, knobs, rng) for p in paginate(pictures(data, variant.layout, knobs))]
    if variant.fmt in ("png", "jpeg"):
        tall = Image.new("L", (max(p.width for p in pages), sum(p.height for p in pages)), 255)
        y = 0
        for p in pages:
            tall.paste(p, (0, y))
            y += p.height
        blob = _save(tall, variant.fmt, knobs)
        ext = "jpg" if variant.fmt == "jpeg" else "png"
        return ForgedScan(seed, variant, data, blob, f"image/{variant.fmt}", _url(data, f"r.{ext}"))
    buf = io.BytesIO()
    if variant.fmt == "tiff":
        pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate")
        return ForgedScan(seed, variant, data, buf.getvalue(), "image/tiff", _url(data, "r.tif"))
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=150.0)
    return ForgedScan(seed, variant, data, buf.getvalue(), "application/pdf", _url(data, "r.pdf"))
