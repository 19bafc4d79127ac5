"""Render a forged report as a PDF with a text layer, two ways.

- ``engine="soffice"``: the forge's DOCX converted by LibreOffice, which is how most real report PDFs
  were made (Word → PDF). Conversions are slow (~1–3 s), so results are cached under a temp directory
  keyed by the sha256 of the DOCX bytes (the DOCX is byte-deterministic); each conversion uses its own
  LibreOffice profile directory so concurrent test workers do not fight over one, and has a timeout.
- ``engine="reportlab"``: drawn directly with reportlab's ``Table`` (SPAN styles for merges, grid
  lines for pdfplumber's table finder). Noto CJK ships as CFF-outline ``.ttc``, which reportlab cannot
  embed, so the text uses the standard CID font ``STSong-Light`` (UniGB-UCS2-H), which every PDF reader
  — and pdfminer — maps back to Unicode.

PDF bytes carry creation dates and ids, so compare PDFs by their extracted text, not their bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.forge.data import ReportData
from tests.forge.layout import Layout, LTable, outline
from tests.forge.render_docx import docx_bytes

PDF_TYPE = "application/pdf"
ENGINES = ("soffice", "reportlab")
SOFFICE_TIMEOUT_S = 120  # a cold LibreOffice start on a loaded CI box can take tens of seconds
CACHE_DIR = Path(os.environ.get("NIANBAOKU_FORGE_CACHE", Path(tempfile.gettempdir()) / "nianbaoku-forge-pdf"))


class ConversionError(RuntimeError):
    """LibreOffice did not produce a PDF (missing binary, crash, timeout)."""


def soffice_convert(docx: bytes, *, timeout: float = SOFFICE_TIMEOUT_S) -> bytes:
    """DOCX bytes → PDF bytes via LibreOffice, cached by the DOCX digest."""
    digest = hashlib.sha256(docx).hexdigest()
    cached = CACHE_DIR / f"{digest}.pdf"
    if cached.exists():
        return cached.read_bytes()
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        raise ConversionError("soffice not found on PATH: install LibreOffice to render PDF variants")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="forge-soffice-") as work:
        src = Path(work) / f"{digest[:16]}.docx"
        src.write_bytes(docx)
        profile = Path(work) / "profile"
        cmd = [
            binary,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            "pdf",
            "--outdir",
            work,
            str(src),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as e:
            raise ConversionError(f"soffice took longer than {timeout}s converting {src.name}") from e
        out = src.with_suffix(".pdf")
        if not out.exists():
            raise ConversionError(
                f"soffice produced no PDF (exit {proc.returncode}): "
                f"{proc.stderr.decode(errors='replace')[:300]}"
            )
        pdf = out.read_bytes()
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pdf)
    tmp.replace(cached)  # atomic: a concurrent reader never sees half a file
    return pdf


def _reportlab_pdf(data: ReportData, layout: Layout, page: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, A5
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10, leading=15, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=12, leading=18)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1)
    cell = ParagraphStyle("cell", parent=body, fontSize=6.5, leading=8, alignment=1)

    def table(t: LTable) -> Table:
        grid = t.grid()
        rows = [
            [Paragraph(c.text.replace("\n", "<br/>"), cell) if o else "" for c, o, _ in row] for row in grid
        ]
        spans = []
        for r, row in enumerate(grid):
            for c, (lc, origin, _) in enumerate(row):
                if origin and (lc.rowspan > 1 or lc.colspan > 1):
                    spans.append(("SPAN", (c, r), (c + lc.colspan - 1, r + lc.rowspan - 1)))
        n = len(grid[0])
        full = 460 if page == "A4" else 370
        widths = [full / n] * n if t.name != "t3" else [30, 40, full - 290] + [220 / (n - 3)] * (n - 3)
        style = TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *spans]
        )
        # a table longer than the page breaks; table 三 repeats its 3 header rows on each new page
        return Table(rows, colWidths=widths, style=style, repeatRows=3 if t.name == "t3" else 0)

    story = []
    for kind, value in outline(data, layout).blocks:
        if kind == "table":
            story.extend([table(value), Spacer(1, 6)])  # type: ignore[arg-type]
        elif kind == "image":
            continue
        else:
            style = {"title": title, "heading": head}.get(kind, body)
            story.append(Paragraph(str(value), style))
    buf = io.BytesIO()
    size = A4 if page == "A4" else A5
    doc = SimpleDocTemplate(buf, pagesize=size, title=data.title, author=data.agency, invariant=1)
    doc.build(story)
    return buf.getvalue()


def render_pdf(
    data: ReportData, layout: Layout | None = None, *, engine: str = "soffice", page: str = "A4"
) -> tuple[bytes, str, str]:
    """Render `data` as a PDF → ``(bytes, content_type, filename)``.

    page (reportlab only): ``A4`` or ``A5``; on A5 table 三 breaks across pages and its header repeats.
    """
    if engine not in ENGINES:
        raise ValueError(f"render_pdf engine={engine!r}; allowed: {', '.join(ENGINES)}")
    if page not in ("A4", "A5"):
        raise ValueError(f"render_pdf page={page!r}; allowed: A4, A5")
    layout = layout or Layout()
    pdf = (
        soffice_convert(docx_bytes(data, layout))
        if engine == "soffice"
        else _reportlab_pdf(data, layout, page)
    )
    return pdf, PDF_TYPE, f"report-{data.seed}.pdf"
