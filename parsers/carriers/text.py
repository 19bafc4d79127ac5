"""Text carrier: plain-text extractions of reports (Word text, CMS text views, PDF/OCR markdown).

Each line is classified once (``classify_line``), then one pass groups lines into tables and paragraphs.
The table shapes real extractions take (format-spec §9.1):

a. **Word text ("seed" shape)**: each cell on its own tab-indented line, rows separated by blank lines.
   A line that is just the tab is an empty cell (a vertically merged continuation); a non-tab line that
   follows a cell line directly continues that cell (multi-line labels such as 商业\\n企业); a non-tab
   line after a blank line ends the table. Rows have different lengths (the 2021 table 三 header): they
   are padded to a rectangle and no merge is guessed — the mapping stage works on labels.
b. **pipe rows** from CMS text views: ``第二十条第(一)项 | |||``, split on ``|``. Outer pipes are read per
   table (`pipe_table_shape`): a leading ``|`` is a border only in a table whose rows mostly start and
   end with one (markdown), elsewhere it opens an empty first cell; a trailing ``|`` closes the last cell
   where most rows end with one (``a | |||`` is four cells ``a, "", "", ""``), elsewhere it opens an
   empty last cell (a blank 总计 in cells joined by `` | ``).
c. **markdown tables** ``| a | b |`` — the ``|---|`` separator line is skipped wherever it appears
   (PDF-to-markdown tools repeat it mid-table); a blank or non-pipe line ends the table.
d. **tab-separated rows**: ``规章\\t0\\t0\\t0`` (a line with a tab after its first non-blank text); inside
   such a table a line ``\\t0`` is a row with an empty first cell, not a seed-shape cell.

Everything else is a paragraph (markdown heading marks ``#`` dropped). Word's ``[bookmark: _GoBack]``
artefacts are removed here, because they are an artefact of the extraction, not of the report; each
removal is recorded in ``Document.warnings``. Every cell and paragraph has ``{"line": n}`` (1-based).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from parsers.carriers._decode import charset_from_content_type, decode_bytes
from parsers.carriers._grid import pad_rows
from parsers.carriers._text import clean_line, clean_lines
from parsers.document import Block, Cell, Document, Paragraph
from parsers.errors import UnreadableInput
from parsers.limits import DEFAULT_LIMITS, Limits

BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]")
_MD_SEP_CELL = re.compile(r"^\s*:?-{2,}:?\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


#: a line longer than this is prose even if it holds a pipe (a table row is labels and figures)
MAX_PIPE_ROW = 200


class Kind(Enum):
    BLANK = "blank"
    CELL = "cell"  # seed shape: tab-indented single cell
    TSV = "tsv"
    PIPE = "pipe"
    SEP = "sep"  # markdown |---|---|
    PLAIN = "plain"


def classify_line(line: str) -> Kind:
    """The shape of one line (see the module docstring)."""
    if not line.strip():
        return Kind.CELL if line.startswith("\t") else Kind.BLANK
    body = line.strip()
    if "|" in body:
        inner = body.strip("|")
        parts = [p for p in inner.split("|")]
        if inner and all(_MD_SEP_CELL.match(p) for p in parts):
            return Kind.SEP
        if body.startswith("|") or body.endswith("|") or body.count("|") >= 2:
            return Kind.PIPE
    if "\t" in line.lstrip("\t").rstrip():
        return Kind.TSV
    if line.startswith("\t"):
        return Kind.CELL
    return Kind.PLAIN


def split_pipe_row(line: str, bordered: bool | None = None, terminated: bool | None = None) -> list[str]:
    """``| a | b |`` / ``a | b | |||`` → cells (one outer pipe on each side dropped).

    `bordered` and `terminated` are the table's shape (`pipe_table_shape`). In a table whose rows do not
    start with a pipe (a CMS text view), a row that does — `` |  | 结果维持 | …`` — starts with an *empty
    cell* (the corner of a transposed table 四, a vertically merged label); in a table whose rows do not
    end with one (cells joined by `` | ``), a row that does — ``… | 0 | `` — ends with an empty cell (a
    blank 总计). Dropping either pipe would shift the row's cells one column. None: decide by the line
    alone (outer pipes are borders).
    """
    body = line.strip()
    if body.startswith("|") and bordered is not False:
        body = body[1:]
    if body.endswith("|") and (bordered or terminated is not False):
        body = body[:-1]
    return [clean_lines(p) for p in body.split("|")]


def pipe_table_bordered(lines: list[str]) -> bool:
    """Whether a pipe table draws outer borders (markdown ``| a | b |``): most of its rows start *and*
    end with a pipe. Decided per table, because rows of a border-less table may start with an empty
    cell (`` |  | 结果维持 | …``) — in a transposed table 四, most of them do."""
    framed = sum(1 for line in lines if (body := line.strip()).startswith("|") and body.endswith("|"))
    return framed * 2 > len(lines)


def pipe_table_shape(lines: list[str]) -> tuple[bool, bool]:
    """(bordered, terminated): markdown borders (`pipe_table_bordered`); or, border-less, whether every
    cell is *closed* by a pipe (``a |b |c |``) rather than cells *joined* by pipes (``a | b | c``, where
    a row ending in a pipe ends with an empty cell). The reading under which more rows share one width
    wins — a table's rows have one width; a tie keeps the pipe as a terminator."""
    if pipe_table_bordered(lines):
        return True, True

    def agreement(terminated: bool) -> int:
        widths = Counter(len(split_pipe_row(line, False, terminated)) for line in lines)
        return max(widths.values()) if widths else 0

    return False, agreement(True) >= agreement(False)


