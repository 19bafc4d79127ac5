"""Spreadsheet carriers: XLSX read directly; XLS and Kingsoft ET via LibreOffice → XLSX first.

Stages:

1. ``check_zip`` (imported from the DOCX carrier, with ``required="xl/workbook.xml"``): member count,
   declared unpacked size and compression ratio against `Limits`, before any XML is parsed. Then
   ``check_sheet_sizes``: the worksheets' XML may not exceed ``MAX_SHEET_XML_BYTES`` together, because
   openpyxl's full (non-streaming) reader — needed for merged ranges — keeps a Python object per cell.
2. ``open_workbook``: openpyxl with ``data_only=True`` (the values a reader sees: a formula's cached
   result, not its text) and ``keep_links=False``. openpyxl parses through defusedxml (a Scrapy
   dependency, so always present here), which refuses DTD entity tricks.
3. ``sheet_to_table``: every worksheet becomes one `Table` spanning the bounding box of its non-empty
   cells (stray formatting far from the data is ignored; a box above ``MAX_SHEET_CELLS`` positions is
   skipped with a warning). Merged ranges are expanded like the other carriers do (`Cell.span_of`), and
   every cell's ``src`` is ``{"sheet": name, "cell": "B7"}`` (the merge origin's address for covered
   positions); the table's ``src`` is ``{"table_idx": n, "sheet": name}``. Later stages find tables 二/三/四
   inside a sheet by their row labels, so a sheet holding all three tables with titles in between is fine.
4. ``cell_text``: values as a reader sees them (``display_text``): numbers through their number format
   (``0.00`` → two decimals, ``#,##0`` → thousands separators, ``0%`` → percent, quoted literals kept);
   the ``General`` format shows at most 15 significant digits, like Excel, so a stored
   ``26.815000000000001`` reads ``26.815`` and an integral float ``12.0`` reads ``12``. Dates as ISO
   text, booleans ``TRUE``/``FALSE``, text cleaned like every carrier's (`clean_lines`).

XLS (BIFF8, Excel 97–2003) and ET (Kingsoft's spreadsheet, the same binary format) are converted to XLSX by
LibreOffice Calc first (`parsers.carriers.convert`; needs Debian ``libreoffice-calc-nogui``), after
``require_ole`` confirmed a ``Workbook``/``Book`` stream; ``kind`` stays ``xls``/``et`` and a warning
notes the conversion. OpenDocument spreadsheets (.ods) take the same road after the zip check.
Conversion and reading share one ``Limits.time_budget_s``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import openpyxl
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from parsers.carriers._text import clean_lines
from parsers.carriers.convert import convert
from parsers.carriers.docx import check_zip
from parsers.carriers.ole import require_ole
from parsers.document import Cell, Document, Table
from parsers.errors import LimitExceeded, ParseError, UnreadableInput
from parsers.limits import DEFAULT_LIMITS, MIB, Limits

__all__ = [
    "MAX_SHEET_CELLS",
    "MAX_SHEET_XML_BYTES",
    "display_text",
    "read",
    "read_et",
    "read_ods",
    "read_xls",
    "sheet_to_table",
]

# A report's three tables are < 500 cells; statistical attachments reach a few thousand rows. 16 MiB of
# sheet XML is ~400k stored cells, which openpyxl holds in roughly 200–400 MB: the most one worker should.
MAX_SHEET_XML_BYTES = 16 * MIB
# Grid positions per sheet (bounding box of the non-empty cells): 250k ≈ 5,000 rows × 50 columns.
MAX_SHEET_CELLS = 250_000

GENERAL_DIGITS = 15  # Excel shows at most 15 significant digits (IEEE doubles carry ~15.9)


# --------------------------------------------------------------------------------------------- numbers


def _general(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):  # NaN/inf cannot come from a sheet
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.{GENERAL_DIGITS}g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        return f"{mantissa}E{'+' if int(exp) >= 0 else '-'}{abs(int(exp)):02d}"
    return text


def _split_sections(fmt: str) -> list[str]:
    """A number format's ``;``-separated sections (positive;negative;zero;text), quotes respected."""
    sections, buf, quoted, escaped = [], [], False, False
    for ch in fmt:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\":
            buf.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            buf.append(ch)
        elif ch == ";" and not quoted:
            sections.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    sections.append("".join(buf))
    return sections


