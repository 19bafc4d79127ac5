"""Forge report PDFs whose *text layer* splits or glues one table 三 or 四 row's digits (`parsers.repair`).

Why: `tests/forge/render_damaged.py` damages the printed text (HTML and plain text), but the damage really
happens between a PDF's drawing operators and the text its reader rebuilds from character positions. Here
the report is drawn with reportlab's canvas directly — every rule and every text chunk placed by hand — so
the damage is in the geometry, exactly as a PDF reader meets it, and the table is otherwise normal
(ruled grid, merges, wrapped labels, STSong-Light CID text that pdfminer maps back to Unicode).

Damage kinds (`DAMAGES`), each on one table 三 row chosen by the seed:

- ``split_gap``: one multi-digit figure drawn as two ``drawString`` calls with a gap of a few points, so
  a reader puts a space inside the cell (``1 2`` for 12);
- ``split_spacing``: one multi-digit figure drawn with a wide character spacing (``Tc``), every digit
  apart (``1 2 3`` for 123);
- ``split_cells``: the row has one cell too many — a vertical rule drawn through the middle of one
  figure's cell, with the figure's halves either side — so the table gains a column and the digits land
  in two adjacent cells (``1`` | ``2``);
- ``glue_span``: the rules between the row's value cells are missing and its figures are drawn as one
  tight run, so a reader finds one cell spanning every value column reading ``713000074``;
- ``glue_blanks``: the rules are all there but the figures were typed into the first value cell as one
  run (squeezed to fit, as Word's fit-text does) and the other value cells are empty;
- ``glue_overflow``: the same run at full size, left-aligned, running over the rules into the next cells
  when it is long (a reader cuts it wherever a character's centre crosses a rule, unevenly:
  ``124703642`` | ``70129125213`` | ``5``).

The same geometry on table 四's data row (`T4_DAMAGES`: ``t4_split_cells``, ``t4_glue_span``,
``t4_glue_blanks``): the 15-number row of the standard layout, one row of five of the transposed one, or
the 5 / 10 numbers of a split layout, the table chosen by the seed among those with a qualifying row as
`render_damaged` does — so a 15-figure run, wider than any table 三 row, is what the reader must cut.

``damage=None`` draws the report undamaged (for a source whose printed numbers break an identity).

`render_damaged_pdf(data, damage=...)` → ``(bytes, content_type, filename, info)``; `info` is a
`render_damaged.Damage` naming the damaged row's keys and the printed figures (None when no row
qualifies, e.g. an all-zero table 三: then the PDF is undamaged).
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from tests.forge.data import ReportData
from tests.forge.layout import Layout, LCell, LTable, outline
from tests.forge.render_damaged import Damage

PDF_TYPE = "application/pdf"
DAMAGES = ("split_gap", "split_spacing", "split_cells", "glue_span", "glue_blanks", "glue_overflow")
T4_DAMAGES = ("t4_split_cells", "t4_glue_span", "t4_glue_blanks")
FONT = "STSong-Light"
CELL_SIZE = 6.5  # points: the template's table font (the reportlab renderer's too)
CELL_LEADING = 8.0
CELL_PAD = 3.0
BODY_SIZE = 10.0
BODY_LEADING = 15.0
MARGIN = 56.0
TABLE_WIDTH = 460.0
SPLIT_GAP = 0.7  # × font size between the two chunks of a split figure (a reader's space needs > 0.25)
SPLIT_CHAR_SPACE = 0.6  # × font size of extra spacing after each digit (``Tc``)

_PAGE_W, _PAGE_H = A4


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to do to the damaged row: which grid row, which value columns, and for a split which one."""

    kind: str
    row: int  # grid row of `LTable.grid()` (the damaged row's own cells start there)
    cols: tuple[int, ...]  # grid columns of the row's value cells
    texts: tuple[str, ...]  # their printed figures
    split_col: int = -1  # position in `cols` of the split figure
    cut: int = 0  # digits before the split


