"""Table grids from a page image, as named stages (pdfplumber's ``table.py`` shape, style.md §5).

Ruled tables (the common case: Word tables printed with borders):

1. ``find_rules``: morphological opening of the binary ink image with long thin kernels keeps only
   horizontal / vertical runs longer than a glyph (kernels sized from `char_height`; strokes are
   shorter);
   a small closing rejoins rules broken by noise.
2. ``rules_to_regions``: connected components of the rule mask with enough rows and columns are
   tables.
3. ``region_to_grid``: rule positions (clustered by coordinate) give row and column borders; each
   grid square's four sides are tested for a printed rule (``EDGE_COVER`` of its length); squares
   without the rule between them belong to one merged cell (union-find → rectangular cells).
4. ``cell_lines``: inside a cell (rules masked out), the row-ink profile splits the text into lines,
   each grown to the whole glyphs it touches (``grow_to_components``: the profile drops rows of a
   thin stem) and speck-sized lines dropped; each line is cropped with a white margin for the
   recogniser.

Unruled tables are rebuilt from text boxes in `parsers.ocr.unruled`; ``cluster_rows`` (boxes → text
lines by vertical overlap) is kept here for the lines of body text outside every table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from parsers.ocr.engine import TextBox

RULE_MIN_PX = 20  # no rule is shorter than this many pixels, whatever the glyph size
H_KERNEL_CH = 2.6  # horizontal rule kernel, in glyph heights (an em dash pair is ~2 glyphs wide)
V_KERNEL_CH = 1.35  # vertical rule kernel, in glyph heights (rows are ≥ 1.5 glyphs high)
H_RULE_CH = 3.0  # a row border spans at least this many glyph heights of rule
DEFAULT_CHAR_PX = 24.0  # glyph height assumed when a page has too little ink to measure
RULE_MERGE_PX = 8  # rules closer than this are one border (double lines, thick rules)
EDGE_COVER = 0.6  # a side of a grid square is ruled if the rule mask covers this share of it
MIN_ROWS = 2
MIN_COLS = 2
LINE_GAP_PX = 2  # rows of the row-ink profile with at most this much ink separate two text lines
CROP_MARGIN = 8  # white margin around a line crop (the recogniser misses glyphs touching the edge)
LINE_MAX_CH = 1.3  # a text line is at most this many glyph heights high
INK_MIN_PX = 12  # a cell with fewer ink pixels than this (after rules are removed) is empty
SPECK_LINE_CH = 0.25  # a cell text line below this many glyph heights in width and height is a speck


@dataclass(slots=True)
class GridCell:
    """A (possibly merged) cell: grid position, spans, and its box in page pixels."""

    row: int
    col: int
    rowspan: int
    colspan: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (inside the rules)


@dataclass(slots=True)
class Grid:
    """One ruled table: borders and cells; `texts`/`confs` are filled by the recognition stage."""

    bbox: tuple[int, int, int, int]
    row_y: list[int]
    col_x: list[int]
    cells: list[GridCell] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.row_y) - 1

    @property
    def n_cols(self) -> int:
        return len(self.col_x) - 1


def char_height(ink: np.ndarray) -> float:
    """Typical glyph height in pixels: the 80th percentile of connected-component heights (CJK glyphs
    fall apart into radicals, digits are shorter; the upper percentile lands on whole glyphs)."""
    _n, _lab, stats, _c = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w = stats[1:, 3], stats[1:, 2]
    keep = (h >= 6) & (h <= 200) & (w <= 200)
    if int(keep.sum()) < 5:
        return DEFAULT_CHAR_PX
    return float(np.percentile(h[keep], 80))


def find_rules(ink: np.ndarray, ch: float) -> tuple[np.ndarray, np.ndarray]:
    """Stage 1: (horizontal, vertical) rule masks. Kernels are sized from the glyph height `ch`:
    a vertical rule between two cells is only one row high, so the vertical kernel must be longer
    than a glyph (``V_KERNEL_CH``) but shorter than a row; a horizontal rule spans at least one cell,
    longer than two glyphs' strokes side by side (``H_KERNEL_CH``)."""
    hk = max(RULE_MIN_PX, int(ch * H_KERNEL_CH))
    vk = max(12, int(ch * V_KERNEL_CH))
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hk, 1)))
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vk)))
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 9)))
    return horiz, vert


