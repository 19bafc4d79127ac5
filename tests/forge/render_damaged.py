"""Forge reports whose table 三, 四 or 二 digits a text layer split or glued (for `parsers.repair`).

Why: a PDF→text extraction can read ``1 2`` for 12 or run a row's figures together (``713000074``). The
data are still the forge's consistent `ReportData`; only the printing of *one* row changes, so a test
knows exactly which cells were damaged and what they must come back as (or be flagged).

Damage kinds on one table 三 row (`DAMAGES`):

- ``glue_blanks``: the row's value cells printed as one digit string, the other cells empty (text);
- ``glue_span``: the digit string in one cell spanning every value column (HTML ``colspan``);
- ``split``: one multi-digit figure printed as two cells (``1`` | ``2``), so the row has a cell too many.

The same three on table 四's data row (`T4_DAMAGES`: ``t4_glue_blanks``, ``t4_glue_span``, ``t4_split``;
the 15-number row of the standard layout, or one row of 5 of the transposed one, or the 5 / 10 numbers
of a split table, chosen by the seed), plus ``t4_glue_group``: only one group of five (复议, 直接起诉 or
复议后起诉) glued into its first cell, its other four empty, the rest of the row clean.

Table 二 has no identity to repair by (`T2_DAMAGES`): ``t2_spaced`` prints one multi-digit figure with a
space inside its cell (``1 2``), ``t2_split`` as two cells (the row gains a cell).

`render_damaged(data, damage=..., style=...)` → ``(bytes, content_type, filename, info)``; `info` names the
damaged row's keys and the printed text.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, replace

from tests.forge.data import ReportData
from tests.forge.layout import Layout, LCell, LTable, outline
from tests.forge.render_text import _pipe_table, _seed_table

DAMAGES = ("glue_blanks", "glue_span", "split")
T4_DAMAGES = ("t4_glue_blanks", "t4_glue_span", "t4_split", "t4_glue_group")
T2_DAMAGES = ("t2_spaced", "t2_split")
ALL_DAMAGES = DAMAGES + T4_DAMAGES + T2_DAMAGES


@dataclass(frozen=True, slots=True)
class Damage:
    kind: str
    keys: tuple[str, ...]  # the damaged row's value keys, in column order
    printed: str  # what the row's value cells now say


def _value_run(row: list[LCell]) -> tuple[int, int]:
    idx = [i for i, c in enumerate(row) if c.key]
    return idx[0], idx[-1] + 1


def damage_table(t: LTable, kind: str, seed: int) -> tuple[LTable, Damage | None]:
    """`t` with one data row damaged the `kind` way (None when no row qualifies, e.g. all zero)."""
    rng = random.Random(seed)
    rows = [r for r in t.rows if sum(1 for c in r if c.key) >= 5]
    if kind == "split":
        rows = [r for r in rows if any(c.key and len(c.text) >= 2 and c.text.isdigit() for c in r)]
    else:
        rows = [
            r
            for r in rows
            if all(c.text.isdigit() for c in r if c.key) and any(c.text != "0" for c in r if c.key)
        ]
    if not rows:
        return t, None
    target = rng.choice(rows)
    a, b = _value_run(target)
    vals = target[a:b]
    keys = tuple(c.key for c in vals if c.key)
    if kind == "split":
        i = rng.choice([j for j, c in enumerate(vals) if c.text.isdigit() and len(c.text) >= 2])
        cut = rng.randint(1, len(vals[i].text) - 1)
        new_vals = [
            *vals[:i],
            LCell(vals[i].text[:cut], key=vals[i].key),
            LCell(vals[i].text[cut:]),
            *vals[i + 1 :],
        ]
        printed = " | ".join(c.text for c in new_vals)
    else:
        glued = "".join(c.text for c in vals)
        if kind == "glue_span":
            new_vals = [LCell(glued, colspan=len(vals))]
        else:
            new_vals = [LCell(glued), *(LCell("") for _ in vals[1:])]
        printed = glued
    new_row = [*target[:a], *new_vals, *target[b:]]
    rows_out = [new_row if r is target else r for r in t.rows]
    return replace(t, rows=rows_out), Damage(kind, keys, printed)


def _groups(vals: list[LCell]) -> list[list[int]]:
    """Positions (in `vals`) of each table 四 group of five: consecutive keyed cells of one key prefix."""
    out: list[list[int]] = []
    for j, c in enumerate(vals):
        if not c.key:
            continue
        prefix = c.key.rsplit(".", 1)[0]
        if out and vals[out[-1][-1]].key.rsplit(".", 1)[0] == prefix:  # type: ignore[union-attr]
            out[-1].append(j)
        else:
            out.append([j])
    return out


def damage_group(t: LTable, seed: int) -> tuple[LTable, Damage | None]:
    """`t` (table 四) with one group of five of one data row glued into its first cell, the other four
    empty; the row keeps its number of cells, so only that group's digits lose their boundaries."""
    rng = random.Random(seed)
    options: list[tuple[list[LCell], list[int]]] = []
    for r in t.rows:
        if sum(1 for c in r if c.key) < 5:
            continue
        for g in _groups(r):
            texts = [r[j].text for j in g]
            if len(g) == 5 and all(tx.isdigit() for tx in texts) and any(tx != "0" for tx in texts):
                options.append((r, g))
    if not options:
        return t, None
    target, g = rng.choice(options)
    glued = "".join(target[j].text for j in g)
    new_row = list(target)
    new_row[g[0]] = LCell(glued)
    for j in g[1:]:
        new_row[j] = LCell("")
    keys = tuple(target[j].key for j in g if target[j].key)
    rows_out = [new_row if r is target else r for r in t.rows]
    return replace(t, rows=rows_out), Damage("t4_glue_group", keys, glued)


