"""Unruled tables: the grid of a table printed without ruling lines, rebuilt from text boxes alone.

Why a module of its own: without rules, rows and columns exist only as alignment. Many agencies
re-typeset the three tables as borderless layouts (or their scanner loses faint rules), so the OCR
path must recover the same grid the ruled path gets (`parsers.ocr.grid`) from the detected text
lines, and hand the mapping stage (`parsers.tables`) rows of the same shape: label cells first, then
one cell per value column, merges as span copies.

Stages (all pure functions of `TextBox` lists; `page` re-reads the value cells from the image):

1. ``line_rows``: boxes → printed lines, by clustering vertical centres (tolerance: half the median
   box height — two lines of one wrapped label are a whole line apart, a number centred between
   them half a line).
2. ``segments``: runs of lines holding *value lines* (a number, or several value tokens such as
   ``0 — 无``) cut at vertical gaps wider than ``GAP_H`` box heights and at prose lines (a long line
   crossing from the label area into the value columns).
3. ``value_columns``: the x-projection of the value tokens of a segment; each gap in it is a column
   boundary (value columns are centred or right-aligned stacks, so one column's boxes overlap).
   The label area is everything left of the first column.
4. ``build``: header lines (above the first value line, starting at the first line with text over
   the value columns) become header rows; their boxes go to the columns they overlap (a merged
   header spans several). Body label lines are joined into *blocks* (a label wrapped over several
   lines) and each block goes to the value line it overlaps vertically — so a label wrapped over
   two lines with one figure between them is one row.

The result is `UnruledTable`: cells with spans; value cells carry the box the page stage re-reads
with the recogniser (`value_ink_box`): the detector does not report lone dashes at all, so a cell
without a box may still hold ``—``. Both detector and recogniser read this font's ``/`` as ``1``;
`looks_like_slash` tells them apart by the lean of the stroke.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

import cv2
import numpy as np

from parsers.ocr.engine import TextBox
from parsers.ocr.grid import INK_MIN_PX, drop_border_fragments
from parsers.values import is_number_text, is_value_text

ROW_TOL_H = 0.5  # line clustering tolerance, in median box heights
GAP_H = 3.0  # a vertical gap wider than this many box heights ends a table
JOIN_GAP_H = 0.5  # two lines of one wrapped cell are at most this far apart (box heights)
LEFT_MARGIN_H = 1.5  # the first value column starts at most this far left of its leftmost token
PROSE_MIN_H = 12.0  # a box crossing the label/value boundary this wide (box heights) is prose
HEADER_OVERLAP = 0.3  # a header box belongs to a column it covers this share of
MIN_VALUE_LINES = 2
SLASH_SLANT = 0.15  # lean (x shift top−bottom over height) above which a "1" is a slash
SPLIT_CENTRE = 0.25  # a piece of a split header box is this close to its column's centre (widths)
_CJK_RE = re.compile(r"^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+$")
_SENTENCE_RE = re.compile(r"[。；;]")


_ZERO_LOOKALIKES = {"O", "o", "〇", "D"}  # a lone 0 as the detector sometimes reads it


def _as_token(text: str) -> str:
    t = text.strip()
    return "0" if t in _ZERO_LOOKALIKES else t


def is_value_box(text: str) -> bool:
    """A value token: a number, a dash or slash, 无 — never a label (blank text is not a token).
    A lone ``O`` counts as 0: a box holding only that letter is never a label."""
    t = _as_token(text)
    return bool(t) and is_value_text(t)


def is_numeric_box(text: str) -> bool:
    t = _as_token(text)
    return bool(t) and is_number_text(t)


def median_height(boxes: list[TextBox]) -> float:
    return float(statistics.median(b.y1 - b.y0 for b in boxes)) if boxes else 24.0


@dataclass(slots=True)
class BoxGroup:
    """Text boxes taken together, with the extent they cover."""

    boxes: list[TextBox] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(b.x0 for b in self.boxes)

    @property
    def x1(self) -> float:
        return max(b.x1 for b in self.boxes)

    @property
    def y0(self) -> float:
        return min(b.y0 for b in self.boxes)

    @property
    def y1(self) -> float:
        return max(b.y1 for b in self.boxes)


@dataclass(slots=True)
class Line(BoxGroup):
    """Boxes whose vertical centres agree: one printed line across the page."""

    @property
    def cy(self) -> float:
        return sum(b.cy for b in self.boxes) / len(self.boxes)

    def is_value_line(self) -> bool:
        """Holds figures: one number, or two value tokens (a row of ``0 — 无``)."""
        vals = [b for b in self.boxes if is_value_box(b.text)]
        return any(is_numeric_box(b.text) for b in vals) or len(vals) >= 2


@dataclass(slots=True)
class Block(BoxGroup):
    """Vertically adjacent lines of one cell (a wrapped label), top to bottom."""

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.boxes)

    @property
    def conf(self) -> float:
        return min(b.conf for b in self.boxes)


@dataclass(slots=True)
class UCell:
    """One origin cell of an unruled grid. ``reread``: a value cell whose text the page stage reads
    again from ``box`` with the recogniser (detection text kept when it cannot)."""

    row: int
    col: int
    colspan: int
    text: str
    conf: float
    box: tuple[float, float, float, float] | None
    reread: bool = False


@dataclass(slots=True)
class UnruledTable:
    """A rebuilt grid: ``n_label`` label columns, then one column per value band."""

    n_rows: int
    n_label: int
    bands: list[tuple[float, float]]
    cells: list[UCell]
    bbox: tuple[float, float, float, float]
    used: set[int] = field(default_factory=set)  # id() of the boxes the table consumed

    @property
    def n_cols(self) -> int:
        return self.n_label + len(self.bands)

    @property
    def col_x(self) -> list[float]:
        return [self.bbox[0]] * self.n_label + [a for a, _ in self.bands] + [self.bands[-1][1]]

    def texts(self) -> list[list[str]]:
        """The grid as strings, merges expanded (tests and debugging)."""
        out = [[""] * self.n_cols for _ in range(self.n_rows)]
        for c in self.cells:
            for dc in range(c.colspan):
                out[c.row][c.col + dc] = c.text
        return out


# ---- stage 1 -------------------------------------------------------------------------------------


def line_rows(boxes: list[TextBox], h: float) -> list[Line]:
    """Boxes → printed lines, top to bottom (a box joins a line whose mean centre is within tolerance)."""
    lines: list[Line] = []
    for b in sorted(boxes, key=lambda b: b.cy):
        if lines and abs(b.cy - lines[-1].cy) <= ROW_TOL_H * h:
            lines[-1].boxes.append(b)
        else:
            lines.append(Line([b]))
    for ln in lines:
        ln.boxes.sort(key=lambda b: b.x0)
    return lines


# ---- stage 3 (used by 2) -------------------------------------------------------------------------


def value_columns(
    lines: list[Line], h: float, headers: list[TextBox] | None = None
) -> list[tuple[float, float]]:
    """Column bands from the x-projection of the value tokens of the value lines.

    A token left of a label on its line (a serial number) is not a value. Wide tokens holding a space
    (two figures the detector joined) are left out so they cannot bridge two columns. `headers`
    (lowest header boxes): one that overlaps no stack of tokens names a column whose every cell is
    blank or a dash the detector did not report — it gets a band of its own. Bands are cut at the
    middle of each projection gap; the first starts at most ``LEFT_MARGIN_H`` box heights left of its
    tokens, the last ends as far right of them as half the typical gap."""
    spans: list[tuple[float, float]] = []
    for ln in lines:
        if not ln.is_value_line():
            continue
        texts = [b for b in ln.boxes if not is_value_box(b.text)]
        for b in ln.boxes:
            if not is_value_box(b.text) or (" " in b.text.strip() and b.x1 - b.x0 > 2 * h):
                continue
            if any(t.x0 >= b.x1 for t in texts):
                continue
            spans.append((b.x0, b.x1))
    spans.sort()
    merged: list[list[float]] = []
    for a, z in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], z)
        else:
            merged.append([a, z])
    if not merged:
        return []
    for hb in headers or []:
        if hb.cx >= merged[0][0] - LEFT_MARGIN_H * h and not any(
            min(hb.x1, z + h / 4) - max(hb.x0, a - h / 4) > 0 for a, z in merged
        ):
            merged.append([hb.cx - h / 4, hb.cx + h / 4])
    merged.sort()
    gaps = [merged[i + 1][0] - merged[i][1] for i in range(len(merged) - 1)]
    half = (statistics.median(gaps) / 2) if gaps else LEFT_MARGIN_H * h
    edges = [merged[0][0] - min(half, LEFT_MARGIN_H * h)]
    for i in range(len(merged) - 1):
        edges.append((merged[i][1] + merged[i + 1][0]) / 2)
    edges.append(merged[-1][1] + min(half, LEFT_MARGIN_H * h))
    return [(edges[i], edges[i + 1]) for i in range(len(merged))]


def _is_prose(line: Line, left: float, h: float) -> bool:
    """A line of body text: a long box crossing the label/value boundary, or a sentence."""
    if line.is_value_line():
        return False
    for b in line.boxes:
        crosses = b.x0 < left - h and b.x1 > left + h
        if crosses and (b.x1 - b.x0 >= PROSE_MIN_H * h or _SENTENCE_RE.search(b.text)):
            return True
    return False


# ---- stage 2 -------------------------------------------------------------------------------------


def segments(lines: list[Line], h: float) -> list[list[Line]]:
    """Runs of lines that can hold one table each (see module docstring)."""
    runs: list[list[Line]] = []
    for ln in lines:
        if runs and ln.y0 - runs[-1][-1].y1 <= GAP_H * h:
            runs[-1].append(ln)
        else:
            runs.append([ln])
    out: list[list[Line]] = []
    todo = [r for r in runs if sum(ln.is_value_line() for ln in r)]
    while todo:
        run = todo.pop(0)
        bands = value_columns(run, h)
        if not bands:
            continue
        cut = next((i for i, ln in enumerate(run) if _is_prose(ln, bands[0][0], h)), None)
        if cut is None:
            out.append(run)
            continue
        parts = [run[:cut], run[cut + 1 :]]
        todo[:0] = [p for p in parts if sum(ln.is_value_line() for ln in p)]
    return out


# ---- stage 4 -------------------------------------------------------------------------------------


def _split_straddling(b: TextBox, bands: list[tuple[float, float]]) -> list[TextBox]:
    """A CJK header box the detector stretched over two columns (本年废止件数现行有效件数) → one box
    per column. CJK glyphs are about as wide as the box is high, so the box is ``n`` glyphs plus the
    white gap(s) between the two headers; the cut is the glyph boundary nearest each band edge."""
    text = b.text
    if not _CJK_RE.match(text) or len(text) < 4:
        return [b]
    inside = [(a, z) for a, z in bands if min(b.x1, z) - max(b.x0, a) > 0.3 * (z - a)]
    if len(inside) < 2:
        return [b]
    n = len(text)
    glyph = min((b.x1 - b.x0) / n, b.y1 - b.y0)
    gap = ((b.x1 - b.x0) - n * glyph) / (len(inside) - 1)  # white space between the pieces
    out: list[TextBox] = []
    start = 0
    x = b.x0
    for i, (a, z) in enumerate(inside):
        k = n if i == len(inside) - 1 else round((z - x - gap / 2) / glyph) + start
        if k - start < 2 or (i < len(inside) - 1 and k >= n - 1):
            return [b]
        right = b.x1 if k == n else x + (k - start) * glyph
        piece = TextBox(x, b.y0, right, b.y1, text[start:k], b.conf)
        # each piece must sit centred over its own column, as separate headers do; a merged header
        # (法人或其他组织 over five columns) is centred over its span instead and stays whole
        if abs(piece.cx - (a + z) / 2) > SPLIT_CENTRE * (z - a):
            return [b]
        out.append(piece)
        start, x = k, right + gap
    return out


def _deepest(b: TextBox, others: list[TextBox], h: float) -> bool:
    """No header text below `b` over the same columns: only such a box may be two joined headers.
    A header with sub-headers under it (法人或其他组织 over 商业企业 … 其他) is a merged cell."""
    return not any(
        o is not b and o.y0 >= b.y1 - 0.25 * h and min(o.x1, b.x1) - max(o.x0, b.x0) > 0 for o in others
    )


def _columns_of(x0: float, x1: float, bands: list[tuple[float, float]]) -> list[int]:
    """Value columns a header box covers (at least the one holding its centre)."""
    cx = (x0 + x1) / 2
    hit = [i for i, (a, z) in enumerate(bands) if min(x1, z) - max(x0, a) >= HEADER_OVERLAP * (z - a)]
    hit += [i for i, (a, z) in enumerate(bands) if a <= cx <= z]
    if not hit:
        hit = [min(range(len(bands)), key=lambda i: abs((bands[i][0] + bands[i][1]) / 2 - cx))]
    return list(range(min(hit), max(hit) + 1))


def _column_of(cx: float, bands: list[tuple[float, float]]) -> int:
    for i, (a, z) in enumerate(bands):
        if a <= cx <= z:
            return i
    return min(range(len(bands)), key=lambda i: min(abs(bands[i][0] - cx), abs(bands[i][1] - cx)))


def join_blocks(boxes: list[TextBox], h: float, anchored: set[int] | None = None) -> list[Block]:
    """Wrapped cells: a box continues a block it overlaps horizontally when it starts at most
    ``JOIN_GAP_H`` box heights below it. `anchored` (ids of boxes on value lines): a block holds at
    most one of them — two rows' labels are never one cell."""
    anchored = anchored or set()
    blocks: list[Block] = []
    for b in sorted(boxes, key=lambda b: (b.y0, b.x0)):
        target = None
        for blk in blocks:
            last = blk.boxes[-1]
            overlap = min(b.x1, blk.x1) - max(b.x0, blk.x0)
            if (
                overlap <= 0.3 * min(b.x1 - b.x0, blk.x1 - blk.x0)
                or not 0 - h <= b.y0 - last.y1 <= JOIN_GAP_H * h
            ):
                continue
            if id(b) in anchored and any(id(x) in anchored for x in blk.boxes):
                continue
            target = blk
        if target is None:
            blocks.append(Block([b]))
        else:
            target.boxes.append(b)
    return blocks


