"""PDF carrier (text layer): a report PDF → `Document`, via pdfplumber.

Stage 0: a page with images and no characters (a scan) is rendered and OCR'd instead
(`parsers.ocr.pdf_pages`), with OCR's own page cap and time budget (`parsers.ocr.OcrSettings`).

Named stages, every intermediate kept on a `PageLayout` so a failed page can be inspected in tests
(pdfplumber's own style, style.md §5):

1. ``open_pdf``: pdfplumber/pdfminer; a truncated or corrupt file → ``UnreadableInput`` with pdfminer's
   reason, a password-protected one → ``UnreadableInput`` saying so; more than ``Limits.max_pdf_pages``
   pages → ``LimitExceeded``; the time budget is polled once per page.
2. ``find_grids``: ruled tables first (``lines`` strategy — report PDFs are exported from Word with
   borders). Only if a page has no ruled table, the ``text`` strategy is tried, and its result is kept
   only when it looks like a statistics table (``TEXT_TABLE_*``), because on prose it invents tables.
   A grid keeps pdfplumber's cell boxes; positions pdfplumber reports as ``None`` are covered by a
   merged cell and get ``span_of`` pointing at the box that covers them.
3. ``assign_chars``: every character goes to the cell whose box contains the character's **centre**;
   a cell's text is built from its own characters only, so a digit can never be split across, or
   glued to, a neighbouring cell. Characters in no cell are body text.
4. ``peel_prose_rows``: Word often draws the body text frame and the table with one border, so the
   "table" starts or ends with full-width single-cell rows of prose. One-column grids and such rows
   (long, or containing 。) go back to body text; the last full-width row before the first real row
   (e.g. 第二十条第（一）项) stays with the table. ``stray_border``: a column border drawn in one row
   only, between the two halves of a split figure, makes that row one cell longer instead of copying
   every other row's cell across it.
5. ``chars_to_lines`` / ``lines_to_paragraphs``: body characters grouped into lines by baseline, CJK
   joined without spaces, lines joined into paragraphs (a new one on indent, short previous line or
   a wide gap); page numbers (``— 4 —``, ``第3页``) dropped.
6. ``join_continued_tables``: a table that ends a page continues on the next page if that page starts
   with a table whose column borders are the same or a subset of its own (a subset maps to colspans);
   a repeated header row is dropped.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import pdfplumber
from pdfminer.pdftypes import resolve1
from pdfplumber.utils.exceptions import PdfminerException

from parsers.carriers._text import clean_line
from parsers.document import Block, Cell, Document, Paragraph, Table
from parsers.errors import LimitExceeded, UnreadableInput
from parsers.limits import DEFAULT_LIMITS, Deadline, Limits

# ---- tuning (re-run bench/parse_bench.py and tests/test_carrier_pdf.py after a change) -------------
LINES_SETTINGS: dict[str, Any] = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
TEXT_SETTINGS: dict[str, Any] = {"vertical_strategy": "text", "horizontal_strategy": "text"}
# A text-strategy table is believed only with at least this shape and share of numeric cells.
TEXT_TABLE_MIN_ROWS = 3
TEXT_TABLE_MIN_COLS = 3
TEXT_TABLE_MIN_NUMERIC = 0.3
# A full-width single-cell row is prose if it is this long or contains a full stop.
PROSE_ROW_CHARS = 40
# Column borders of two page fragments match within this many points.
BORDER_TOLERANCE = 3.0
_PAGE_NUMBER_RE = re.compile(r"^[\-—–－\s]*\d{1,4}[\-—–－\s]*$|^第\s*\d+\s*页(\s*[/，,]?\s*共\s*\d+\s*页)?$")
_CJK_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_NUMERIC_RE = re.compile(r"^[\d.,，\-—/%]+$")

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass(slots=True)
class Grid:
    """One table fragment on one page: cell boxes, covered positions and the characters of each cell."""

    page: int
    bbox: Box
    boxes: list[list[Box | None]]  # None: covered by a merged cell
    origin: list[list[tuple[int, int]]]  # (r, c) of the box that covers each position
    col_x: list[float]  # column borders, len = n_cols + 1
    chars: dict[tuple[int, int], list[dict]] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.boxes)

    @property
    def n_cols(self) -> int:
        return len(self.col_x) - 1


@dataclass(slots=True)
class PageLayout:
    """Intermediate results of one page (kept for debugging and tests)."""

    number: int
    grids: list[Grid] = field(default_factory=list)
    flow_chars: list[dict] = field(default_factory=list)
    blocks: list[tuple[float, Block]] = field(default_factory=list)  # (top, block) in reading order


# ---- stage 1 ------------------------------------------------------------------------------------------


def open_pdf(data: bytes, limits: Limits) -> pdfplumber.PDF:
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        n_pages = len(pdf.pages)
    except PdfminerException as e:
        cause = e.args[0] if e.args else e
        name = type(cause).__name__
        if "Password" in name or "Encrypt" in name:
            raise UnreadableInput("pdf", "the PDF is encrypted and needs a password to read") from e
        raise UnreadableInput("pdf", f"truncated or corrupt PDF ({name}: {cause})") from e
    except Exception as e:  # pdfminer raises bare errors of many kinds on garbage
        raise UnreadableInput("pdf", f"truncated or corrupt PDF ({type(e).__name__}: {e})") from e
    if n_pages == 0:
        pdf.close()
        raise UnreadableInput("pdf", "the PDF has no pages (truncated?)")
    if n_pages > limits.max_pdf_pages:
        pdf.close()
        raise LimitExceeded("pdf", f"{n_pages} pages, above Limits.max_pdf_pages={limits.max_pdf_pages}")
    return pdf


# ---- stage 2 ------------------------------------------------------------------------------------------


def _grid_from_table(table, page_no: int) -> Grid | None:
    rows = [list(row.cells) for row in table.rows]
    if not rows or not rows[0]:
        return None
    n_cols = max(len(r) for r in rows)
    rows = [r + [None] * (n_cols - len(r)) for r in rows]
    col_x = []
    for c in range(n_cols):
        xs = [r[c][0] for r in rows if r[c] is not None]
        col_x.append(min(xs) if xs else (col_x[-1] if col_x else table.bbox[0]))
    col_x.append(table.bbox[2])
    row_y = [row.bbox[1] for row in table.rows] + [table.bbox[3]]
    origin: list[list[tuple[int, int]]] = []
    for r, row in enumerate(rows):
        out = []
        for c, box in enumerate(row):
            if box is not None:
                out.append((r, c))
                continue
            cx = (col_x[c] + col_x[c + 1]) / 2
            cy = (row_y[r] + row_y[r + 1]) / 2
            found = (r, c)
            for rr in range(r, -1, -1):  # the covering box starts above or to the left
                for cc in range(c, -1, -1):
                    b = rows[rr][cc]
                    if b is not None and b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1:
                        found = origin[rr][cc] if rr < r else out[cc] if cc < c else (rr, cc)
                        break
                else:
                    continue
                break
            if found == (r, c):  # nothing covers it: a cell whose border is missing (split at a page
                # break, or a dropped line). Its box is the grid square, so its characters still land in it.
                row[c] = (col_x[c], row_y[r], col_x[c + 1], row_y[r + 1])
            out.append(found)
        origin.append(out)
    return Grid(page_no, tuple(table.bbox), rows, origin, col_x)


def _looks_statistical(grid: Grid, texts: list[list[str]]) -> bool:
    if grid.n_rows < TEXT_TABLE_MIN_ROWS or grid.n_cols < TEXT_TABLE_MIN_COLS:
        return False
    cells = [t for row in texts for t in row if t]
    return (
        bool(cells) and sum(1 for t in cells if _NUMERIC_RE.match(t)) / len(cells) >= TEXT_TABLE_MIN_NUMERIC
    )


def find_grids(page, page_no: int) -> list[Grid]:
    grids = [g for t in page.find_tables(LINES_SETTINGS) if (g := _grid_from_table(t, page_no))]
    if grids:
        return grids
    candidates = [g for t in page.find_tables(TEXT_SETTINGS) if (g := _grid_from_table(t, page_no))]
    kept = []
    for g in candidates:
        assign_chars([g], page.chars, [])
        if _looks_statistical(g, grid_texts(g)):
            g.chars.clear()
            kept.append(g)
    return kept


# ---- stage 3 ------------------------------------------------------------------------------------------


def assign_chars(grids: list[Grid], chars: list[dict], flow: list[dict]) -> None:
    """Each character to the cell box containing its centre; the rest to `flow`."""
    for ch in chars:
        cx = (ch["x0"] + ch["x1"]) / 2
        cy = (ch["top"] + ch["bottom"]) / 2
        for g in grids:
            x0, top, x1, bottom = g.bbox
            if not (x0 <= cx <= x1 and top <= cy <= bottom):
                continue
            pos = _cell_at(g, cx, cy)
            if pos is not None:
                g.chars.setdefault(pos, []).append(ch)
                break
        else:
            flow.append(ch)


def _cell_at(g: Grid, cx: float, cy: float) -> tuple[int, int] | None:
    for r, row in enumerate(g.boxes):
        for c, b in enumerate(row):
            if b is not None and b[0] <= cx <= b[2] and b[1] <= cy <= b[3]:
                return (r, c)
    return None


def chars_to_lines(chars: list[dict]) -> list[tuple[Box, str]]:
    """Characters → text lines ``(bbox, text)``, top to bottom; CJK joined without spaces."""
    if not chars:
        return []
    ordered = sorted(chars, key=lambda ch: (round(ch["top"]), ch["x0"]))
    lines: list[list[dict]] = []
    for ch in ordered:
        if ch["text"].isspace() and not lines:
            continue
        mid = (ch["top"] + ch["bottom"]) / 2
        if lines:
            last = lines[-1]
            ref_top = min(c["top"] for c in last)
            ref_bottom = max(c["bottom"] for c in last)
            if ref_top - 1 <= mid <= ref_bottom + 1:
                last.append(ch)
                continue
        lines.append([ch])
    out = []
    for line in lines:
        line.sort(key=lambda ch: ch["x0"])
        parts: list[str] = []
        prev = None
        for ch in line:
            if prev is not None:
                gap = ch["x0"] - prev["x1"]
                size = max(prev.get("size") or 0, ch.get("size") or 0, 1)
                both_latin = not _CJK_RE.match(prev["text"]) and not _CJK_RE.match(ch["text"])
                if gap > 0.25 * size and both_latin:
                    parts.append(" ")
            parts.append(ch["text"])
            prev = ch
        text = clean_line("".join(parts))
        if text:
            box = (min(c["x0"] for c in line), min(c["top"] for c in line),
                   max(c["x1"] for c in line), max(c["bottom"] for c in line))  # fmt: skip
            out.append((box, text))
    return out


def grid_texts(g: Grid) -> list[list[str]]:
    texts = []
    for r in range(g.n_rows):
        row = []
        for c in range(g.n_cols):
            if g.boxes[r][c] is None:
                row.append("")
                continue
            row.append("\n".join(t for _, t in chars_to_lines(g.chars.get((r, c), []))))
        texts.append(row)
    return texts


# ---- stage 4 ------------------------------------------------------------------------------------------


def _full_width_row(g: Grid, r: int) -> bool:
    return g.boxes[r][0] is not None and all(g.origin[r][c] == (r, 0) for c in range(1, g.n_cols))


def _is_prose(text: str) -> bool:
    return len(text) >= PROSE_ROW_CHARS or "。" in text


def peel_prose_rows(g: Grid, texts: list[list[str]], flow: list[dict]) -> tuple[int, int] | None:
    """Rows ``[start, stop)`` that stay a table; the characters of peeled rows go to `flow`.
    None if nothing is left (a one-column text frame)."""
    start, stop = 0, g.n_rows
    if g.n_cols == 1:
        start = stop
    else:
        lead = 0
        while lead < g.n_rows and _full_width_row(g, lead):
            lead += 1
        if lead < g.n_rows:  # keep the last full-width row before real rows unless it is prose
            start = lead - 1 if lead and not _is_prose(texts[lead - 1][0]) else lead
        else:
            start = stop
        while (
            stop > start
            and _full_width_row(g, stop - 1)
            and (_is_prose(texts[stop - 1][0]) or not texts[stop - 1][0])
        ):
            stop -= 1
        while stop > start and not any(texts[stop - 1]):  # trailing empty rows
            stop -= 1
    for (r, _c), chars in g.chars.items():
        if not start <= r < stop:
            flow.extend(chars)
    return (start, stop) if stop > start else None


_DIGITS_ONLY_RE = re.compile(r"^\d+$")


def stray_border(g: Grid, texts: list[list[str]], rows: tuple[int, int]) -> tuple[int, int] | None:
    """``(row, col)`` when column border `col` is drawn in one row only, between two figures; else None.

    Why: a row typed with one cell too many (a figure's digits either side of an extra rule, ``1`` |
    ``2``) makes pdfplumber's grid one column wider, and every other row then *copies* its cell across
    the stray border — a copied figure no later stage can tell from a printed one, so the whole table
    loses its shape. A Word table is ragged per row, so the faithful reading is the one HTML would give:
    that row has one cell more than its siblings (`parsers.repair` re-segments such a row by the table's
    identities, or flags it). Only a border between two pure-digit cells of one row, with at least three
    other rows spanning it and no merge of that row reaching into another row, is taken as stray."""
    start, stop = rows
    for k in range(1, g.n_cols):
        users = [r for r in range(start, stop) if g.origin[r][k] == (r, k)]
        if len(users) != 1 or stop - start < 4:
            continue
        r0 = users[0]
        if any(g.origin[r][k] != g.origin[r][k - 1] for r in range(start, stop) if r != r0):
            continue
        left = g.origin[r0][k - 1]
        figures = (texts[r0][k], texts[r0][left[1]])
        if left[0] != r0 or not all(_DIGITS_ONLY_RE.match(t) for t in figures):
            continue
        if any(
            (g.origin[r][c][0] == r0) != (r == r0) for r in range(start, stop) for c in range(k - 1, g.n_cols)
        ):
            continue  # a merge reaching from that row into another: positions would not line up
        return r0, k
    return None


def grid_to_table(g: Grid, texts: list[list[str]], rows: tuple[int, int], t_idx: int) -> Table:
    start, stop = rows
    stray = stray_border(g, texts, rows)
    out: list[list[Cell]] = []
    for r in range(start, stop):
        row = []
        for c in range(g.n_cols):
            o_r, o_c = g.origin[r][c]
            if stray is not None and r != stray[0] and c == stray[1]:
                continue  # the copy across a stray border: this row is one cell shorter (padded below)
            if o_r < start:  # covered by a peeled row: the position is empty in what remains
                row.append(Cell("", {"pad": True}))
                continue
            box = g.boxes[o_r][o_c]
            src = {"page": g.page, "bbox": [round(v, 2) for v in box]} if box else {"pad": True}
            shift = 1 if stray is not None and r != stray[0] and o_c > stray[1] else 0
            span = None if (o_r, o_c) == (r, c) else (o_r - start, o_c - shift)
            row.append(Cell(texts[o_r][o_c], src, span))
        if len(row) < g.n_cols:
            row.append(Cell("", {"pad": True}))
        out.append(row)
    first = g.boxes[start][0] or g.bbox
    bbox = [round(v, 2) for v in (g.bbox[0], first[1], g.bbox[2], g.bbox[3])]
    return Table(
        out, {"table_idx": t_idx, "page": g.page, "bbox": bbox, "col_x": [round(x, 2) for x in g.col_x]}
    )


# ---- stage 5 ------------------------------------------------------------------------------------------


def lines_to_paragraphs(lines: list[tuple[Box, str]], page_no: int) -> list[tuple[float, Paragraph]]:
    lines = [(b, t) for b, t in lines if not _PAGE_NUMBER_RE.match(t)]
    if not lines:
        return []
    left = min(b[0] for b, _ in lines)
    right = max(b[2] for b, _ in lines)
    out: list[tuple[float, Paragraph]] = []
    cur: list[tuple[Box, str]] = []

    def flush() -> None:
        if cur:
            box = [round(v, 2) for v in (min(b[0] for b, _ in cur), cur[0][0][1],
                                         max(b[2] for b, _ in cur), cur[-1][0][3])]  # fmt: skip
            text = ""
            for _, t in cur:
                joiner = "" if (not text or _CJK_RE.match(text[-1]) or _CJK_RE.match(t[0])) else " "
                text = f"{text}{joiner}{t}"
            out.append((cur[0][0][1], Paragraph(text, {"page": page_no, "bbox": box})))
            cur.clear()

    for box, text in lines:
        if cur:
            pbox = cur[-1][0]
            height = max(pbox[3] - pbox[1], 1)
            indent = box[0] > left + 1.5 * height
            short_prev = pbox[2] < right - 2 * height
            gap = box[1] - pbox[3] > 1.2 * height
            if indent or short_prev or gap:
                flush()
        cur.append((box, text))
    flush()
    return out


# ---- stage 6 ------------------------------------------------------------------------------------------


def _border_map(main: list[float], cont: list[float]) -> list[int] | None:
    """Index in `main` of each border of `cont`, or None if `cont`'s borders are not a subset."""
    out = []
    for x in cont:
        idx = min(range(len(main)), key=lambda i: abs(main[i] - x))
        if abs(main[idx] - x) > BORDER_TOLERANCE:
            return None
        out.append(idx)
    if out[0] != 0 or out[-1] != len(main) - 1 or len(set(out)) != len(out):
        return None
    return out


