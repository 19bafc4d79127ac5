"""DOCX carrier: a Word 2007+ document → `Document`.

Stages:

1. ``check_zip``: the package is inspected *before* python-docx opens it. Member count, the sum of
   the members' declared uncompressed sizes and the package's compression ratio are held against
   `Limits` (→ ``LimitExceeded``); a truncated or non-zip file is ``UnreadableInput``. Declared sizes
   are enough: Python's ``zipfile`` never inflates a member past its declared size (it stops there and
   fails the CRC), so a member that lies about its size cannot grow beyond what we checked.
2. ``open_document``: python-docx parses the XML parts with ``resolve_entities=False`` (its
   ``oxml_parser``) and libxml2 never loads external DTDs or the network, so an XXE or
   billion-laughs ``document.xml`` is read without expanding anything (tests/test_hostile_inputs.py).
3. ``body_to_blocks``: the children of ``<w:body>`` in order (paragraphs interleaved with tables,
   content controls ``<w:sdt>`` unwrapped).
4. ``table_to_grid``: the table XML is read directly, because python-docx's ``table.rows`` hides how
   cells are merged: ``w:gridBefore`` skips grid columns, ``w:gridSpan`` is a colspan, ``w:vMerge``
   ``restart``/``continue`` is a rowspan and the legacy ``w:hMerge`` a colspan. A continuation is
   attached to the origin of the cell above it through the grid of owning ``<w:tc>`` elements, so a
   merge never depends on the text of the cells. A table containing a table is a layout table: its
   cells are read as body flow (same rule as the HTML carrier).
"""

from __future__ import annotations

import io
import zipfile

import docx as python_docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from parsers.carriers._text import clean_lines
from parsers.document import Block, Cell, Document, Paragraph, Table
from parsers.errors import LimitExceeded, UnreadableInput
from parsers.limits import DEFAULT_LIMITS, Limits

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
_W = f"{{{W}}}"

# compiled XPath objects: python-docx's element classes override ``.xpath`` with their own signature
_ROWS_XP = etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr", namespaces=NS)
_CELLS_XP = etree.XPath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces=NS)
_TEXT_TAGS = {f"{_W}t": None, f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}