_PLACEHOLDERS = "0#?"


def _tokens(section: str) -> list[tuple[str, str]]:
    """Split a format section into ('lit', text) and ('num', pattern-char) tokens.

    Dropped as invisible: ``[Red]``/``[$¥-804]``/``[>100]`` brackets, ``_x`` (pad to the width of x) and
    ``*x`` (repeat x to fill the column). Kept as literal text: ``"quoted"``, ``\\x`` and plain characters.
    """
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            j = len(section) if j < 0 else j
            out.append(("lit", section[i + 1 : j]))
            i = j + 1
        elif ch == "\\" and i + 1 < len(section):
            out.append(("lit", section[i + 1]))
            i += 2
        elif ch in "_*" and i + 1 < len(section):
            i += 2
        elif ch == "[":
            j = section.find("]", i)
            i = len(section) if j < 0 else j + 1
        elif ch in _PLACEHOLDERS or ch in ".,":
            out.append(("num", ch))
            i += 1
        else:
            out.append(("lit", ch))
            i += 1
    return out


def _literals(tokens: list[tuple[str, str]]) -> str:
    return "".join(text for kind, text in tokens if kind == "lit")


def _fixed(value: float | int, decimals: int, optional: int, thousands: bool) -> str:
    """`value` rounded half away from zero (as Excel does, on the shortest decimal form) to `decimals`
    places, the last `optional` of which are dropped when zero (``#`` placeholders)."""
    try:
        q = Decimal(repr(value) if isinstance(value, float) else value)
        q = q.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return _general(value)
    text = f"{q:,f}" if thousands else f"{q:f}"
    if optional and "." in text:
        head, frac = text.split(".")
        keep = decimals - optional
        frac = frac[:keep] + frac[keep:].rstrip("0")
        text = f"{head}.{frac}" if frac else head
    return text


def display_text(value: object, number_format: str | None = "General") -> str:
    """A cell value as the spreadsheet shows it (stage 4 of the module docstring).

    Examples::

        display_text(26.815000000000001)        # '26.815'
        display_text(1234.5, "#,##0.00")        # '1,234.50'
        display_text(0.256, "0.0%")             # '25.6%'
        display_text(5, '0"件"')                # '5件'
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if not isinstance(value, int | float):
        return clean_lines(str(value))
    fmt = (number_format or "General").strip()
    sections = _split_sections(fmt)
    section, number = sections[0], value
    if value < 0 and len(sections) >= 2 and sections[1].strip():
        section, number = sections[1], -value  # the negative section prints its own sign, if any
    elif value == 0 and len(sections) >= 3 and sections[2].strip():
        section = sections[2]
    sign = ""
    if number < 0:  # one section for all signs: Excel puts the minus before any literal prefix
        sign, number = "-", -number
    lowered = section.lower()
    if lowered.strip() in ("", "@") or "general" in lowered:
        at = lowered.find("general")
        if at < 0:
            return sign + _general(number)
        before, after = _tokens(section[:at]), _tokens(section[at + len("general") :])
        return sign + _literals(before) + _general(number) + _literals(after)
    tokens = _tokens(section)
    nums = [i for i, (kind, text) in enumerate(tokens) if kind == "num" and text in _PLACEHOLDERS]
    if not nums:  # a section of literals only (e.g. "-" for zero)
        return _literals(tokens)
    first, last = nums[0], nums[-1]
    pattern = "".join(text for kind, text in tokens[first : last + 1] if kind == "num")
    if "%" in section.replace('"%"', ""):
        number = number * 100
    if "E+" in section.upper() or "E-" in section.upper():
        mantissa = section.upper().split("E")[0]
        decimals = mantissa.split(".")[1].count("0") if "." in mantissa else 0
        return sign + f"{number:.{decimals}E}"
    int_part, _, frac_part = pattern.partition(".")
    decimals = sum(frac_part.count(p) for p in _PLACEHOLDERS)
    optional = len(frac_part) - len(frac_part.rstrip("#?"))
    body = _fixed(number, decimals, optional, "," in int_part)
    if "0" not in int_part and (body == "0" or body.startswith("0.")):
        body = body[1:]  # no '0' placeholder before the point: '#.00' shows 0.5 as '.50', '#' shows 0 as ''
    if body.strip("0.,") == "":
        sign = ""  # -0.001 shown with 2 decimals is '0.00', not '-0.00'
    prefix, suffix = _literals(tokens[:first]), _literals(tokens[last + 1 :])
    return f"{sign}{prefix}{body}{suffix}"


# --------------------------------------------------------------------------------------------- sheets


def check_sheet_sizes(data: bytes, what: str) -> None:
    """Stage 1b: the worksheets' declared XML size against ``MAX_SHEET_XML_BYTES``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        total = sum(
            i.file_size
            for i in zf.infolist()
            if i.filename.startswith(("xl/worksheets/", "xl/sharedStrings"))
        )
    if total > MAX_SHEET_XML_BYTES:
        raise LimitExceeded(
            what,
            f"worksheets hold {total:,} bytes of XML, "
            f"above sheet.MAX_SHEET_XML_BYTES={MAX_SHEET_XML_BYTES:,} "
            "(the in-memory reader needed for merged cells would use several GB)",
        )