def join_continued_tables(pages: list[PageLayout]) -> list[Block]:
    blocks: list[Block] = []
    for layout in pages:
        page_blocks = [b for _, b in layout.blocks]
        if page_blocks and blocks and isinstance(blocks[-1], Table) and isinstance(page_blocks[0], Table):
            merged = _append_table(blocks[-1], page_blocks[0])
            if merged:
                page_blocks = page_blocks[1:]
        blocks.extend(page_blocks)
    n = 0
    for b in blocks:
        if isinstance(b, Table):
            b.src["table_idx"] = n
            n += 1
    return blocks


def _append_table(main: Table, cont: Table) -> bool:
    """Append `cont`'s rows to `main` if its column borders map onto `main`'s; False if they do not."""
    mapping = _border_map(main.src["col_x"], cont.src["col_x"])
    if mapping is None:
        return False
    width = main.n_cols
    cont_texts = []
    for row in cont.rows:
        texts = [""] * width
        for c, cell in enumerate(row):
            for k in range(mapping[c], mapping[c + 1]):
                texts[k] = cell.text
        cont_texts.append(texts)
    main_texts = main.texts()
    drop = 0  # a repeated header: the continuation's first k rows equal the table's first k rows
    for k in (3, 2, 1):
        if k <= len(cont_texts) and k < len(main_texts) and cont_texts[:k] == main_texts[:k]:
            drop = k
            break
    offset = main.n_rows - drop
    for r in range(drop, cont.n_rows):
        out = [Cell("", {"pad": True}) for _ in range(width)]
        for c, cell in enumerate(cont.rows[r]):
            lo, hi = mapping[c], mapping[c + 1]
            if cell.span_of is None:
                opos: tuple[int, int] | None = (r + offset, lo)
            else:
                sr, sc = cell.span_of
                opos = (sr + offset, mapping[sc]) if sr >= drop else None
            for k in range(lo, hi):
                if opos is not None:
                    out[k] = Cell(cell.text, cell.src, None if opos == (r + offset, k) else opos)
        main.rows.append(out)
    main.src.setdefault("continued_on", []).append(cont.src.get("page"))
    return True