def plan_damage(t: LTable, kind: str, seed: int) -> tuple[_Plan | None, Damage | None]:
    """The row of `t` (table 三, or a table 四 part) to damage the `kind` way and what the test must
    expect (None, None if no row qualifies). Chosen like `render_damaged.damage_table`, so the two
    forges damage alike."""
    rng = random.Random(seed)
    grid = t.grid()
    candidates: list[tuple[int, tuple[int, ...], tuple[LCell, ...]]] = []
    for r, row in enumerate(grid):
        cols = tuple(c for c, (cell, origin, _) in enumerate(row) if origin and cell.key)
        if len(cols) < 5:
            continue
        cells = tuple(row[c][0] for c in cols)
        if kind.startswith("split"):
            ok = any(len(c.text) >= 2 and c.text.isdigit() for c in cells)
        else:
            ok = all(c.text.isdigit() for c in cells) and any(c.text != "0" for c in cells)
        if ok:
            candidates.append((r, cols, cells))
    if not candidates:
        return None, None
    r, cols, cells = rng.choice(candidates)
    texts = tuple(c.text for c in cells)
    keys = tuple(c.key for c in cells if c.key)
    if kind.startswith("split"):
        i = rng.choice([j for j, tx in enumerate(texts) if tx.isdigit() and len(tx) >= 2])
        cut = rng.randint(1, len(texts[i]) - 1)
        if kind == "split_spacing":
            shown = " ".join(texts[i])
        elif kind == "split_gap":
            shown = f"{texts[i][:cut]} {texts[i][cut:]}"
        else:
            shown = f"{texts[i][:cut]} | {texts[i][cut:]}"
        printed = " | ".join([*texts[:i], shown, *texts[i + 1 :]])
        return _Plan(kind, r, cols, texts, i, cut), Damage(kind, keys, printed)
    return _Plan(kind, r, cols, texts), Damage(kind, keys, "".join(texts))


# --------------------------------------------------------------------------------------------------
# drawing


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of `text` (``\\n`` kept) that fit `width` at `size`, cut between characters (CJK style)."""
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            if line and pdfmetrics.stringWidth(line + ch, FONT, size) > width:
                out.append(line)
                line = ""
            line += ch
        out.append(line)
    return out


def _widths(t: LTable) -> list[float]:
    n = t.n_cols
    if t.name.startswith("t3") and n > 3:
        return [30.0, 40.0, TABLE_WIDTH - 290.0] + [220.0 / (n - 3)] * (n - 3)
    return [TABLE_WIDTH / n] * n


class _Pages:
    """A canvas with a cursor: ``y`` is the top of free space on the current page."""

    def __init__(self, data: ReportData) -> None:
        self.buf = io.BytesIO()
        self.c = Canvas(self.buf, pagesize=A4, invariant=1)
        self.c.setTitle(data.title)
        self.c.setAuthor(data.agency)
        self.y = _PAGE_H - MARGIN

    def need(self, height: float) -> None:
        if self.y - height < MARGIN:
            if height > _PAGE_H - 2 * MARGIN:
                raise ValueError(f"a block of {height:.0f} pt does not fit on one page")
            self.c.showPage()
            self.y = _PAGE_H - MARGIN

    def paragraph(self, text: str, size: float = BODY_SIZE, centre: bool = False) -> None:
        leading = size * 1.5
        for line in _wrap(text, TABLE_WIDTH, size):
            self.need(leading)
            self.y -= leading
            self.c.setFont(FONT, size)
            if centre:
                self.c.drawCentredString(_PAGE_W / 2, self.y + size * 0.3, line)
            else:
                self.c.drawString(MARGIN, self.y + size * 0.3, line)
        self.y -= size * 0.3

    def done(self) -> bytes:
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


def _centred(c: Canvas, text: str, x0: float, x1: float, y: float, size: float = CELL_SIZE) -> None:
    c.setFont(FONT, size)
    c.drawCentredString((x0 + x1) / 2, y, text)


def _segments(
    grid: list[list[tuple[LCell, bool, bool]]], xs: list[float], ys: list[float]
) -> Iterator[tuple[float, float, float, float]]:
    """Every origin cell's four edges (x0, y0, x1, y1) in PDF coordinates (y up)."""
    for r, row in enumerate(grid):
        for c, (cell, origin, _) in enumerate(row):
            if not origin:
                continue
            x0, x1 = xs[c], xs[min(c + cell.colspan, len(xs) - 1)]
            top, bottom = ys[r], ys[min(r + cell.rowspan, len(ys) - 1)]
            yield (x0, top, x1, top)
            yield (x0, bottom, x1, bottom)
            yield (x0, bottom, x0, top)
            yield (x1, bottom, x1, top)