def _cluster(values: list[int], gap: int) -> list[int]:
    out: list[list[int]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= gap:
            out[-1].append(v)
        else:
            out.append([v])
    return [round(sum(c) / len(c)) for c in out]


def _rule_positions(mask: np.ndarray, axis: int, min_len: int) -> list[int]:
    """Coordinates (y for horizontal rules, x for vertical) of rule runs at least `min_len` long."""
    prof = (mask > 0).sum(axis=axis)
    idx = [int(i) for i in np.nonzero(prof >= min_len)[0]]
    return _cluster(idx, RULE_MERGE_PX)


def rules_to_regions(horiz: np.ndarray, vert: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Stage 2: bounding boxes of rule networks big enough to be tables, top to bottom."""
    both = cv2.bitwise_or(horiz, vert)
    both = cv2.dilate(both, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(both, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, _area = (int(v) for v in stats[i])
        if w >= RULE_MIN_PX * 2 and h >= RULE_MIN_PX // 2:
            out.append((x, y, x + w, y + h))
    out.sort(key=lambda b: (b[1], b[0]))
    return out


def _covered(mask: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> float:
    """Share of positions along a side (the long axis) where the mask has ink within the band."""
    band = mask[max(y0, 0) : max(y1, 1), max(x0, 0) : max(x1, 1)] > 0
    if band.size == 0:
        return 0.0
    along = band.any(axis=0) if (x1 - x0) >= (y1 - y0) else band.any(axis=1)
    return float(along.mean())


def region_to_grid(
    horiz: np.ndarray, vert: np.ndarray, region: tuple[int, int, int, int], ch: float
) -> Grid | None:
    """Stage 3: borders and (merged) cells of the table inside `region`."""
    x0, y0, x1, y1 = region
    pad = RULE_MERGE_PX
    hsub = horiz[y0 : y1 + 1, x0 : x1 + 1]
    vsub = vert[y0 : y1 + 1, x0 : x1 + 1]
    min_h = max(RULE_MIN_PX, int(ch * H_RULE_CH))
    min_v = max(12, int(ch * V_KERNEL_CH))
    rows = [y0 + y for y in _rule_positions(hsub, 1, min_h)]
    cols = [x0 + x for x in _rule_positions(vsub, 0, min_v)]
    if len(rows) < MIN_ROWS + 1 or len(cols) < MIN_COLS + 1:
        return None
    nr, nc = len(rows) - 1, len(cols) - 1
    # does a rule separate square (r, c) from its right / lower neighbour?
    right = np.zeros((nr, nc), dtype=bool)
    down = np.zeros((nr, nc), dtype=bool)
    for r in range(nr):
        for c in range(nc):
            ya, yb = rows[r] + pad, rows[r + 1] - pad
            xa, xb = cols[c] + pad, cols[c + 1] - pad
            if c + 1 < nc:
                xr = cols[c + 1]
                right[r, c] = _covered(vert, ya, yb, xr - pad, xr + pad + 1) >= EDGE_COVER
            if r + 1 < nr:
                yr = rows[r + 1]
                down[r, c] = _covered(horiz, yr - pad, yr + pad + 1, xa, xb) >= EDGE_COVER
    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not right[r, c]:
                parent[find(r * nc + c + 1)] = find(r * nc + c)
            if r + 1 < nr and not down[r, c]:
                parent[find((r + 1) * nc + c)] = find(r * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    grid = Grid(region, rows, cols)
    taken = np.zeros((nr, nc), dtype=bool)
    for squares in sorted(groups.values(), key=lambda s: min(s)):
        r0 = min(r for r, _ in squares)
        c0 = min(c for _, c in squares)
        r1 = max(r for r, _ in squares)
        c1 = max(c for _, c in squares)
        if taken[r0 : r1 + 1, c0 : c1 + 1].any():  # a non-rectangular merge: keep its squares apart
            for r, c in squares:
                if not taken[r, c]:
                    taken[r, c] = True
                    grid.cells.append(GridCell(r, c, 1, 1, (cols[c], rows[r], cols[c + 1], rows[r + 1])))
            continue
        taken[r0 : r1 + 1, c0 : c1 + 1] = True
        grid.cells.append(
            GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, (cols[c0], rows[r0], cols[c1 + 1], rows[r1 + 1]))
        )
    grid.cells.sort(key=lambda g: (g.row, g.col))
    return grid


def find_grids(ink: np.ndarray, ch: float) -> tuple[list[Grid], np.ndarray]:
    """Stages 1–3 on a page → ruled grids plus the combined rule mask (to erase rules from crops)."""
    horiz, vert = find_rules(ink, ch)
    grids = [g for reg in rules_to_regions(horiz, vert) if (g := region_to_grid(horiz, vert, reg, ch))]
    return grids, cv2.bitwise_or(horiz, vert)


def text_lines(ink: np.ndarray, ch: float) -> list[tuple[int, int, int, int]]:
    """Text line boxes (x0, y0, x1, y1) inside a binary crop, top to bottom, from the row-ink profile."""
    prof = (ink > 0).sum(axis=1)
    rows = prof > LINE_GAP_PX
    out = []
    y = 0
    h = len(rows)
    while y < h:
        if not rows[y]:
            y += 1
            continue
        start = y
        while y < h and rows[y]:
            y += 1
        band = ink[start:y]
        if int((band > 0).sum()) >= INK_MIN_PX and y - start >= 3:
            cols = np.nonzero((band > 0).any(axis=0))[0]
            out.append((int(cols[0]), start, int(cols[-1]) + 1, y))
    return merge_split_lines(out, ch)


def merge_split_lines(lines: list[tuple[int, int, int, int]], ch: float) -> list[tuple[int, int, int, int]]:
    """Pieces of one text line that the profile split apart (息 = 自 over 心, the strokes of 二/三)
    are joined while the joined band stays within ``LINE_MAX_CH`` glyph heights."""
    out: list[tuple[int, int, int, int]] = []
    for b in lines:
        if out and b[3] - out[-1][1] <= ch * LINE_MAX_CH:
            p = out.pop()
            b = (min(p[0], b[0]), p[1], max(p[2], b[2]), b[3])
        out.append(b)
    return out


def crop_line(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A line crop with a white margin (a glyph touching the edge is often dropped)."""
    x0, y0, x1, y1 = box
    crop = gray[y0:y1, x0:x1]
    return cv2.copyMakeBorder(crop, CROP_MARGIN, CROP_MARGIN, CROP_MARGIN, CROP_MARGIN,
                              cv2.BORDER_CONSTANT, value=255)  # fmt: skip


def drop_border_fragments(sub_ink: np.ndarray) -> None:
    """Erase (in place) ink components touching the cell's edge: remnants of a rule thickened by noise
    or blur, which the recogniser reads as 一 or 1. Text is centred away from the borders."""
    n, labels, stats, _c = cv2.connectedComponentsWithStats(sub_ink, connectivity=8)
    h, w = sub_ink.shape
    for i in range(1, n):
        x, y, bw, bh, _a = (int(v) for v in stats[i])
        if x == 0 or y == 0 or x + bw >= w or y + bh >= h:
            sub_ink[labels == i] = 0


def cell_lines(
    ink: np.ndarray, rules: np.ndarray, box: tuple[int, int, int, int], ch: float
) -> list[tuple[int, int, int, int]]:
    """Stage 4: text line boxes (page coordinates) inside one cell, rules and their halo removed."""
    x0, y0, x1, y1 = box
    inset = 2
    sub_ink = ink[y0 + inset : y1 - inset, x0 + inset : x1 - inset].copy()
    if sub_ink.size == 0:
        return []
    halo = cv2.dilate(rules[y0 + inset : y1 - inset, x0 + inset : x1 - inset],
                      cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))  # fmt: skip
    sub_ink[halo > 0] = 0
    sub_ink = cv2.morphologyEx(sub_ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (2, 2)))
    drop_border_fragments(sub_ink)
    dx, dy = x0 + inset, y0 + inset
    lines = text_lines(sub_ink, ch)
    if not lines and int((sub_ink > 0).sum()) >= INK_MIN_PX:  # every row thin (a lone 1 or /): one line
        ys, xs = np.nonzero(sub_ink)
        lines = [(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)]
    lines = grow_to_components(sub_ink, lines)
    # a "line" smaller than SPECK_LINE_CH glyph heights both ways is a noise cluster the 2×2 opening
    # left (read 二 or . above a figure), never text: a dash is wider, a glyph taller
    limit = SPECK_LINE_CH * ch
    lines = [b for b in lines if b[2] - b[0] >= limit or b[3] - b[1] >= limit]
    return [(a + dx, b + dy, c + dx, d + dy) for a, b, c, d in lines]


