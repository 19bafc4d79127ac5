"""DOC and WPS carriers: a Word 97–2003 or Kingsoft WPS document → `Document`, via LibreOffice → DOCX.

The same road serves RTF (CMS "export to Word" links often serve RTF named .doc) and OpenDocument text
(.odt); they skip stage 1 (RTF is text, an .odt is a zip checked like a DOCX, needing ``content.xml``).

Stages:

1. ``require_ole`` (`parsers.carriers.ole`): the bytes must be an OLE2 file with a ``WordDocument`` stream.
   Kingsoft WPS writes the Word 97 binary format too (plus its own markers), so both kinds take the same
   road. Checked first because LibreOffice imports unreadable bytes as plain text instead of failing.
2. ``convert`` (`parsers.carriers.convert`): LibreOffice writes a DOCX (needs ``libreoffice-writer-nogui``;
   conversion limits in that module). The file is handed to soffice as ``.doc`` for both kinds: ``.wps``
   is also Microsoft Works' extension, and the extension steers LibreOffice's type detection.
3. ``docx.read``: the DOCX carrier reads the result (merges expanded, zip checks applied again).
   Before that, ``drop_hairline_columns`` rewrites the converted ``word/document.xml``: LibreOffice
   rebuilds each table's column grid from the Word 97 cell edges, and edges that differ by a twip
   between rows become an extra grid column 1–2 twips wide (table 四's 总计 turns into a two-column span
   and the value row gets 16 columns for 15 labels). A grid column narrower than ``HAIRLINE_TWIPS`` is
   removed when every cell over it also covers a real column (spans shrink by one); a cell standing on
   the hairline alone keeps it.
4. ``drop_covered_columns``: grid columns that no cell starts in, in any row (each one only repeats
   its left neighbour), are removed from the `Table`s; a column any cell starts in is always kept.

The result keeps ``kind`` ``doc`` / ``wps`` (the report's ``source_kind``) and carries a warning saying it
was converted; cell ``src`` positions (``{"table", "row", "col"}``) refer to the converted document, whose
table and paragraph order is the original's. Time: conversion and reading share one
``Limits.time_budget_s``.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile

from lxml import etree

from parsers.carriers import docx
from parsers.carriers.convert import convert
from parsers.carriers.docx import _CELLS_XP, _ROWS_XP, _W
from parsers.carriers.ole import require_ole
from parsers.document import Cell, Document, Table
from parsers.errors import ParseError
from parsers.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "HAIRLINE_TWIPS",
    "drop_covered_columns",
    "drop_hairline_columns",
    "read",
    "read_as",
    "read_odt",
    "read_rtf",
    "read_wps",
]

# 20 twips = 1 pt ≈ 0.35 mm: far below any printed column (a digit column is ≥ 300 twips), far above the
# 1–2 twip slivers LibreOffice makes from edges that are "the same" in Word.
HAIRLINE_TWIPS = 20
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _int_attr(el: etree._Element | None, default: int) -> int:
    try:
        return int(el.get(f"{_W}val") or el.get(f"{_W}w") or default) if el is not None else default
    except ValueError:
        return default


def _fix_table(tbl: etree._Element) -> bool:
    """Remove the removable hairline columns of one ``<w:tbl>``; True if anything changed."""
    cols = tbl.findall(f"{_W}tblGrid/{_W}gridCol")
    hair = {i for i, col in enumerate(cols) if _int_attr(col, 10_000) < HAIRLINE_TWIPS}
    if not hair:
        return False
    # layout: every row's (element, attribute-holder, start, span) over the grid
    layout: list[tuple[etree._Element | None, int, int]] = []  # (span holder, start, span)
    for tr in _ROWS_XP(tbl):
        pos = 0
        trpr = tr.find(f"{_W}trPr")
        before = trpr.find(f"{_W}gridBefore") if trpr is not None else None
        if before is not None:
            layout.append((before, 0, _int_attr(before, 0)))
            pos = _int_attr(before, 0)
        for tc in _CELLS_XP(tr):
            span_el = tc.find(f"{_W}tcPr/{_W}gridSpan")
            span = max(_int_attr(span_el, 1), 1)
            layout.append((tc, pos, span))
            pos += span
        after = trpr.find(f"{_W}gridAfter") if trpr is not None else None
        if after is not None:
            layout.append((after, pos, _int_attr(after, 0)))
    for _holder, start, span in layout:  # a cell standing on hairlines only keeps them
        if span and all(c in hair for c in range(start, start + span)):
            hair -= set(range(start, start + span))
    if not hair:
        return False
    for holder, start, span in layout:
        cut = sum(1 for c in range(start, start + span) if c in hair)
        if not cut:
            continue
        if holder.tag == f"{_W}tc":
            span_el = holder.find(f"{_W}tcPr/{_W}gridSpan")
            span_el.set(f"{_W}val", str(span - cut))  # span > cut, so span ≥ 2 and <w:gridSpan> exists
        else:
            holder.set(f"{_W}val", str(span - cut))
    for i in sorted(hair, reverse=True):
        col = cols[i]
        neighbour = cols[i - 1] if i > 0 else (cols[i + 1] if i + 1 < len(cols) else None)
        if neighbour is not None and neighbour not in (cols[j] for j in hair):
            neighbour.set(f"{_W}w", str(_int_attr(neighbour, 0) + _int_attr(col, 0)))
        col.getparent().remove(col)
    return True


def drop_hairline_columns(data: bytes) -> bytes:
    """Stage 3a: the DOCX `data` with hairline grid columns removed (module docstring); unchanged
    bytes when there are none or the package cannot be read (the DOCX carrier then reports why)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            root = etree.fromstring(zf.read("word/document.xml"), _PARSER)
            if not [tbl for tbl in root.iter(f"{_W}tbl") if _fix_table(tbl)]:
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in zf.infolist():
                    body = zf.read(info.filename)
                    if info.filename == "word/document.xml":
                        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                    dst.writestr(info, body)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, etree.XMLSyntaxError):
        return data
    return out.getvalue()