def _read_info(pdf: pdfplumber.PDF) -> dict[str, str]:
    """The document info dictionary, decoded from the raw bytes (pdfplumber's decode mangles UTF-16)."""
    meta: dict[str, str] = {}
    try:
        infos = pdf.doc.info
    except Exception:  # an info dict that cannot be resolved is not worth failing the file over
        return meta
    for info in infos:
        for key, value in info.items():
            try:
                value = resolve1(value)
            except Exception:
                continue
            if isinstance(value, bytes | str) and value:
                text = clean_line(_meta_str(value))
                if text:
                    meta.setdefault(str(key), text)
    return meta


def _meta_str(value: str | bytes) -> str:
    """PDF info strings: pdfminer leaves UTF-16 (BOM ``\\xfe\\xff``) strings as latin-1 text."""
    raw = value if isinstance(value, bytes) else value.encode("latin-1", "replace")
    if raw.startswith((b"\xfe\xff", b"\xff\xfe")):
        return raw.decode("utf-16", "replace").strip("\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1") if isinstance(value, bytes) else value


# ---- stage 0: pages without a text layer ---------------------------------------------------------------


class _OcrRun:
    """OCR state across the pages of one PDF: its own time budget and page cap (`parsers.ocr`)."""

    def __init__(self) -> None:
        from parsers.ocr import DEFAULT_OCR

        self.settings = DEFAULT_OCR
        self.deadline = DEFAULT_OCR.deadline("PDF page OCR")
        self.pages = 0
        self.last_s = 0.0