def grow_to_components(
    ink: np.ndarray, lines: list[tuple[int, int, int, int]]
) -> list[tuple[int, int, int, int]]:
    """Each line box grown to the whole of every ink component it touches.

    Why: `text_lines` keeps profile rows with more than ``LINE_GAP_PX`` ink pixels, so a glyph whose
    rows hold only its 2 px stroke loses them: a lone ``1`` in a ruled cell was cropped to its flag
    and read ``-``, the diagonal of ``7`` or ``/`` was cut. A component is one glyph (or radical),
    so its bounding box restores the rows the profile dropped. Lines that then overlap are joined."""
    if not lines:
        return lines
    _n, labels, stats, _c = cv2.connectedComponentsWithStats(ink, connectivity=8)
    grown: list[tuple[int, int, int, int]] = []
    for x0, y0, x1, y1 in lines:
        ids = np.unique(labels[y0:y1, x0:x1])
        for i in ids[ids > 0]:
            x, y, w, h, _a = (int(v) for v in stats[i])
            x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x + w), max(y1, y + h)
        if grown and y0 < grown[-1][3]:
            p = grown.pop()
            x0, y0, x1, y1 = min(p[0], x0), min(p[1], y0), max(p[2], x1), max(p[3], y1)
        grown.append((x0, y0, x1, y1))
    return grown


# ---- text lines outside tables ----------------------------------------------------------------------


def cluster_rows(boxes: list[TextBox]) -> list[list[TextBox]]:
    """Boxes → rows: a box joins the current row if its vertical centre lies within the row's span."""
    rows: list[list[TextBox]] = []
    for b in sorted(boxes, key=lambda b: b.cy):
        if rows:
            top = min(x.y0 for x in rows[-1])
            bottom = max(x.y1 for x in rows[-1])
            if top <= b.cy <= bottom:
                rows[-1].append(b)
                continue
        rows.append([b])
    for r in rows:
        r.sort(key=lambda b: b.x0)
    return rows