def check_zip(
    data: bytes, limits: Limits, *, what: str = "docx", required: str = "word/document.xml"
) -> None:
    """Stage 1: refuse bombs and broken packages before any XML is parsed.

    `what` names the format in errors and `required` is the part the package must contain, so the
    spreadsheet carrier reuses the same checks for .xlsx (``xl/workbook.xml``)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise UnreadableInput(what, f"not a readable zip package (truncated or corrupt): {e}") from e
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_zip_members:
            raise LimitExceeded(what, f"{len(infos):,} zip members, above Limits.max_zip_members="
                                        f"{limits.max_zip_members:,}")  # fmt: skip
        total = sum(i.file_size for i in infos)
        if total > limits.max_unzipped_bytes:
            raise LimitExceeded(what, f"members unpack to {total:,} bytes, above Limits.max_unzipped_bytes="
                                        f"{limits.max_unzipped_bytes:,}")  # fmt: skip
        ratio = total / max(len(data), 1)
        if ratio > limits.max_zip_ratio:
            raise LimitExceeded(what, f"compression ratio {ratio:,.0f}:1 above Limits.max_zip_ratio="
                                        f"{limits.max_zip_ratio:g} (a zip bomb?)")  # fmt: skip
        if required not in zf.namelist():
            raise UnreadableInput(what, f"the package has no {required}")
        bad = zf.testzip() if len(data) < 16 * 1024 * 1024 else None
        if bad is not None:
            raise UnreadableInput(what, f"zip member {bad} is corrupt (CRC mismatch)")


def open_document(data: bytes):  # -> docx.document.Document
    """Stage 2: python-docx with its entity-free parser; any failure is `UnreadableInput`."""
    try:
        return python_docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError,
            EOFError, OSError, zipfile.LargeZipFile) as e:  # fmt: skip
        raise UnreadableInput(
            "docx", f"python-docx could not open the package: {type(e).__name__}: {e}"
        ) from e


def paragraph_text(p: etree._Element) -> str:
    """Visible text of a ``<w:p>`` (runs, tabs, breaks; deleted text and field codes excluded)."""
    parts: list[str] = []
    for el in p.iter(*_TEXT_TAGS):
        sub = _TEXT_TAGS[el.tag]
        parts.append(el.text or "" if sub is None else sub)
    return "".join(parts)


def _val(el: etree._Element | None, default: str | None = None) -> str | None:
    if el is None:
        return default
    return el.get(f"{_W}val", default)


def _int(value: str | None, default: int = 1) -> int:
    try:
        return max(int(value), 1) if value is not None else default
    except ValueError:
        return default


def cell_text(tc: etree._Element) -> str:
    """A cell's paragraphs joined with ``\\n`` (nested tables' text included, flattened)."""
    return clean_lines("\n".join(paragraph_text(p) for p in tc.iter(f"{_W}p")))


def _row_cells(tr: etree._Element) -> list[etree._Element]:
    return _CELLS_XP(tr)


def table_to_grid(tbl: etree._Element, t_idx: int) -> Table:
    """Stage 4: merges expanded into a rectangular grid (rules in the module docstring)."""
    rows: list[dict[int, Cell]] = []
    owner: list[dict[int, etree._Element]] = []  # grid position -> the <w:tc> that owns it
    origin_of: dict[etree._Element, tuple[int, int]] = {}  # <w:tc> -> its top-left grid position
    for r, tr in enumerate(_ROWS_XP(tbl)):
        row: dict[int, Cell] = {}
        own: dict[int, etree._Element] = {}
        before = _val(tr.find(f"{_W}trPr/{_W}gridBefore"))
        c = _int(before) if before not in (None, "0") else 0  # grid columns skipped before the 1st cell
        for tc in _row_cells(tr):
            tcpr = tc.find(f"{_W}tcPr")
            span = _int(_val(tcpr.find(f"{_W}gridSpan") if tcpr is not None else None))
            vmerge = tcpr.find(f"{_W}vMerge") if tcpr is not None else None
            hmerge = tcpr.find(f"{_W}hMerge") if tcpr is not None else None
            above = owner[r - 1].get(c) if r > 0 else None
            left = own.get(c - 1)
            if vmerge is not None and _val(vmerge, "continue") == "continue" and above is not None:
                origin_tc = above
            elif hmerge is not None and _val(hmerge, "continue") == "continue" and left is not None:
                origin_tc = left
            else:
                origin_tc = tc
                origin_of[tc] = (r, c)
                src = {"table": t_idx, "row": r, "col": c}
                row[c] = Cell(cell_text(tc), src)
            o_r, o_c = origin_of[origin_tc]
            origin_cell = rows[o_r][o_c] if o_r < r else row[o_c]
            for dc in range(span):
                own[c + dc] = origin_tc
                if (o_r, o_c) != (r, c + dc):
                    row[c + dc] = Cell(origin_cell.text, origin_cell.src, (o_r, o_c))
            c += span
        rows.append(row)
        owner.append(own)
    width = max((max(row) + 1 for row in rows if row), default=0)
    grid = [[row.get(c) or Cell("", {"pad": True}) for c in range(width)] for row in rows]
    return Table(grid, {"table_idx": t_idx, "table": t_idx})


def body_to_blocks(body: etree._Element) -> list[Block]:
    """Stage 3: body children in order; ``<w:sdt>`` unwrapped; layout tables read as flow."""
    blocks: list[Block] = []
    counters = {"p": 0, "t": 0}

    def walk(children: list[etree._Element]) -> None:
        for el in children:
            if el.tag == f"{_W}p":
                idx = counters["p"]
                counters["p"] += 1
                for line in clean_lines(paragraph_text(el)).split("\n"):
                    if line:
                        blocks.append(Paragraph(line, {"paragraph": idx}))
            elif el.tag == f"{_W}tbl":
                if el.find(f".//{_W}tc//{_W}tbl") is not None:
                    for tc in el.iter(f"{_W}tc"):
                        if tc.getparent() is not None and tc.getparent().getparent() is el:
                            walk(list(tc))
                    continue
                table = table_to_grid(el, counters["t"])
                if table.n_rows and table.n_cols:
                    blocks.append(table)
                    counters["t"] += 1
            elif el.tag in (f"{_W}sdt", f"{_W}customXml"):
                content = el.find(f"{_W}sdtContent")
                walk(list(content if content is not None else el))

    walk(list(body))
    return blocks


def read(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Read a .docx into a `Document` (stages in the module docstring); `url`/`content_type` unused."""
    limits.check_input_size(data, "docx")
    deadline = limits.deadline("docx")
    check_zip(data, limits)
    document = open_document(data)
    deadline.check("open")
    blocks = body_to_blocks(document.element.body)
    deadline.check("tables")
    meta: dict[str, str] = {}
    props = document.core_properties
    for key in ("title", "author", "subject", "keywords"):
        value = getattr(props, key, None)
        if value:
            meta[key] = str(value)
    for key in ("created", "modified"):
        value = getattr(props, key, None)
        if value:
            meta[key] = value.isoformat()
    return Document(kind="docx", blocks=blocks, meta=meta)
