"""Pictures of tables inside an HTML report → OCR'd tables, inserted where the pictures stand.

Why a separate module: the HTML carrier stays a pure HTML reader; when the caller hands over the bytes
of the page's images (``resources``, filled by the crawl pipeline from archived captures — parsers
never fetch), this module looks each content ``<img>`` up, OCRs it with `parsers.ocr`, and inserts its
tables (and any text around them) into the block list just before the first block that follows the
image in document order. Lookup keys, in order: the ``src`` resolved against the page URL, the raw
``src`` attribute, and ``data-src``. Images without bytes stay counted in ``Document.image_tables``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urljoin

from lxml import etree

from parsers.document import Block, Table
from parsers.errors import LimitExceeded, ParseError
from parsers.ocr import DEFAULT_OCR, OcrSettings, ocr_image, renumber_tables
from parsers.ocr.preprocess import decode_frames


def image_bytes(img: etree._Element, url: str | None, resources: Mapping[str, bytes]) -> bytes | None:
    for attr in ("src", "data-src", "data-original"):
        src = (img.get(attr) or "").strip()
        if not src:
            continue
        for key in (urljoin(url, src) if url else None, src):
            if key and key in resources:
                return resources[key]
    return None


def ocr_html_images(
    body: etree._Element,
    blocks: list[Block],
    *,
    url: str | None,
    resources: Mapping[str, bytes],
    is_content_image: Callable[[etree._Element], bool],
    settings: OcrSettings = DEFAULT_OCR,
) -> tuple[list[Block], int, list[str]]:
    """→ (blocks with OCR'd tables inserted, number of content images left unread, warnings)."""
    tree = body.getroottree()
    order = {el: i for i, el in enumerate(body.iter())}

    def position(b: Block) -> int:
        path = b.src.get("path")
        found = tree.xpath(path) if path else []
        return order.get(found[0], -1) if found else -1

    positions = [position(b) for b in blocks]
    inserts: list[tuple[int, list[Block]]] = []
    unread = 0
    warnings: list[str] = []
    deadline = settings.deadline("html image OCR")
    for img in body.iter("img"):
        if not is_content_image(img):
            continue
        data = image_bytes(img, url, resources)
        if data is None:
            unread += 1
            continue
        if deadline.elapsed > deadline.budget_s:
            unread += 1
            warnings.append(f"OCR time budget spent: image {img.get('src')!r} not read")
            continue
        try:
            frames = decode_frames(data, max_pixels=settings.max_pixels, max_frames=settings.max_pages)
            got: list[Block] = []
            for i, frame in enumerate(frames, start=1):
                page = ocr_image(frame, i, settings=settings, deadline=deadline)
                got.extend(b for _, b in page.blocks)
        except (ParseError, LimitExceeded) as e:
            unread += 1
            warnings.append(f"image {img.get('src')!r} could not be OCR'd ({e})")
            continue
        for b in got:
            b.src["image"] = img.get("src") or img.get("data-src")
        if not any(isinstance(b, Table) for b in got):
            unread += 1
            warnings.append(f"image {img.get('src')!r}: OCR found no table in it")
        inserts.append((order.get(img, -1), got))
    out: list[Block] = []
    pending = sorted(inserts, key=lambda x: x[0])
    for b, pos in zip(blocks, positions, strict=True):
        while pending and pending[0][0] < pos:
            out.extend(pending.pop(0)[1])
        out.append(b)
    for _, got in pending:
        out.extend(got)
    renumber_tables(out)
    return out, unread, warnings
