"""Forge reports whose table 三 digits a text layer split or glued (for `parsers.repair`).

Why: a PDF→text extraction can read ``1 2`` for 12 or run a row's figures together (``713000074``). The
data are still the forge's consistent `ReportData`; only the printing of *one* table 三 row changes, so a
test knows exactly which cells were damaged and what they must come back as (or be flagged).

Damage kinds (`DAMAGES`):

- ``glue_blanks``: the row's value cells printed as one digit string, the other cells empty (text);
- ``glue_span``: the digit string in one cell spanning every value column (HTML ``colspan``);
- ``split``: one multi-digit figure printed as two cells (``1`` | ``2``), so the row has a cell too many.

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
    """Render `data` with one table 三 row damaged; style ``seed`` / ``pipe`` (text) or ``html``."""
    if damage not in DAMAGES:
        raise ValueError(f"damage={damage!r}; allowed: {', '.join(DAMAGES)}")
    if style not in ("seed", "pipe", "html"):
        raise ValueError(f"style={style!r}; allowed: seed, pipe, html")
    if damage == "glue_span" and style != "html":
        raise ValueError("glue_span needs a carrier with merged cells: style='html'")
    info: Damage | None = None
    lines: list[str] = []
    for kind, value in outline(data, layout or Layout()).blocks:
        if kind == "table":
            t = value
            if t.name == "t3" and info is None:  # type: ignore[attr-defined]
                t, info = damage_table(t, damage, data.seed)  # type: ignore[arg-type]
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