@dataclass(slots=True)
class _Row:
    y0: float
    y1: float
    labels: list[Block] = field(default_factory=list)
    values: dict[int, list[TextBox]] = field(default_factory=dict)
    spans: list[tuple[list[int], Block]] = field(default_factory=list)  # header-like value-area boxes
    is_value: bool = False

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def build(run: list[Line], h: float) -> UnruledTable | None:
    """One segment → grid (see module docstring), or None when it does not look like a table."""
    bands = value_columns(run, h)
    if not bands:
        return None
    first = next(i for i, ln in enumerate(run) if ln.is_value_line())
    head_start = first
    for i in range(first - 1, -1, -1):
        if any(b.cx >= bands[0][0] for b in run[i].boxes):
            head_start = i
    # header lines: from the first one with text over the value columns down to the first value line
    raw_head = [b for ln in run[head_start:first] for b in ln.boxes]
    bands = value_columns(run, h, [b for b in raw_head if _deepest(b, raw_head, h)])
    left = bands[0][0]
    last = max(i for i, ln in enumerate(run) if ln.is_value_line())
    n_value = sum(ln.is_value_line() for ln in run)
    n_num = sum(is_numeric_box(b.text) for ln in run for b in ln.boxes if b.cx >= left)
    widest = max(sum(is_value_box(b.text) for b in ln.boxes) for ln in run)
    if not n_num or (n_value < MIN_VALUE_LINES and widest < 3):
        return None
    header_boxes = [
        piece
        for b in raw_head
        for piece in (_split_straddling(b, bands) if _deepest(b, raw_head, h) else [b])
    ]
    body = run[first : last + 1]
    trailing = run[last + 1 :]
    rows: list[_Row] = []
    # header rows: blocks of the header lines, grouped by vertical centre
    for blk in sorted(join_blocks(header_boxes, h), key=lambda b: b.cy):
        if rows and abs(blk.cy - rows[-1].cy) <= ROW_TOL_H * h:
            row = rows[-1]
            row.y0, row.y1 = min(row.y0, blk.y0), max(row.y1, blk.y1)
        else:
            row = _Row(blk.y0, blk.y1)
            rows.append(row)
        if (blk.x0 + blk.x1) / 2 < left:
            row.labels.append(blk)
        else:
            row.spans.append((_columns_of(blk.x0, blk.x1, bands), blk))
    n_head = len(rows)
    # body: value lines and inner header lines are rows; other label text joins into blocks
    body_rows: list[_Row] = []
    loose: list[TextBox] = []
    anchored: set[int] = set()
    for ln in body:
        if ln.is_value_line():
            vals = [b for b in ln.boxes if b.cx >= left and is_value_box(b.text)]
            row = _Row(min(b.y0 for b in vals) if vals else ln.y0, max(b.y1 for b in vals) if vals else ln.y1)
            row.is_value = True
            for b in ln.boxes:
                if b.cx >= left and is_value_box(b.text):
                    row.values.setdefault(_column_of(b.cx, bands), []).append(b)
                elif b.cx >= left:
                    row.spans.append((_columns_of(b.x0, b.x1, bands), Block([b])))
                else:
                    loose.append(b)
                    anchored.add(id(b))
            body_rows.append(row)
        elif any(b.cx >= left for b in ln.boxes):
            row = _Row(ln.y0, ln.y1)
            for b in ln.boxes:
                for piece in _split_straddling(b, bands) if b.cx >= left else [b]:
                    if piece.cx >= left:
                        row.spans.append((_columns_of(piece.x0, piece.x1, bands), Block([piece])))
                    else:
                        row.labels.append(Block([piece]))
            body_rows.append(row)
        else:
            loose.extend(ln.boxes)
    loose.extend(b for ln in trailing for b in ln.boxes)
    used = {id(b) for ln in run[head_start : last + 1] for b in ln.boxes}
    value_rows = [r for r in body_rows if r.is_value]
    pad = ROW_TOL_H * h
    for blk in join_blocks(loose, h, anchored):
        near = [r for r in value_rows if blk.y0 <= r.y1 + pad and blk.y1 >= r.y0 - pad]
        if near:
            min(near, key=lambda r: abs(r.cy - blk.cy)).labels.append(blk)
        elif blk.y0 <= body[-1].y1:  # a label between rows (an all-blank row): a row of its own
            body_rows.append(_Row(blk.y0, blk.y1, [blk]))
        else:
            continue  # trailing text below the table: not ours
        used.update(id(b) for b in blk.boxes)
    body_rows.sort(key=lambda r: r.cy)
    rows += body_rows
    return _assemble(rows, n_head, bands, h, used)