@dataclass(slots=True)
class _TableBuilder:
    kind: Kind
    first_line: int
    rows: list[list[Cell]] = field(default_factory=list)
    row_open: bool = False
    pipe_lines: list[tuple[int, str]] = field(default_factory=list)  # PIPE: split at close, per table


def drop_empty_columns(rows: list[list[Cell]]) -> list[list[Cell]]:
    """A pipe table's columns that are blank in every row (header rows included) removed.

    Why: a column no row writes in is the remnant of a merge in the page the text was flattened from — a
    table 二 whose 本年废止件数 spanned two grid columns prints `` |  | `` under it in every row. Flattened,
    the merge is gone and the empty column shifts the header against the figures. In a pipe table a
    column has no other meaning than its cells, so one that holds nothing is dropped."""
    width = max((len(r) for r in rows), default=0)
    keep = [i for i in range(width) if any(i < len(r) and r[i].text.strip() for r in rows)]
    if len(keep) == width:
        return rows
    return [[r[i] for i in keep if i < len(r)] for r in rows]


def _one_pipe_row(line: str, kind: Kind) -> bool:
    return kind is Kind.PLAIN and "|" in line and len(line.strip()) <= MAX_PIPE_ROW


def _pipe_pairs(lines: list[str], kinds: list[Kind]) -> list[Kind]:
    """Short lines with one pipe, next to another pipe line, are pipe rows: ``信息内容 | 本年处理决定数量``
    followed by ``行政许可 | 379`` (a split table 二 under its own title). One such line alone is prose."""
    out = list(kinds)
    for i, (line, kind) in enumerate(zip(lines, kinds, strict=True)):
        if not _one_pipe_row(line, kind):
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(lines) and (kinds[j] is Kind.PIPE or _one_pipe_row(lines[j], kinds[j])):
                out[i] = Kind.PIPE
                break
    return out