def _ocr_page(page, page_no: int, run: _OcrRun, warnings: list[str]) -> PageLayout | None:
    """A page with images and no characters → OCR'd layout; None (with a warning) when OCR cannot run."""
    import time

    from parsers.ocr.pdf_pages import ocr_pdf_page

    run.last_s = 0.0
    if run.pages >= run.settings.max_pages or run.deadline.elapsed > run.deadline.budget_s:
        warnings.append(f"page {page_no}: not OCR'd (OcrSettings page cap or time budget spent)")
        return None
    started = time.monotonic()
    try:
        return ocr_pdf_page(page, page_no, run.settings, run.deadline)
    except Exception as e:  # OCR failure on one page must not lose the others
        warnings.append(f"page {page_no}: OCR failed ({type(e).__name__}: {e})")
        return None
    finally:
        run.pages += 1
        run.last_s = time.monotonic() - started


# ---- entry point --------------------------------------------------------------------------------------


def read_page(page, page_no: int, t_start: int) -> PageLayout:
    layout = PageLayout(page_no)
    page = page.dedupe_chars()
    chars = page.chars
    layout.grids = find_grids(page, page_no)
    assign_chars(layout.grids, chars, layout.flow_chars)
    t_idx = t_start
    for g in layout.grids:
        texts = grid_texts(g)
        rows = peel_prose_rows(g, texts, layout.flow_chars)
        if rows is None:
            continue
        table = grid_to_table(g, texts, rows, t_idx)
        t_idx += 1
        layout.blocks.append((table.src["bbox"][1], table))
    layout.blocks.extend(lines_to_paragraphs(chars_to_lines(layout.flow_chars), page_no))
    layout.blocks.sort(key=lambda tb: tb[0])
    return layout