def _draw_table(pages: _Pages, t: LTable, plan: _Plan | None) -> None:
    grid = t.grid()
    widths = _widths(t)
    xs = [MARGIN]
    for w in widths:
        xs.append(xs[-1] + w)
    heights = [CELL_LEADING + 2 * CELL_PAD] * len(grid)
    lines: dict[tuple[int, int], list[str]] = {}
    for r, row in enumerate(grid):
        for c, (cell, origin, _) in enumerate(row):
            if not origin or not cell.text:
                continue
            w = xs[min(c + cell.colspan, len(xs) - 1)] - xs[c] - 2 * CELL_PAD
            lines[(r, c)] = _wrap(cell.text, w, CELL_SIZE)
            need = len(lines[(r, c)]) * CELL_LEADING + 2 * CELL_PAD
            last = min(r + cell.rowspan, len(grid)) - 1
            have = sum(heights[r : last + 1])
            if need > have:
                heights[last] += need - have
    pages.need(sum(heights))
    ys = [pages.y]
    for h in heights:
        ys.append(ys[-1] - h)
    c = pages.c
    # rules: each origin cell's edges, minus what the damage removes, plus what it adds
    drop: set[tuple[float, float, float, float]] = set()
    extra: list[tuple[float, float, float, float]] = []
    if plan is not None and plan.kind == "glue_span":
        top, bottom = ys[plan.row], ys[plan.row + 1]
        drop = {(xs[col], bottom, xs[col], top) for col in plan.cols[1:]}
    if plan is not None and plan.kind == "split_cells":
        col = plan.cols[plan.split_col]
        mid = (xs[col] + xs[col + 1]) / 2
        extra.append((mid, ys[plan.row + 1], mid, ys[plan.row]))
    c.setLineWidth(0.5)
    seen: set[tuple[float, float, float, float]] = set()
    for seg in [*_segments(grid, xs, ys), *extra]:
        key = tuple(round(v, 2) for v in seg)
        if key in seen or seg in drop:
            continue
        seen.add(key)  # type: ignore[arg-type]
        c.line(*seg)
    # text: every cell centred, except the damaged row's value cells
    damaged = set(plan.cols) if plan is not None else set()
    for (r, col), text_lines in lines.items():
        if plan is not None and r == plan.row and col in damaged:
            continue
        cell = grid[r][col][0]
        x1 = xs[min(col + cell.colspan, len(xs) - 1)]
        bottom = ys[min(r + cell.rowspan, len(ys) - 1)]
        block = len(text_lines) * CELL_LEADING
        first = (ys[r] + bottom) / 2 + block / 2 - CELL_LEADING + (CELL_LEADING - CELL_SIZE) / 2 + 1
        for i, line in enumerate(text_lines):
            _centred(c, line, xs[col], x1, first - i * CELL_LEADING)
    if plan is not None:
        _draw_damage(c, plan, xs, ys)
    pages.y = ys[-1] - 8


