"""Spans → full rectangular grid, shared by the HTML and DOCX carriers.

Why one function: rowspan/colspan expansion is where table readers quietly go wrong (a value shifted
one column right by an earlier rowspan). Doing it once, with the HTML table model's rules, gives every
carrier the same behaviour on the same merge pattern:

- positions already covered by an earlier rowspan are skipped before a cell is placed;
- ``rowspan=0`` spans to the end of the table; any rowspan is clamped at the last row;
- ``colspan=0`` counts as 1 (as browsers do); spans above `MAX_SPAN` are capped and a warning recorded;
- short rows are padded with ``{"pad": True}`` cells, and a row with no cell of its own that nothing
  spans into (an empty ``<tr/>``) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parsers.document import Cell, Src, Table
from parsers.errors import LimitExceeded

# The HTML spec caps colspan at 1000; real report tables have < 30 columns. A span beyond this is a
# typo or an attack (colspan=100000 would allocate a huge row), so it is capped.
MAX_SPAN = 200
# Upper bound on grid positions of one table (rows × columns after expansion). A table 三 is ~30 × 9.
MAX_GRID_CELLS = 500_000


@dataclass(slots=True)
class RawCell:
    """One source cell before expansion."""

    text: str
    src: Src = field(default_factory=dict)
    rowspan: int = 1
    colspan: int = 1


def _span(value: int, what: str, warnings: list[str]) -> int:
    if value > MAX_SPAN:
        warnings.append(f"{what}={value} capped at {MAX_SPAN}")
        return MAX_SPAN
    return value


def build_grid(rows: list[list[RawCell]], src: Src, warnings: list[str]) -> Table:
    """Expand the spans of `rows` into a rectangular `Table` (rules in the module docstring)."""
    n_rows = len(rows)
    grid: list[dict[int, Cell]] = [{} for _ in range(n_rows)]  # per row: column → placed cell
    own: set[int] = set()
    width = 0
    for r, raw_row in enumerate(rows):
        line = grid[r]
        c = 0
        for raw in raw_row:
            while c in line:
                c += 1
            colspan = _span(max(raw.colspan, 1), "colspan", warnings)
            rowspan = raw.rowspan if raw.rowspan > 0 else n_rows - r
            rowspan = min(_span(rowspan, "rowspan", warnings), n_rows - r)
            if (c + colspan) * n_rows > MAX_GRID_CELLS:
                raise LimitExceeded("table", f"expands to more than {MAX_GRID_CELLS:,} grid positions")
            if rowspan == colspan == 1:  # the usual cell: (r, c) is free (skipped to above)
                line[c] = Cell(raw.text, raw.src)
            else:
                for dr in range(rowspan):
                    target = grid[r + dr]
                    for dc in range(colspan):
                        if c + dc in target:  # overlapping spans (malformed HTML): first writer wins
                            continue
                        origin = None if (dr, dc) == (0, 0) else (r, c)
                        target[c + dc] = Cell(raw.text, raw.src, origin)
            own.add(r)
            width = max(width, c + colspan)
            c += colspan

    # every placed column is < width, so "anything placed in row r" is a non-empty row dict
    keep = [r for r in range(n_rows) if r in own or grid[r]]
    remap = {old: new for new, old in enumerate(keep)}
    renumbered = len(keep) != n_rows  # with no row dropped, every span origin keeps its row number
    out: list[list[Cell]] = []
    for r in keep:
        line = grid[r]
        row: list[Cell] = []
        for c in range(width):
            cell = line.get(c)
            if cell is None:
                row.append(Cell("", {"pad": True}))
            elif renumbered and cell.span_of is not None and cell.span_of[0] != r:
                row.append(Cell(cell.text, cell.src, (remap[cell.span_of[0]], cell.span_of[1])))
            else:
                row.append(cell)
        out.append(row)
    return Table(out, dict(src))


def pad_rows(rows: list[list[Cell]], src: Src) -> Table:
    """Pad rows of already-placed cells (no spans) to a rectangle."""
    width = max((len(r) for r in rows), default=0)
    return Table([r + [Cell("", {"pad": True}) for _ in range(width - len(r))] for r in rows], dict(src))