def read(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read a PDF with a text layer into a `Document` (stages in the module docstring)."""
    limits.check_input_size(data, "pdf")
    deadline: Deadline = limits.deadline("pdf")
    warnings: list[str] = []
    if b"%%EOF" not in data[-2048:]:
        warnings.append("no %%EOF marker at the end: the PDF may be truncated")
    pdf = open_pdf(data, limits)
    pages: list[PageLayout] = []
    images = 0
    n_chars = 0
    ocr_pages = 0
    ocr = _OcrRun()
    with pdf:
        meta = _read_info(pdf)
        for i, page in enumerate(pdf.pages, start=1):
            deadline.check(f"page {i}")
            if not page.chars and page.images:  # a scanned page: render and OCR it (stage 0)
                layout = _ocr_page(page, i, ocr, warnings)
                deadline.started += ocr.last_s  # OCR has its own budget (OcrSettings.time_budget_s)
                if layout is not None:
                    ocr_pages += 1
                    pages.append(layout)
                    page.flush_cache()
                    continue
            try:
                layout = read_page(page, i, sum(len(p.grids) for p in pages))
            except Exception as e:  # one unreadable page must not lose the rest
                warnings.append(f"page {i} could not be read ({type(e).__name__}: {e})")
                continue
            n_chars += len(page.chars)
            images += sum(1 for im in page.images if im["width"] > 200 and im["height"] > 100)
            pages.append(layout)
            page.flush_cache()
    blocks = join_continued_tables(pages)
    doc = Document(kind="pdf", blocks=blocks, meta=meta, warnings=warnings)
    if n_chars == 0 and not ocr_pages:
        doc.warnings.append("no text layer (a scanned PDF) and no page could be OCR'd")
    elif ocr_pages:
        doc.warnings.append(f"{ocr_pages} page(s) without a text layer read by OCR (cells flagged ocr)")
    if not doc.tables and images:
        doc.image_tables = images
        doc.warnings.append(
            f"no tables in the text layer but {images} large image(s): tables may be pictures"
        )
    return doc