def open_workbook(data: bytes, what: str) -> openpyxl.Workbook:
    """Stage 2: openpyxl, values not formulas; any failure is `UnreadableInput` naming the root cause."""
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True, keep_links=False)
    except Exception as e:  # openpyxl raises a dozen unrelated types on malformed parts
        root: BaseException = e
        seen = {id(e)}
        while (nxt := root.__cause__ or root.__context__) is not None and id(nxt) not in seen:
            seen.add(id(nxt))
            root = nxt
        why = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        if root is not e:
            why += f" (caused by {type(root).__name__}: {' '.join(str(root).split())[:200]})"
        raise UnreadableInput(what, f"openpyxl could not open the workbook: {why}") from e


def _stored_cells(ws: Worksheet) -> list[tuple[int, int, object, str]]:
    """(row, col, value, number_format) of the cells the file stores, non-empty values only.

    Why the private ``_cells`` dict: the public iterators (``iter_rows``, ``values``) materialise every
    position of the sheet's dimension, and one formatted cell at XFD1048576 makes that 17 billion cells.
    """
    out = []
    for (r, c), cell in ws._cells.items():
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        out.append((r, c, value, cell.number_format))
    return out


def sheet_to_table(ws: Worksheet, t_idx: int) -> Table | None:
    """Stage 3: one worksheet → one rectangular `Table` (None when the sheet has no values).

    Raises `LimitExceeded` when the bounding box of the values exceeds ``MAX_SHEET_CELLS``.
    """
    stored = _stored_cells(ws)
    if not stored:
        return None
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    values = {(r, c): display_text(v, f) for r, c, v, f in stored}
    # merges whose origin holds a value widen the box (a merged title's covered columns belong to it);
    # empty merges are expanded where they fall inside it but never widen it
    filled = [m for m in merges if (m[0], m[1]) in values]
    top = min([r for r, _, _, _ in stored] + [m[0] for m in filled])
    left = min([c for _, c, _, _ in stored] + [m[1] for m in filled])
    bottom = max([r for r, _, _, _ in stored] + [m[2] for m in filled])
    right = max([c for _, c, _, _ in stored] + [m[3] for m in filled])
    n_rows, n_cols = bottom - top + 1, right - left + 1
    if n_rows * n_cols > MAX_SHEET_CELLS:
        raise LimitExceeded(
            f"sheet {ws.title!r}",
            f"its values span {n_rows:,}×{n_cols:,} positions, "
            f"above sheet.MAX_SHEET_CELLS={MAX_SHEET_CELLS:,}",
        )

    def src(r: int, c: int) -> dict[str, str]:
        return {"sheet": ws.title, "cell": f"{get_column_letter(c)}{r}"}

    grid = [
        [Cell(values.get((r, c), ""), src(r, c)) for c in range(left, right + 1)]
        for r in range(top, bottom + 1)
    ]
    for r0, c0, r1, c1 in merges:
        if not (top <= r0 <= bottom and left <= c0 <= right):
            continue  # an empty merge outside the values
        origin = grid[r0 - top][c0 - left]
        for r in range(r0, min(r1, bottom) + 1):
            for c in range(c0, min(c1, right) + 1):
                if (r, c) != (r0, c0):
                    grid[r - top][c - left] = Cell(origin.text, origin.src, (r0 - top, c0 - left))
    table_src: dict[str, object] = {"table_idx": t_idx, "sheet": ws.title}
    if ws.sheet_state != "visible":
        table_src["hidden"] = True
    return Table(grid, table_src)


