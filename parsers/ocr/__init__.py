"""OCR of scans and pictures of tables into the carrier-neutral `Document` (format-spec §9.1 "Images").

Modules, one job each: `engine` (RapidOCR with its packaged models, never a download), `preprocess`
(decode with a pixel cap, upscale small print, median filter, deskew, binarise), `grid` (ruling lines →
cells with spans), `unruled` (a table without ruling lines: text boxes → rows, value columns and
headers), `page` (one page image → tables and paragraphs).
`OcrSettings` bounds the work; the carriers (`parsers.carriers.image`, the scanned pages of
`parsers.carriers.pdf`, the ``<img>`` tables of `parsers.carriers.html`) call `ocr_frames`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from parsers.document import Block, Table
from parsers.limits import Deadline
from parsers.ocr.page import OcrPage, ocr_page
from parsers.ocr.preprocess import prepare

__all__ = ["DEFAULT_OCR", "OcrPage", "OcrSettings", "ocr_image", "renumber_tables"]

# How the defaults were chosen (re-run bench/ocr_bench.py and tests/test_forge_scan.py after a change):
# - MAX_PIXELS 60 MP: an A4 page at 300 dpi is 8.7 MP; a whole report stitched into one long
#   screenshot reaches ~20 MP. Above 60 MP decoding alone needs > 180 MB per frame.
# - MAX_PAGES 60: reports are 3–40 pages; OCR costs 5–20 s a page on 2 cores, so 60 pages is already
#   a long job for one worker.
# - TIME_BUDGET_S 900: OCR time is budgeted apart from `Limits.time_budget_s` (60 s covers text
#   carriers, not a 20-page scan); when spent, the remaining pages are skipped with a warning.
# - RENDER_DPI 200: scanned PDF pages are rendered at this resolution (A4 → 1654×2339 px): CJK body
#   text at 10.5 pt becomes ~29 px high, which the recogniser reads reliably.
MAX_PIXELS = 60_000_000
MAX_PAGES = 60
TIME_BUDGET_S = 900.0
RENDER_DPI = 200

_RANGES = {"max_pixels": (10_000, 400_000_000), "max_pages": (1, 2_000), "time_budget_s": (1.0, 86_400.0),
           "render_dpi": (72, 600)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class OcrSettings:
    """Bounds and switches of OCR; validated at construction (errors name the field and its range).

    ``read_text``: also OCR the text outside ruled tables (headings and prose feed meta, era detection
    and sections; switching it off makes a page 2–5× faster). ``median`` / ``deskew``: pre-processing
    stages (`parsers.ocr.preprocess`).
    """

    max_pixels: int = MAX_PIXELS
    max_pages: int = MAX_PAGES
    time_budget_s: float = TIME_BUDGET_S
    render_dpi: int = RENDER_DPI
    read_text: bool = True
    median: bool = True
    deskew: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _RANGES:
                lo, hi = _RANGES[f.name]
                if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
                    raise ValueError(
                        f"OcrSettings.{f.name} must be a number in [{lo:g}, {hi:g}], got {value!r}"
                    )
            elif not isinstance(value, bool):
                raise ValueError(f"OcrSettings.{f.name} must be True or False, got {value!r}")

    def deadline(self, what: str) -> Deadline:
        return Deadline(self.time_budget_s, what)


DEFAULT_OCR = OcrSettings()


def ocr_image(
    frame,
    page_no: int,
    *,
    settings: OcrSettings = DEFAULT_OCR,
    unit: float = 1.0,
    deadline: Deadline | None = None,
) -> OcrPage:
    """One decoded image (PIL) → `OcrPage`; `unit` is output units per *input* pixel."""
    prepared = prepare(frame, median=settings.median, deskew=settings.deskew)
    return ocr_page(prepared, page_no, unit=unit / prepared.scale, deadline=deadline,
                    read_text=settings.read_text)  # fmt: skip


def renumber_tables(blocks: list[Block]) -> None:
    """Give every table its index among the document's tables (``src["table_idx"]``)."""
    n = 0
    for b in blocks:
        if isinstance(b, Table):
            b.src["table_idx"] = n
            n += 1
