"""Report bodies and attachment files for the replica portals.

Bodies come from the report forge (`tests.forge`: the same data model the parser tests use), so a
replica crawl archives reports whose true values are known. If the forge is unavailable the module
falls back to a small placeholder renderer (`placeholder_body`) — plausible headings and one table.

Everything is a pure function of (agency, year, seed, revision); `revision` > 0 draws different
numbers for the same report (a report revised in place at the same URL).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import random
from functools import lru_cache

try:  # the real forge (tests/forge) when present
    from tests.forge.data import make_report
    from tests.forge.layout import Layout
    from tests.forge.render_docx import render_docx
    from tests.forge.render_html import body_html
    from tests.forge.render_pdf import render_pdf

    HAVE_FORGE = True
except ImportError:  # pragma: no cover - only while the forge is being built
    HAVE_FORGE = False


def _format_version(year: int) -> str:
    return "gov2021" if year >= 2021 else "gov2019" if year >= 2019 else "legacy_2014"


@lru_cache(maxsize=512)
def _data(agency: str, year: int, seed: int, revision: int, title: str):
    return make_report(
        seed * 31 + revision * 100_003,
        format_version=_format_version(year),
        agency=agency,
        stat_year=year,
        title=title,
    )


def placeholder_body(agency: str, year: int, seed: int, revision: int = 0) -> str:
    """A plausible report body without the forge: the six section headings and the 第二十条 table."""
    rng = random.Random(seed * 31 + revision * 100_003)
    a, b = rng.randint(0, 50), rng.randint(0, 500)
    return (
        f"<p>{html.escape(agency)}{year}年政府信息公开工作年度报告</p>"
        "<p>一、总体情况</p><p>本年度，我单位认真贯彻落实《中华人民共和国政府信息公开条例》。</p>"
        "<p>二、主动公开政府信息情况</p>"
        "<table border='1'><tr><td colspan='4'>第二十条第（一）项</td></tr>"
        "<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>"
        f"<tr><td>规章</td><td>{a}</td><td>0</td><td>{a + b}</td></tr></table>"
        "<p>三、收到和处理政府信息公开申请情况</p><p>四、政府信息公开行政复议、行政诉讼情况</p>"
        "<p>五、存在的主要问题及改进情况</p><p>六、其他需要报告的事项</p>"
    )


@lru_cache(maxsize=8192)
def report_body(agency: str, year: int, seed: int, revision: int = 0, title: str | None = None) -> str:
    """The HTML body of one report (what sits inside the portal's content container)."""
    title = title or f"{agency}{year}年政府信息公开工作年度报告"
    if not HAVE_FORGE:
        return placeholder_body(agency, year, seed, revision)
    return body_html(_data(agency, year, seed, revision, title), Layout(), style="word")


def report_html(agency: str, year: int, seed: int, revision: int = 0) -> bytes:
    """A standalone report page (UTF-8) — the brief's placeholder signature, kept for callers."""
    title = f"{agency}{year}年政府信息公开工作年度报告"
    body = report_body(agency, year, seed, revision, title)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><div id='zoom'>{body}</div></body></html>"
    ).encode()


@lru_cache(maxsize=256)
def attachment_bytes(
    kind: str, agency: str, year: int, seed: int, revision: int = 0, full: bool = True
) -> tuple[bytes, str]:
    """(bytes, content type) of a PDF or DOCX rendering of the report.

    ``full=False`` gives a small one-page file instead of the forged report: rendering a whole report
    takes 0.1-0.3 s, which dominates a crawl of hundreds of replica attachments.
    """
    title = f"{agency}{year}年政府信息公开工作年度报告"
    if HAVE_FORGE and full:
        data = _data(agency, year, seed, revision, title)
        blob, ctype, _ = (
            render_pdf(data, Layout(), engine="reportlab") if kind == "pdf" else render_docx(data)
        )
        return blob, ctype
    return _tiny_file(kind, f"{title} r{revision}")


def _tiny_file(kind: str, title: str) -> tuple[bytes, str]:
    buf = io.BytesIO()
    if kind == "pdf":
        from reportlab.pdfgen import canvas

        c = canvas.Canvas(buf, invariant=1)  # no timestamp/ID: same bytes in every process
        c.drawString(72, 720, title.encode("unicode_escape").decode())
        c.save()
        return buf.getvalue(), "application/pdf"
    import docx

    doc = docx.Document()
    doc.core_properties.created = doc.core_properties.modified = dt.datetime(2020, 1, 1)
    doc.add_paragraph(title)
    doc.save(buf)
    blob = buf.getvalue()
    if HAVE_FORGE:  # pin zip member timestamps too: same bytes in every process
        from tests.forge.render_docx import _pin

        blob = _pin(blob)
    return blob, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