def _read_xlsx(data: bytes, kind: str, limits: Limits) -> Document:
    limits.check_input_size(data, kind)
    deadline = limits.deadline(kind)
    check_zip(data, limits, what=kind, required="xl/workbook.xml")
    check_sheet_sizes(data, kind)
    wb = open_workbook(data, kind)
    deadline.check("open")
    doc = Document(kind=kind)
    try:
        for ws in wb.worksheets:
            if not isinstance(ws, Worksheet):  # chartsheets hold no cells
                continue
            try:
                table = sheet_to_table(ws, len(doc.tables))
            except LimitExceeded as e:
                doc.warnings.append(f"{e.what} skipped: {e.why}")
                continue
            if table is not None:
                doc.blocks.append(table)
            deadline.check(f"sheet {ws.title!r}")
        props = wb.properties
        for key, attr in (
            ("title", "title"),
            ("author", "creator"),
            ("subject", "subject"),
            ("keywords", "keywords"),
        ):
            value = getattr(props, attr, None)
            if value:
                doc.meta[key] = str(value)
        for key in ("created", "modified"):
            value = getattr(props, key, None)
            if isinstance(value, dt.datetime):
                doc.meta[key] = value.isoformat()
    finally:
        wb.close()
    if not doc.tables:
        doc.warnings.append("the workbook has no cells with values")
    return doc


def read(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read an .xlsx workbook: one `Table` per worksheet (stages in the module docstring)."""
    return _read_xlsx(data, "xlsx", limits)


def read_converted(data: bytes, kind: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """A workbook reported as `kind` (``xls``/``et``: Excel binary; ``ods``: OpenDocument) → LibreOffice
    Calc → XLSX → stages 1–4."""
    limits.check_input_size(data, kind)
    deadline = limits.deadline(kind)
    if kind == "ods":
        check_zip(data, limits, what=kind, required="content.xml")
        src_ext, source = "ods", "OpenDocument spreadsheet"
    else:
        info = require_ole(data, kind, "excel")
        src_ext, source = "xls", "Kingsoft ET" if info.kingsoft else "Excel 97-2003"
    converted = convert(data, src_ext=src_ext, to="xlsx:Calc MS Excel 2007 XML", limits=limits)
    deadline.check("conversion")
    remaining = max(limits.time_budget_s - deadline.elapsed, 0.01)
    try:
        doc = _read_xlsx(converted, kind, dataclasses.replace(limits, time_budget_s=remaining))
    except ParseError as e:
        raise type(e)(kind, f"after conversion to XLSX: {e.why}") from e
    doc.warnings.insert(0, f"converted from {kind.upper()} ({source}) to XLSX by LibreOffice")
    return doc


def read_xls(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read a legacy Excel .xls via LibreOffice Calc; `url`/`content_type` unused."""
    return read_converted(data, "xls", limits)


def read_et(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read a Kingsoft ET spreadsheet (Excel binary format) via LibreOffice Calc."""
    return read_converted(data, "et", limits)


def read_ods(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read an OpenDocument spreadsheet (.ods) via LibreOffice Calc."""
    return read_converted(data, "ods", limits)