def _assemble(
    rows: list[_Row], n_head: int, bands: list[tuple[float, float]], h: float, used: set[int]
) -> UnruledTable:
    n_label = max(1, *(len(r.labels) for r in rows))
    cells: list[UCell] = []
    for ri, r in enumerate(rows):
        labels = sorted(r.labels, key=lambda b: b.x0)
        for li, blk in enumerate(labels):
            span = n_label - li if li == len(labels) - 1 else 1
            cells.append(UCell(ri, li, span, blk.text, blk.conf, (blk.x0, blk.y0, blk.x1, blk.y1)))
        if not labels:
            cells.append(UCell(ri, 0, n_label, "", 1.0, None))
        taken: set[int] = set()
        for cols, blk in sorted(r.spans, key=lambda s: s[0][0]):
            cols = [c for c in cols if c not in taken]
            if not cols:
                continue
            cols = list(range(cols[0], cols[-1] + 1))
            taken.update(cols)
            box = (blk.x0, blk.y0, blk.x1, blk.y1)
            cells.append(UCell(ri, n_label + cols[0], len(cols), blk.text, blk.conf, box))
        prev = rows[ri - 1] if ri > n_head else None
        nxt = rows[ri + 1] if ri + 1 < len(rows) else None
        top = max(r.y0 - h, (prev.y1 + r.y0) / 2) if prev is not None else r.y0 - h
        bottom = min(r.y1 + h, (r.y1 + nxt.y0) / 2) if nxt is not None else r.y1 + h
        for ci, (a, z) in enumerate(bands):
            if ci in taken:
                continue
            got = r.values.get(ci, [])
            text = " ".join(b.text for b in got)
            conf = min((b.conf for b in got), default=1.0)
            cells.append(UCell(ri, n_label + ci, 1, text, conf, (a, top, z, bottom), reread=r.is_value))
    x0 = min([bands[0][0], *(c.box[0] for c in cells if c.box)])
    bbox = (x0, min(r.y0 for r in rows), bands[-1][1], max(r.y1 for r in rows))
    cells.sort(key=lambda c: (c.row, c.col))
    return UnruledTable(len(rows), n_label, bands, cells, bbox, used)


