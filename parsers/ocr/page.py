"""One page image → the blocks of a `Document`: OCR'd tables (grids rebuilt) and paragraphs.

Stages (every intermediate kept on `OcrPage` for tests and debugging):

1. ``prepare`` (`parsers.ocr.preprocess`): upscale, median filter, deskew, binarise.
2. ``find_grids`` (`parsers.ocr.grid`): ruled tables → cells with spans.
3. ``read_cells``: each cell's text lines cropped and recognised in one batch (recognition only: the
   cell boxes are known, so no text box can straddle a border). A cell's confidence is the lowest of
   its lines'; a cell without ink is ``""`` with confidence 1.0. In the grid's figure cells
   (``value_cells``) a lone ``一`` / ``O`` is read as ``—`` / ``0`` (``value_token``, shared with the
   unruled path).
4. ``read_outside``: ink outside the ruled tables is detected + recognised band by band; consecutive
   lines holding figures become **unruled tables** (`parsers.ocr.unruled`: rows from box centres,
   columns from the x-alignment of the value tokens, value cells re-read from the image), the rest
   lines of body text → paragraphs (`parsers.carriers.pdf.lines_to_paragraphs`).

Every OCR cell carries ``src["ocr_conf"]`` (0–1); the mapping stage (`parsers.tables`) turns it into
the cell flag ``ocr``, so a failed check on such cells is ``extraction_suspect`` (`parsers.checks`).
Coordinates in `src` are multiplied by `unit` (PDF points for a scanned PDF page, input pixels for an
image), so table continuation across pages works as for text-layer PDFs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from parsers.carriers._text import clean_line
from parsers.document import Block, Cell, Table
from parsers.limits import Deadline
from parsers.ocr import engine, unruled
from parsers.ocr.engine import TextBox
from parsers.ocr.grid import (
    Grid,
    cell_lines,
    char_height,
    cluster_rows,
    crop_line,
    find_grids,
    text_lines,
)
from parsers.ocr.preprocess import Prepared
from parsers.values import is_number_text, is_value_text

DET_BAND_PX = 1400  # detection input height; RapidOCR shrinks anything above 2000 px on a side
UNRULED_MIN_ROWS = 3
UNRULED_MIN_BOXES = 3
UNRULED_MIN_NUMERIC = 0.3
_NUMERIC_RE = re.compile(r"^[\d.,，\-—/%]+$")
# characters the recogniser confuses with digits, mapped only inside cells that are otherwise numeric
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "S": "5"})
_NUMERICISH_RE = re.compile(r"^[\dOoDIl|S,.\s]+$")


@dataclass(slots=True)
class OcrPage:
    """Intermediate and final results of one page."""

    number: int
    prepared: Prepared
    grids: list[Grid] = field(default_factory=list)
    outside: list[TextBox] = field(default_factory=list)
    blocks: list[tuple[float, Block]] = field(default_factory=list)  # (top, block), reading order
    char_px: float = 0.0
    n_cells: int = 0
    min_conf: float = 1.0


def fix_digits(text: str) -> str:
    """``1O5`` → ``105`` in a cell that is otherwise a number (never touches words)."""
    if text and _NUMERICISH_RE.match(text) and any(ch.isdigit() for ch in text):
        return text.translate(_DIGIT_LOOKALIKES).replace(" ", "")
    return text


#: whole-cell readings that, in a value cell, can only be a dash or a zero (the recogniser reads a
#: printed — as the CJK 一, and a lone 0 without a neighbouring digit as a letter)
_VALUE_LOOKALIKES = {"一": "—", "一一": "—", "O": "0", "o": "0", "〇": "0", "D": "0"}
VALUE_COLUMN_SHARE = 0.5  # a ruled column (row) holds figures when this share of its filled cells are numbers


def value_token(text: str) -> str:
    """A *value* cell's reading with the letter look-alikes of a lone dash or zero replaced (``一`` →
    ``—``, ``O`` → ``0``). Only for cells known to hold values: in a label column 一 is a serial number."""
    return _VALUE_LOOKALIKES.get(text, text)


def value_cells(g: Grid, texts: list[tuple[str, float]]) -> set[int]:
    """Indices of the grid's cells that hold figures, so ``value_token`` may read them.

    Why: a ruled grid does not say which cells are values, and a lone 一 is a dash among figures but
    a serial number beside a label. A single cell (no span) is a value cell when its column holds
    figures (at least two numbers, ``VALUE_COLUMN_SHARE`` of its filled single cells) or its row does
    (the same test along the row: table 四 has one value row under single-cell headers) — and, in
    both cases, no text that is not a value stands right of it in its row (a serial 一 is left of its
    label)."""
    by_col: dict[int, list[int]] = {}
    by_row: dict[int, list[int]] = {}
    for i, cell in enumerate(g.cells):
        if cell.rowspan == 1 and cell.colspan == 1 and texts[i][0]:
            by_col.setdefault(cell.col, []).append(i)
            by_row.setdefault(cell.row, []).append(i)

    def figures(idx: list[int]) -> bool:
        n = sum(is_number_text(texts[i][0]) for i in idx)
        return n >= 2 and n >= VALUE_COLUMN_SHARE * len(idx)

    cols = {c for c, idx in by_col.items() if figures(idx)}
    rows = {r for r, idx in by_row.items() if figures(idx)}
    out: set[int] = set()
    for r, idx in by_row.items():
        labels = [g.cells[i].col for i in idx if not is_value_text(value_token(texts[i][0]))]
        rightmost_label = max(labels, default=-1)
        for i in idx:
            cell = g.cells[i]
            if (cell.col in cols or r in rows) and cell.col > rightmost_label:
                out.add(i)
    return out


def read_cells(page: OcrPage, rules: np.ndarray) -> list[list[tuple[str, float]]]:
    """Stage 3: text and confidence of every cell of every grid (one recognition batch per page)."""
    gray, ink = page.prepared.gray, page.prepared.ink
    crops: list[np.ndarray] = []
    owners: list[tuple[int, int]] = []
    boxes: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}
    for gi, g in enumerate(page.grids):
        for ci, cell in enumerate(g.cells):
            for line in cell_lines(ink, rules, cell.box, page.char_px):
                crops.append(crop_line(gray, line))
                owners.append((gi, ci))
                boxes.setdefault((gi, ci), []).append(line)
    results = engine.recognise(crops)
    lines: dict[tuple[int, int], list[tuple[str, float]]] = {}
    for owner, res in zip(owners, results, strict=True):
        lines.setdefault(owner, []).append(res)
    out = []
    for gi, g in enumerate(page.grids):
        texts = []
        for ci in range(len(g.cells)):
            got = lines.get((gi, ci), [])
            parts = [clean_line(t) for t, _ in got]
            text = fix_digits("\n".join(p for p in parts if p))
            conf = min((c for _, c in got), default=1.0)
            if text == "1" and len(got) == 1:  # the recogniser reads this font's / as 1: tell by the lean
                a, b, c, d = boxes[(gi, ci)][0]
                if unruled.looks_like_slash(ink[b:d, a:c]):
                    text, conf = "/", min(conf, 0.5)
            texts.append((text, conf))
        for ci in value_cells(g, texts):
            texts[ci] = (value_token(texts[ci][0]), texts[ci][1])
        out.append(texts)
    return out


def _scaled(box: tuple[float, float, float, float], unit: float) -> list[float]:
    return [round(v * unit, 2) for v in box]


def grid_to_table(g: Grid, texts: list[tuple[str, float]], page_no: int, unit: float) -> Table:
    rows: list[list[Cell | None]] = [[None] * g.n_cols for _ in range(g.n_rows)]
    for cell, (text, conf) in zip(g.cells, texts, strict=True):
        src = {"page": page_no, "bbox": _scaled(cell.box, unit), "ocr_conf": round(conf, 4)}
        for dr in range(cell.rowspan):
            for dc in range(cell.colspan):
                span = None if dr == dc == 0 else (cell.row, cell.col)
                rows[cell.row + dr][cell.col + dc] = Cell(text, src, span)
    grid = [[c if c is not None else Cell("", {"pad": True}) for c in row] for row in rows]
    return Table(grid, {"page": page_no, "bbox": _scaled(g.bbox, unit),
                        "col_x": [round(x * unit, 2) for x in g.col_x], "ocr": True})  # fmt: skip


def _bands(ink: np.ndarray, ch: float) -> list[tuple[int, int]]:
    """Vertical spans holding ink, cut into pieces of at most ``DET_BAND_PX`` at gaps between lines."""
    lines = text_lines(ink, ch)
    bands: list[list[int]] = []
    for _x0, y0, _x1, y1 in lines:
        if bands and y1 - bands[-1][0] <= DET_BAND_PX:
            bands[-1][1] = y1
        else:
            bands.append([y0, y1])
    return [(max(a - 12, 0), min(b + 12, ink.shape[0])) for a, b in bands]


def read_outside(page: OcrPage, deadline: Deadline | None) -> None:
    """Stage 4: detect + recognise everything outside the ruled tables (headings, prose, unruled tables)."""
    gray = page.prepared.gray.copy()
    ink = page.prepared.ink.copy()
    for g in page.grids:
        x0, y0, x1, y1 = g.bbox
        gray[max(y0 - 4, 0) : y1 + 5, max(x0 - 4, 0) : x1 + 5] = 255
        ink[max(y0 - 4, 0) : y1 + 5, max(x0 - 4, 0) : x1 + 5] = 0
    for a, b in _bands(ink, page.char_px):
        if deadline is not None:
            deadline.check(f"page {page.number} text detection")
        for box in engine.detect(gray[a:b]):
            text = clean_line(box.text)
            if text:
                page.outside.append(TextBox(box.x0, box.y0 + a, box.x1, box.y1 + a, text, box.conf))


def _is_numeric(text: str) -> bool:
    return bool(_NUMERIC_RE.match(text))


def outside_to_blocks(
    page: OcrPage, unit: float
) -> tuple[list[tuple[float, Block]], list[tuple[tuple, str]]]:
    """Unruled tables (`parsers.ocr.unruled`, value cells re-read from the image) and the remaining
    text lines."""
    found, rest = unruled.find_tables(page.outside)
    texts = read_unruled(page, found)
    blocks = [unruled_table(t, tx, page.number, unit) for t, tx in zip(found, texts, strict=True)]
    lines: list[tuple[tuple, str]] = []
    for row in cluster_rows(rest):
        box = (min(b.x0 for b in row) * unit, min(b.y0 for b in row) * unit,
               max(b.x1 for b in row) * unit, max(b.y1 for b in row) * unit)  # fmt: skip
        lines.append((box, " ".join(b.text for b in row)))
    return blocks, lines


def read_unruled(page: OcrPage, tables: list[unruled.UnruledTable]) -> list[list[tuple[str, float]]]:
    """Text and confidence of every cell of every unruled table. Value cells are re-read like ruled
    cells (line crops → recogniser, one batch): the detector misses lone dashes and reads ``/`` as
    ``1`` more often than a crop of the cell does. Label and header cells keep the detection text."""
    gray, ink = page.prepared.gray, page.prepared.ink
    crops: list[np.ndarray] = []
    owners: list[tuple[int, int]] = []
    inks: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for ti, t in enumerate(tables):
        for ci, cell in enumerate(t.cells):
            if not cell.reread or cell.box is None:
                continue
            x0, y0, x1, y1 = (round(v) for v in cell.box)
            box = (max(x0, 0), max(y0, 0), min(x1, ink.shape[1]), min(y1, ink.shape[0]))
            found = unruled.value_ink_box(ink, box)
            if found is not None:
                inks[(ti, ci)] = found
                crops.append(crop_line(gray, found))
                owners.append((ti, ci))
    got = dict(zip(owners, engine.recognise(crops), strict=True))
    out = []
    for ti, t in enumerate(tables):
        texts = []
        for ci, cell in enumerate(t.cells):
            if not cell.reread:
                texts.append((cell.text, cell.conf))
                continue
            raw, conf = got.get((ti, ci), ("", 1.0))
            text = value_token(fix_digits(clean_line(raw)))  # a value cell: 一 is a dash, O a zero
            if text == "1":
                a, b, c, d = inks[(ti, ci)]
                if unruled.looks_like_slash(ink[b:d, a:c]):
                    text, conf = "/", min(conf, 0.5)
            texts.append((text, conf))
        out.append(texts)
    return out


def unruled_table(
    t: unruled.UnruledTable, texts: list[tuple[str, float]], page_no: int, unit: float
) -> tuple[float, Table]:
    """An unruled grid as a `Table` of the same shape `grid_to_table` gives ruled ones (colspans as
    span copies, every cell with ``ocr_conf``)."""
    rows: list[list[Cell | None]] = [[None] * t.n_cols for _ in range(t.n_rows)]
    for cell, (text, conf) in zip(t.cells, texts, strict=True):
        src: dict = {"page": page_no, "ocr_conf": round(conf, 4)}
        if cell.box is not None:
            src["bbox"] = _scaled(cell.box, unit)
        for dc in range(cell.colspan):
            rows[cell.row][cell.col + dc] = Cell(text, src, None if dc == 0 else (cell.row, cell.col))
    blank = {"page": page_no, "ocr_conf": 1.0}
    grid = [[c if c is not None else Cell("", dict(blank)) for c in row] for row in rows]
    src = {"page": page_no, "bbox": _scaled(t.bbox, unit), "col_x": [round(x * unit, 2) for x in t.col_x],
           "ocr": True, "unruled": True}  # fmt: skip
    return t.bbox[1] * unit, Table(grid, src)


def ocr_page(
    prepared: Prepared,
    page_no: int,
    *,
    unit: float = 1.0,
    deadline: Deadline | None = None,
    read_text: bool = True,
) -> OcrPage:
    """Stages 2–4 on one prepared page. `unit` converts prepared pixels to output coordinates;
    `read_text=False` skips stage 4 (tables only: much faster, no headings or prose)."""
    from parsers.carriers.pdf import lines_to_paragraphs  # the text-layer carrier's paragraph rule

    page = OcrPage(page_no, prepared)
    page.char_px = char_height(prepared.ink)
    page.grids, rules = find_grids(prepared.ink, page.char_px)
    texts = read_cells(page, rules)
    for g, t in zip(page.grids, texts, strict=True):
        table = grid_to_table(g, t, page_no, unit)
        page.blocks.append((g.bbox[1] * unit, table))
        page.n_cells += len(t)
        page.min_conf = min([page.min_conf, *(c for _, c in t)])
    if read_text:
        read_outside(page, deadline)
        tables, lines = outside_to_blocks(page, unit)
        page.blocks.extend(tables)
        page.blocks.extend(lines_to_paragraphs(lines, page_no))
    page.blocks.sort(key=lambda tb: tb[0])
    return page
