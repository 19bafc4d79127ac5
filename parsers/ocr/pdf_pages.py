"""A PDF page without a text layer (a scan) → the same `PageLayout` the text-layer stages produce.

The page is rendered by pdfplumber (``page.to_image``, pypdfium2 underneath) at the scan's own
resolution (`native_dpi`), else `OcrSettings.render_dpi`, and OCR'd (`parsers.ocr`); coordinates are
converted back to PDF points
(``unit = 72 / dpi``), so `parsers.carriers.pdf.join_continued_tables` joins a table that a scan
breaks across pages exactly as it does for text-layer pages.
"""

from __future__ import annotations

from typing import Any

from parsers.limits import Deadline
from parsers.ocr import OcrSettings, ocr_image

NATIVE_DPI_MIN = 100  # below this a scan is too coarse to read; render up to it
NATIVE_DPI_MAX = 300  # above this OCR gains nothing and costs time and memory


def native_dpi(page: Any) -> int | None:
    """The resolution of the scan itself when one image covers most of the page: rendering at it
    keeps scanner specks one pixel wide, so the median filter still removes them (resampling to
    another resolution smears them into blobs it cannot)."""
    area = float(page.width) * float(page.height)
    for im in page.images:
        covered = (float(im["x1"]) - float(im["x0"])) * (float(im["bottom"]) - float(im["top"]))
        src = im.get("srcsize") or (0, 0)
        if covered >= 0.6 * area and src[0] > 0 and float(im["x1"]) > float(im["x0"]):
            dpi = round(src[0] / ((float(im["x1"]) - float(im["x0"])) / 72))
            return min(max(dpi, NATIVE_DPI_MIN), NATIVE_DPI_MAX)
    return None


def ocr_pdf_page(page: Any, page_no: int, settings: OcrSettings, deadline: Deadline) -> Any:
    """Render and OCR one pdfplumber page → `parsers.carriers.pdf.PageLayout` (grids left empty)."""
    from parsers.carriers.pdf import PageLayout

    dpi = native_dpi(page) or settings.render_dpi
    w, h = float(page.width) * dpi / 72, float(page.height) * dpi / 72
    if w * h > settings.max_pixels:
        dpi = max(72, int(dpi * (settings.max_pixels / (w * h)) ** 0.5))
    frame = page.to_image(resolution=dpi).original
    result = ocr_image(frame, page_no, settings=settings, unit=72 / dpi, deadline=deadline)
    layout = PageLayout(page_no)
    layout.blocks = list(result.blocks)
    return layout
