"""Render a forged report as a .docx with real merged cells (python-docx ``cell.merge``).

Why real merges: Word stores a rowspan as ``w:vMerge`` continuation cells and a colspan as
``w:gridSpan``; a DOCX carrier must expand both, so the forge must write both the way Word does.
Wrapped labels (商业\\n企业) become line breaks inside the cell paragraph.

Output is byte-deterministic: the core properties (author, dates) are pinned and the zip members get
a fixed timestamp, so the same data and layout always give the same bytes (and the PDF cache key).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from docx import Document as new_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from tests.forge.data import ReportData
from tests.forge.layout import Layout, LTable, outline

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_FIXED = datetime(2020, 1, 1)
_CJK_FONT = "Noto Serif CJK SC"


def _set_text(paragraph, text: str, *, size: float | None = None, bold: bool = False) -> None:
    """One run; a wrapped label (``\n``) becomes Word line breaks inside the same paragraph."""
    lines = text.split("\n")
    run = paragraph.add_run(lines[0])
    for line in lines[1:]:
        run.add_break()
        run.add_text(line)
    run.font.bold = bold
    if size:
        run.font.size = Pt(size)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _CJK_FONT)


def _add_table(doc, t: LTable) -> None:
    grid = t.grid()
    n_rows, n_cols = len(grid), len(grid[0])
    table = doc.add_table(rows=n_rows, cols=n_cols)
    table.style = "Table Grid"
    if t.name == "t3":  # Word's template proportions: wide label columns, narrow numbers
        table.autofit = False
        for c, width in enumerate([Cm(1.2), Cm(1.6), Cm(4.4)] + [Cm(1.1)] * 7):
            for row_cells in table.columns[c].cells:
                row_cells.width = width
    # fetch every cell once before merging: table.cell() rebuilds the whole cell list on each call
    flat = table._cells
    at = [flat[r * n_cols : (r + 1) * n_cols] for r in range(n_rows)]
    done: set[int] = set()
    for r, row in enumerate(grid):
        for c, (cell, origin, _) in enumerate(row):
            if not origin or id(cell) in done:
                continue
            done.add(id(cell))
            target = at[r][c]
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(at[r + cell.rowspan - 1][c + cell.colspan - 1])
            para = target.paragraphs[0]
            if cell.key or len(cell.text) < 8:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_text(para, cell.text, size=9)


def _pin(blob: bytes) -> bytes:
    """Rewrite the zip with fixed member timestamps so output bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def docx_bytes(data: ReportData, layout: Layout | None = None) -> bytes:
    doc = new_docx()
    props = doc.core_properties
    props.author = props.last_modified_by = data.agency
    props.created = props.modified = _FIXED
    props.revision = 1
    props.title = data.title
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _CJK_FONT)
    for kind, value in outline(data, layout or Layout()).blocks:
        if kind == "table":
            _add_table(doc, value)  # type: ignore[arg-type]
            continue
        if kind == "image":
            continue  # no picture is embedded: the forge only makes HTML image variants
        para = doc.add_paragraph()
        if kind == "title":
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_text(para, str(value), size=18, bold=True)
        else:
            _set_text(para, str(value), bold=kind == "heading")
    buf = io.BytesIO()
    doc.save(buf)
    return _pin(buf.getvalue())


def render_docx(data: ReportData, layout: Layout | None = None) -> tuple[bytes, str, str]:
    """Render `data` as a Word document → ``(bytes, content_type, filename)``."""
    return docx_bytes(data, layout), DOCX_TYPE, f"report-{data.seed}.docx"