def drop_covered_columns(table: Table) -> Table:
    """Stage 4: `table` without the grid columns that, in every row, continue a span from the left."""

    def covered(cell: Cell, c: int) -> bool:
        return cell.span_of is not None and cell.span_of[1] < c

    keep = [c for c in range(table.n_cols) if not all(covered(row[c], c) for row in table.rows)]
    if len(keep) == table.n_cols:
        return table
    new_col = {old: new for new, old in enumerate(keep)}
    rows = [
        [
            Cell(
                cell.text,
                cell.src,
                None if cell.span_of is None else (cell.span_of[0], new_col[cell.span_of[1]]),
            )
            for cell in (row[c] for c in keep)
        ]
        for row in table.rows
    ]
    return Table(rows, table.src)


#: kind → (extension soffice is given, what the file is called in the conversion note)
_SOURCES = {
    "doc": ("doc", "Word 97-2003"),
    "wps": ("doc", "Word 97-2003"),  # .wps is also Microsoft Works' extension: steer type detection
    "rtf": ("rtf", "RTF"),
    "odt": ("odt", "OpenDocument text"),
}


def read_as(data: bytes, kind: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Stages 1–4 for a file reported as `kind` (``doc``, ``wps``; also ``rtf``/``odt``, which skip the
    OLE2 check: they are text and zip formats)."""
    limits.check_input_size(data, kind)
    deadline = limits.deadline(kind)
    src_ext, source = _SOURCES[kind]
    if kind in ("doc", "wps"):
        if require_ole(data, kind, "word").kingsoft:
            source = "Kingsoft WPS"
    elif kind == "odt":
        docx.check_zip(data, limits, what=kind, required="content.xml")
    converted = convert(data, src_ext=src_ext, to="docx", limits=limits, timeout_s=limits.time_budget_s)
    remaining = limits.time_budget_s - deadline.elapsed
    if remaining <= 0:
        deadline.check("conversion")
    try:
        docx.check_zip(converted, limits)  # before the hairline pass unpacks document.xml
        document = docx.read(
            drop_hairline_columns(converted),
            limits=dataclasses.replace(limits, time_budget_s=max(remaining, 0.01)),
        )
    except ParseError as e:  # name the file as the caller knows it, not the intermediate DOCX
        raise type(e)(kind, f"after conversion to DOCX: {e.why}") from e
    document.kind = kind
    document.blocks = [drop_covered_columns(b) if isinstance(b, Table) else b for b in document.blocks]
    document.warnings.insert(0, f"converted from {kind.upper()} ({source}) to DOCX by LibreOffice; "
                                "cell positions refer to the converted document")  # fmt: skip
    return document


def read(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read a legacy Word .doc (stages in the module docstring); `url`/`content_type` unused."""
    return read_as(data, "doc", limits)


def read_wps(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read a Kingsoft WPS .wps (Word 97 binary with Kingsoft markers); `url`/`content_type` unused."""
    return read_as(data, "wps", limits)


def read_rtf(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read an RTF document (CMS "Word export" links often serve RTF under a .doc name) via DOCX."""
    return read_as(data, "rtf", limits)


def read_odt(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read an OpenDocument text (.odt) via DOCX."""
    return read_as(data, "odt", limits)