def damage_t2(t: LTable, kind: str, seed: int) -> tuple[LTable, Damage | None]:
    """`t` (table 二) with one multi-digit figure spaced inside its cell or split into two cells."""
    rng = random.Random(seed)
    options = [
        (r, j) for r in t.rows for j, c in enumerate(r) if c.key and c.text.isdigit() and len(c.text) >= 2
    ]
    if not options:
        return t, None
    target, j = rng.choice(options)
    cell = target[j]
    cut = rng.randint(1, len(cell.text) - 1)
    head, tail = cell.text[:cut], cell.text[cut:]
    if kind == "t2_spaced":
        new_cells = [replace(cell, text=f"{head} {tail}")]
        printed = f"{head} {tail}"
    else:  # t2_split: the figure's cell keeps its span, its tail is a cell of its own after it
        new_cells = [replace(cell, text=head), LCell(tail)]
        printed = f"{head} | {tail}"
    new_row = [*target[:j], *new_cells, *target[j + 1 :]]
    rows_out = [new_row if r is target else r for r in t.rows]
    assert cell.key is not None
    return replace(t, rows=rows_out), Damage(kind, (cell.key,), printed)


def _damage_tables(tables: list[LTable], damage: str, seed: int) -> tuple[dict[int, LTable], Damage | None]:
    """The damaged versions of `tables` (by position) for one damage kind: table 三 kinds hit the first
    table 三; table 四 and 二 kinds a table of that kind chosen by the seed among those with a qualifying
    row (a split layout prints 四 and 二 as several tables)."""
    if damage in DAMAGES:
        for i, t in enumerate(tables):  # the first table 三 (part) with a row to damage, as before
            if t.name == "t3":
                new, info = damage_table(t, damage, seed)
                if info is not None:
                    return {i: new}, info
        return {}, None
    prefix = "t4" if damage in T4_DAMAGES else "t2"
    done: list[tuple[int, LTable, Damage]] = []
    for i, t in enumerate(tables):
        if t.name.split(".")[0] != prefix:
            continue
        if damage == "t4_glue_group":
            new, info = damage_group(t, seed)
        elif prefix == "t4":
            new, info = damage_table(t, damage.removeprefix("t4_"), seed)
        else:
            new, info = damage_t2(t, damage, seed)
        if info is not None:
            done.append((i, new, info))
    if not done:
        return {}, None
    i, new, info = random.Random(seed * 7 + 1).choice(done)
    return {i: new}, replace(info, kind=damage)


def _html_table(t: LTable) -> str:
    out = ["<table border='1'>"]
    for row in t.rows:
        cells = "".join(
            f"<td rowspan='{c.rowspan}' colspan='{c.colspan}'>"
            + html.escape(c.text).replace("\n", "<br>")
            + "</td>"
            for c in row
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def render_damaged(
    data: ReportData, layout: Layout | None = None, *, damage: str = "glue_blanks", style: str = "seed"
) -> tuple[bytes, str, str, Damage | None]:
    """Render `data` with one row damaged (`ALL_DAMAGES`); style ``seed`` / ``pipe`` (text) or ``html``."""
    if damage not in ALL_DAMAGES:
        raise ValueError(f"damage={damage!r}; allowed: {', '.join(ALL_DAMAGES)}")
    if style not in ("seed", "pipe", "html"):
        raise ValueError(f"style={style!r}; allowed: seed, pipe, html")
    if damage.endswith("glue_span") and style != "html":
        raise ValueError("glue_span needs a carrier with merged cells: style='html'")
    blocks = outline(data, layout or Layout()).blocks
    tables = [v for k, v in blocks if k == "table"]
    damaged, info = _damage_tables(tables, damage, data.seed)  # type: ignore[arg-type]
    lines: list[str] = []
    ti = 0
    for kind, value in blocks:
        if kind == "table":
            t = damaged.get(ti, value)
            ti += 1
            if style == "html":
                lines.append(_html_table(t))  # type: ignore[arg-type]
            else:
                lines.extend((_seed_table if style == "seed" else _pipe_table)(t))  # type: ignore[arg-type]
        elif kind == "image":
            continue
        else:
            lines.append(f"<p>{html.escape(str(value))}</p>" if style == "html" else str(value))
    if style == "html":
        body = "\n".join(lines)
        title = html.escape(data.title)
        page = f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"
        return page.encode("utf-8"), "text/html; charset=utf-8", f"report-{data.seed}.html", info
    return (
        ("\n".join(lines) + "\n").encode("utf-8"),
        "text/plain; charset=utf-8",
        f"report-{data.seed}.txt",
        info,
    )
