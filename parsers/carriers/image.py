"""Image carrier: a report published as a picture (PNG/JPEG/GIF/BMP/TIFF/WebP) → `Document` by OCR.

Each frame (a multi-page TIFF has several) is decoded with a pixel cap checked from the header
(`OcrSettings.max_pixels`, a decompression bomb never allocates), cleaned and OCR'd by `parsers.ocr`:
ruled tables are rebuilt from their ruling lines, unruled ones from text-box alignment, and the text
around them becomes paragraphs. Every table cell carries ``src["ocr_conf"]``, which the mapping stage
turns into the flag ``ocr`` (format-spec §6). Coordinates in ``src`` are the input image's pixels.

Bounds: frames beyond `OcrSettings.max_pages` raise `LimitExceeded`; when `OcrSettings.time_budget_s`
is spent the remaining frames are skipped with a warning. `OcrUnavailable` (engine not installed) is a
`ParseError` naming the package to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parsers.document import Block, Document
from parsers.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from parsers.ocr import OcrSettings


def read(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    ocr: OcrSettings | None = None,
) -> Document:
    """OCR an image file into a `Document` of kind ``image`` (`url`/`content_type`: symmetry only).

    `parsers.ocr` is imported here, not at module level: OpenCV and onnxruntime then load only when an
    image is actually read (and `parsers.ocr` may import the carriers' helpers without a cycle)."""
    from parsers.ocr import DEFAULT_OCR, ocr_image, renumber_tables
    from parsers.ocr.preprocess import decode_frames

    ocr = ocr or DEFAULT_OCR
    limits.check_input_size(data, "image")
    frames = decode_frames(data, max_pixels=ocr.max_pixels, max_frames=ocr.max_pages)
    deadline = ocr.deadline("image OCR")
    blocks: list[Block] = []
    warnings: list[str] = []
    for i, frame in enumerate(frames, start=1):
        if deadline.elapsed > deadline.budget_s:
            warnings.append(f"OCR time budget OcrSettings.time_budget_s={ocr.time_budget_s:g}s spent: "
                            f"frames {i}–{len(frames)} not read")  # fmt: skip
            break
        page = ocr_image(frame, i, settings=ocr, deadline=deadline)
        blocks.extend(b for _, b in page.blocks)
        if page.prepared.skew_deg:
            warnings.append(f"frame {i} deskewed by {page.prepared.skew_deg:.2f}°")
    renumber_tables(blocks)
    doc = Document(kind="image", blocks=blocks, warnings=warnings)
    if not doc.tables:
        doc.warnings.append("OCR found no table in the image")
    return doc