def find_tables(boxes: list[TextBox]) -> tuple[list[UnruledTable], list[TextBox]]:
    """All unruled tables among a page's text boxes, and the boxes left over (headings, prose)."""
    if not boxes:
        return [], []
    h = median_height(boxes)
    tables = [t for run in segments(line_rows(boxes, h), h) if (t := build(run, h)) is not None]
    used = set().union(*(t.used for t in tables)) if tables else set()
    return tables, [b for b in boxes if id(b) not in used]


# ---- value cells, re-read from the image (used by `parsers.ocr.page`) -----------------------------


def value_ink_box(ink: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    """The ink bounding box (page coordinates) of a value cell's band, or None when it is empty.

    Why not `grid.cell_lines`: its row profile drops rows with at most two ink pixels, which cuts
    the thin diagonal of ``7`` (then read ``1``) and loses ``/`` entirely. Specks are removed by a
    2×2 opening and ink touching the band's edge (a neighbour's glyph) is ignored."""
    x0, y0, x1, y1 = box
    sub = ink[y0:y1, x0:x1].copy()
    if sub.size == 0:
        return None
    sub = cv2.morphologyEx(sub, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (2, 2)))
    drop_border_fragments(sub)
    ys, xs = np.nonzero(sub)
    if len(xs) < INK_MIN_PX:
        return None
    return x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1


def looks_like_slash(ink: np.ndarray) -> bool:
    """A lone stroke read as ``1`` that leans like ``/``: the recogniser confuses the two, but the
    ink of ``/`` sits ~0.2 glyph heights further right at its top than at its bottom, while the flag
    of ``1`` leans left (measured on Noto CJK at 17–30 px: ``/`` 0.21, ``1`` −0.05…−0.02, ``7`` 0.06…0.12)."""
    ys, xs = np.nonzero(ink)
    if len(ys) == 0:
        return False
    top_y, bottom_y = int(ys.min()), int(ys.max())
    h = bottom_y - top_y + 1
    top = xs[ys < top_y + 0.3 * h]
    bottom = xs[ys > bottom_y - 0.3 * h]
    if len(top) == 0 or len(bottom) == 0:
        return False
    return float(top.mean() - bottom.mean()) / h >= SLASH_SLANT