def _draw_damage(c: Canvas, p: _Plan, xs: list[float], ys: list[float]) -> None:
    base = (ys[p.row] + ys[p.row + 1]) / 2 - CELL_SIZE * 0.35
    size = CELL_SIZE
    if p.kind.startswith("split"):
        for j, (col, text) in enumerate(zip(p.cols, p.texts, strict=True)):
            x0, x1 = xs[col], xs[col + 1]
            if j != p.split_col:
                _centred(c, text, x0, x1, base)
                continue
            head, tail = text[: p.cut], text[p.cut :]
            if p.kind == "split_cells":
                mid = (x0 + x1) / 2
                _centred(c, head, x0, mid, base)
                _centred(c, tail, mid, x1, base)
            elif p.kind == "split_gap":
                gap = SPLIT_GAP * size
                w_head = pdfmetrics.stringWidth(head, FONT, size)
                total = w_head + gap + pdfmetrics.stringWidth(tail, FONT, size)
                left = (x0 + x1 - total) / 2
                c.setFont(FONT, size)
                c.drawString(left, base, head)  # two text chunks, as a PDF writer emits a kerned run
                c.drawString(left + w_head + gap, base, tail)
            else:  # split_spacing: one chunk, a character spacing wide enough to read as spaces
                space = SPLIT_CHAR_SPACE * size
                total = pdfmetrics.stringWidth(text, FONT, size) + space * (len(text) - 1)
                obj = c.beginText((x0 + x1 - total) / 2, base)
                obj.setFont(FONT, size)
                obj.setCharSpace(space)
                obj.textOut(text)
                obj.setCharSpace(0)  # Tc is graphics state: it would outlive the text object
                c.drawText(obj)
        return
    glued = "".join(p.texts)
    if p.kind == "glue_span":
        _centred(c, glued, xs[p.cols[0]], xs[p.cols[-1] + 1], base)
        return
    x0, x1 = xs[p.cols[0]], xs[p.cols[0] + 1]
    if p.kind == "glue_overflow":
        c.setFont(FONT, size)
        c.drawString(x0 + CELL_PAD, base, glued)
        return
    # glue_blanks: the run in the first value cell, shrunk until it fits inside its rules
    room = x1 - x0 - 2
    while size > 2 and pdfmetrics.stringWidth(glued, FONT, size) > room:
        size -= 0.25
    _centred(c, glued, x0, x1, base, size)


def _plans(
    blocks: list[tuple[str, object]], damage: str | None, seed: int
) -> tuple[dict[int, _Plan], Damage | None]:
    """The damage plan per table (by position among the tables): a table 三 kind on the first table 三
    with a qualifying row, a table 四 kind on one table 四 (part) chosen by the seed."""
    tables: list[LTable] = [v for k, v in blocks if k == "table"]  # type: ignore[misc]
    if damage is None:
        return {}, None
    if damage in DAMAGES:
        for i, t in enumerate(tables):
            if t.name == "t3":
                plan, info = plan_damage(t, damage, seed)
                return ({i: plan} if plan is not None else {}), info
        return {}, None
    options = []
    for i, t in enumerate(tables):
        if t.name.split(".")[0] == "t4":
            plan, info = plan_damage(t, damage.removeprefix("t4_"), seed)
            if plan is not None and info is not None:
                options.append((i, plan, info))
    if not options:
        return {}, None
    i, plan, info = random.Random(seed * 7 + 1).choice(options)
    return {i: plan}, replace(info, kind=damage)


def render_damaged_pdf(
    data: ReportData, layout: Layout | None = None, *, damage: str | None = "split_gap"
) -> tuple[bytes, str, str, Damage | None]:
    """Draw `data` as a PDF with one table 三 or 四 row damaged in its text layer (see the module
    docstring)."""
    if damage is not None and damage not in DAMAGES + T4_DAMAGES:
        raise ValueError(f"damage={damage!r}; allowed: {', '.join(DAMAGES + T4_DAMAGES)}")
    layout = layout or Layout()
    if layout.t3_split != "none" or layout.t3_repeat_header or layout.tables_as_images:
        raise ValueError("render_damaged_pdf draws table 三 as one table on one page: use its default layout")
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    pages = _Pages(data)
    blocks = outline(data, layout).blocks
    plans, info = _plans(blocks, damage, data.seed)
    ti = 0
    for kind, value in blocks:
        if kind == "table":
            t: LTable = value  # type: ignore[assignment]
            pages.y -= 4
            _draw_table(pages, t, plans.get(ti))
            ti += 1
        elif kind == "title":
            pages.paragraph(str(value), size=16, centre=True)
        elif kind == "heading":
            pages.paragraph(str(value), size=12)
        elif kind == "para":
            pages.paragraph(str(value))
    return pages.done(), PDF_TYPE, f"report-{data.seed}.pdf", info