def lines_to_blocks(lines: list[str]) -> list[Block]:
    """Group classified lines into paragraphs and padded tables, in order."""
    blocks: list[Block] = []
    table: _TableBuilder | None = None
    prev = Kind.BLANK

    def close() -> None:
        nonlocal table
        if table is not None:
            if table.pipe_lines:
                bordered, terminated = pipe_table_shape([line for _, line in table.pipe_lines])
                table.rows = drop_empty_columns([
                    [Cell(t, {"line": n}) for t in split_pipe_row(line, bordered, terminated)]
                    for n, line in table.pipe_lines
                ])
            rows = [r for r in table.rows if r]
            if any(c.text for r in rows for c in r):
                n = sum(1 for b in blocks if not isinstance(b, Paragraph))
                blocks.append(pad_rows(rows, {"table_idx": n, "line": table.first_line}))
            table = None

    kinds = _pipe_pairs(lines, [classify_line(raw) for raw in lines])
    for i, raw in enumerate(lines, start=1):
        kind = kinds[i - 1]
        if table is not None and table.kind is Kind.CELL:
            if kind is Kind.CELL:
                if not table.row_open:
                    table.rows.append([])
                    table.row_open = True
                table.rows[-1].append(Cell(clean_lines(raw), {"line": i}))
                prev = kind
                continue
            if kind is Kind.BLANK:
                table.row_open = False
                prev = kind
                continue
            if kind is Kind.PLAIN and prev in (Kind.CELL, Kind.PLAIN) and table.row_open:
                last = table.rows[-1][-1]
                last.text = clean_lines(f"{last.text}\n{raw}")
                prev = Kind.PLAIN
                continue
            close()
        elif table is not None and table.kind is Kind.PIPE:
            if kind is Kind.SEP:
                prev = kind
                continue
            if kind is Kind.PIPE or _one_pipe_row(raw, kind):
                # inside a pipe table, ``信息内容 | 本年处理决定数量`` (one pipe: a 2-cell row of a split
                # table 二) is a row too; outside one, a single pipe is not enough to start a table
                table.pipe_lines.append((i, raw))
                prev = Kind.PIPE
                continue
            close()
        elif table is not None and table.kind is Kind.TSV:
            if kind is Kind.TSV or (kind is Kind.CELL and raw.strip()):  # "\t0": empty first cell
                table.rows.append([Cell(clean_lines(t), {"line": i}) for t in raw.strip("\r\n").split("\t")])
                prev = kind
                continue
            close()

        # not inside a table (or the table just ended): start a new block
        if kind is Kind.CELL:
            table = _TableBuilder(Kind.CELL, i, [[Cell(clean_lines(raw), {"line": i})]], row_open=True)
        elif kind in (Kind.PIPE, Kind.SEP):
            table = _TableBuilder(Kind.PIPE, i)
            if kind is Kind.PIPE:
                table.pipe_lines.append((i, raw))
        elif kind is Kind.TSV:
            table = _TableBuilder(Kind.TSV, i, [[Cell(clean_lines(t), {"line": i}) for t in raw.split("\t")]])
        elif kind is Kind.PLAIN:
            text = clean_line(_MD_HEADING.sub("", raw))
            if text:
                blocks.append(Paragraph(text, {"line": i}))
        prev = kind
    close()
    return blocks


def read(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read a plain-text extraction into a `Document` (shapes in the module docstring)."""
    limits.check_input_size(data, "text")
    decoded = decode_bytes(data, [("Content-Type header", charset_from_content_type(content_type))])
    text = decoded.text
    if not text.strip():
        raise UnreadableInput("text", "the file is empty or only whitespace")
    if "\x00" in text:
        raise UnreadableInput("text", "NUL characters in the decoded text: this is a binary file, not text")
    warnings = list(decoded.warnings)
    n_bookmarks = len(BOOKMARK_RE.findall(text))
    if n_bookmarks:
        text = BOOKMARK_RE.sub("", text)
        warnings.append(f"removed {n_bookmarks} Word [bookmark: …] artefact(s)")
    blocks = lines_to_blocks(_LINE_SPLIT.split(text))
    return Document(kind="text", blocks=blocks, warnings=warnings)
