"""Render a forged report as plain text, in the three text shapes seen in the wild.

- ``seed``: Word's text extraction (the seed report, format-spec §9.1): every table cell on its own
  tab-indented line, rows separated by blank lines, a vertically merged continuation as an *empty* cell
  line, a wrapped label continuing on an un-indented line (商业\\n企业).
- ``pipe``: a CMS text view: one line per grid row, cells joined by `` | ``, merged positions empty
  (``a | b | | |``; 杨凌/海珠 page text).
- ``markdown``: tables as GitHub markdown (as PDF→markdown extractors write them, corpus 006/008).

`render_text(data, layout, style=...) -> (bytes, content_type, filename)` is a pure function.
"""

from __future__ import annotations

from tests.forge.data import ReportData
from tests.forge.layout import Layout, LTable, outline

STYLES = ("seed", "pipe", "markdown")


def _artefact(text: str, n: int) -> str:
    """Word-extraction noise seen in the seed: stray spaces around numbers, a bookmark marker."""
    if n % 11 == 3:
        return "[bookmark: _GoBack]" + text
    return {0: " " + text, 1: text + " "}.get(n % 5, text)


def _seed_table(t: LTable, artefacts: bool = False) -> list[str]:
    out: list[str] = []
    n = 0
    for row in t.grid():
        prev = None
        for cell, origin, continuation in row:
            if cell is prev:
                continue  # colspan: one cell line for the whole merged run
            prev = cell
            if continuation or not origin:
                out.append("\t")
                continue
            text = cell.text
            if artefacts and cell.key and text.strip() and text not in ("无", "/", "／"):
                n += 1
                text = _artefact(text, n)
            out.append("\t" + text)  # later lines of a wrapped label are not indented
        out.append("")
    return out


def _flat(text: str) -> str:
    return text.replace("\n", "")


def _pipe_table(t: LTable) -> list[str]:
    return [" | ".join(_flat(c.text) if o else "" for c, o, _ in row) for row in t.grid()]


def _md_table(t: LTable) -> list[str]:
    grid = t.grid()
    lines = ["| " + " | ".join(_flat(c.text) if o else "" for c, o, _ in row) + " |" for row in grid]
    lines.insert(1, "|" + "---|" * len(grid[0]))
    return ["", *lines, ""]


def render_text(
    data: ReportData, layout: Layout | None = None, *, style: str = "seed", artefacts: bool = False
) -> tuple[bytes, str, str]:
    """Render `data` as text → ``(bytes, content_type, filename)``.

    artefacts (``seed`` only): stray spaces around some numbers and ``[bookmark: _GoBack]`` before
    others, as Word's text export leaves them (format-spec §9.1); the values do not change.
    """
    if style not in STYLES:
        raise ValueError(f"render_text style={style!r}; allowed: {', '.join(STYLES)}")
    lines: list[str] = []
    for kind, value in outline(data, layout or Layout()).blocks:
        if kind == "table":
            if style == "seed":
                lines.extend(_seed_table(value, artefacts))  # type: ignore[arg-type]
            else:
                lines.extend((_pipe_table if style == "pipe" else _md_table)(value))  # type: ignore[arg-type]
        elif kind == "image":
            continue  # a text extraction of a screenshot has nothing
        elif style == "markdown" and kind in ("title", "heading"):
            lines.extend([("# " if kind == "title" else "## ") + str(value), ""])
        else:
            lines.append(str(value))
    text = "\n".join(lines) + "\n"
    if style == "markdown":
        return text.encode("utf-8"), "text/markdown; charset=utf-8", f"report-{data.seed}.md"
    return text.encode("utf-8"), "text/plain; charset=utf-8", f"report-{data.seed}.txt"
