"""Render a forged report as an HTML page, the way government portals publish them.

Options (all keyword-only, all pure data so a variant can be named and replayed):

- ``style``: ``word`` — Word "save as HTML" markup (MsoNormal paragraphs and spans, ``<td nowrap
  style=width:…>``, ``<p align=center>`` inside cells, ``<o:p>&nbsp;</o:p>`` in empty cells,
  ``<br/>`` inside wrapped labels; format-spec §9.1, corpus 004/005); ``word_runs`` — the same with
  text cut into many ``<span>`` runs, even inside numbers (``2</span><span>6``, corpus 004);
  ``cms`` — a clean editor table.
- ``chrome``: ``bare`` (just the article), ``zoom`` (``div#zoom``), ``trs`` (``.TRS_Editor``) or
  ``article`` (``.article-content``); all but ``bare`` add the portal metadata table
  (索引号 / 发布机构 / 发布日期), navigation, a related-links box and a footer.
- ``encoding``: ``utf-8``; ``gbk`` (declared honestly); ``gbk_lying`` (GBK bytes, ``<meta
  charset=utf-8>``); ``gbk_lying_header`` (GBK bytes, both the meta and the HTTP header claim
  utf-8: a misconfigured server); ``gbk_missing`` (GBK bytes, no charset anywhere).

`render_html(data, layout, **options) -> (bytes, content_type, filename)` is a pure function.
"""

from __future__ import annotations

from html import escape

from tests.forge.data import ReportData
from tests.forge.layout import Layout, LCell, LTable, outline

STYLES = ("word", "word_runs", "cms")
CHROMES = ("bare", "zoom", "trs", "article")
ENCODINGS = ("utf-8", "gbk", "gbk_lying", "gbk_lying_header", "gbk_missing")


def _cell_html(cell: LCell, style: str, width: int) -> str:
    attrs = ""
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    lines = [escape(x) for x in cell.text.split("\n")]
    if style == "word_runs":  # Word splits text into runs anywhere, even inside a number (corpus 004)
        lines = [
            "</span><span lang=EN-US>".join(escape(x[i : i + 2]) for i in range(0, len(x), 2))
            for x in cell.text.split("\n")
        ]
    if style == "cms":
        return f"<td{attrs}>{'<br>'.join(lines)}</td>"
    text = "<br/>".join(lines) if cell.text else "<o:p>&nbsp;</o:p>"
    align = ' align="center" style="text-align:center"' if cell.key or len(cell.text) < 8 else ""
    return (
        f"<td{attrs} nowrap valign=center style='width:{width * cell.colspan}pt;"
        "border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt'>"
        f"<p class=MsoNormal{align}><span style='font-family:仿宋_GB2312;"
        'mso-hansi-font-family:"Times New Roman"\'>'
        f"{text}</span></p></td>"
    )


def _table_html(t: LTable, style: str) -> str:
    width = max(24, 460 // max(t.n_cols, 1))
    rows = "\n".join("<tr>" + "".join(_cell_html(c, style, width) for c in row) + "</tr>" for row in t.rows)
    if style == "cms":
        return (
            f'<table border="1" cellspacing="0" cellpadding="4" class="table">\n<tbody>\n{rows}\n</tbody>'
            + "</table>"
        )
    return (
        "<div align=center><table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 "
        "style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt'>\n"
        f"<tbody>\n{rows}\n</tbody></table></div>"
    )


def _para(text: str, style: str, kind: str) -> str:
    t = escape(text)
    if style == "word_runs" and kind == "para":
        t = "</span><span>".join(escape(text[i : i + 7]) for i in range(0, len(text), 7))
    if style == "cms":
        if kind == "title":
            return f'<p style="text-align:center"><strong>{t}</strong></p>'
        if kind == "heading":
            return f"<p><strong>{t}</strong></p>"
        return f'<p style="text-indent:2em">{t}</p>'
    if kind == "title":
        return (
            "<p class=MsoNormal align=center style='text-align:center'><b><span "
            f"style='font-size:22.0pt;font-family:方正小标宋简体'>{t}</span></b></p>"
        )
    font = "黑体" if kind == "heading" else "仿宋_GB2312"
    return (
        f"<p class=MsoNormal style='text-indent:32.0pt;mso-char-indent-count:2.0'><span "
        f"style='font-size:16.0pt;font-family:{font}'>{t}<span lang=EN-US><o:p></o:p></span></span></p>"
    )


def body_html(data: ReportData, layout: Layout, *, style: str = "word") -> str:
    """The report body (what sits inside the portal's content div)."""
    parts = []
    for kind, value in outline(data, layout).blocks:
        if kind == "table":
            parts.append(_table_html(value, style))  # type: ignore[arg-type]
        elif kind == "image":  # a screenshot of the table: the numbers are not in the HTML at all
            src = f"/uploads/{data.published_date:%Y%m}/{data.seed}_{value}.png"
            parts.append(f'<p style="text-align:center"><img src="{src}" width="600" alt="" /></p>')
        else:
            parts.append(_para(str(value), style, kind))
    return "\n".join(parts)


def _site_name(data: ReportData) -> str:
    a = data.agency
    for cut in ("区", "县", "市"):
        if cut in a:
            return a[: a.index(cut) + 1] + "人民政府"
    return a


def _chrome(data: ReportData, body: str, chrome: str, meta_charset: str | None) -> str:
    head_meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    site = _site_name(data)
    title = f"{data.title}-{site}" if chrome != "bare" else data.title
    if chrome == "bare":
        head = f"<!DOCTYPE html><html><head>{head_meta}<title>{escape(title)}</title></head>"
        return f"{head}<body>\n{body}\n</body></html>"
    pub = data.published_date
    index_no = f"{11000000 + data.seed % 8999999:08d}X/{pub.year}-{data.seed % 997:05d}"
    metadata = (
        '<table class="xxgk-meta"><tr><td>索引号：</td><td>' + index_no + "</td><td>主题分类：</td><td>"
        "政务公开</td></tr><tr><td>发布机构：</td><td>" + escape(data.agency) + "</td><td>发布日期：</td><td>"
        f"{pub:%Y-%m-%d}</td></tr><tr><td>名称：</td><td colspan=3>{escape(data.title)}</td></tr></table>"
    )
    nav = (
        '<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>'
        '<li><a href="/bsfw/">办事服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul>'
        '<div class="crumb">当前位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div></div>'
    )
    related = (
        '<div class="related"><h4>相关链接</h4><ul><li><a href="/zwgk/xxgkzn/">政府信息公开指南</a></li>'
        '<li><a href="/zwgk/xxgkzd/">政府信息公开制度</a></li>'
        '<li><a href="/hdjl/yjzj/">意见征集</a></li></ul></div>'
    )
    footer = (
        f'<div class="footer"><p>主办单位：{escape(site)}办公室 &nbsp; '
        f"网站标识码：{3200000000 + data.seed % 99999999}"
        "</p><p>ICP备案号：苏ICP备05001234号-1 &nbsp; 联系电话：0527-88888888</p>"
        "<script>var _hmt = _hmt || [];</script></div>"
    )
    content_open = {
        "zoom": '<div class="article"><div id="zoom">',
        "trs": '<div class="view TRS_UEDITOR trs_paper_default"><div class="TRS_Editor">',
        "article": '<div class="article"><div class="article-content" id="zoomcon">',
    }[chrome]
    return (
        f'<!DOCTYPE html><html><head>{head_meta}<meta name="SiteName" content="{escape(site)}">'
        f'<meta name="ArticleTitle" content="{escape(data.title)}">'
        f'<meta name="PubDate" content="{pub:%Y-%m-%d} 09:30">'
        f"<title>{escape(title)}</title><link rel=stylesheet href=/css/main.css></head><body>"
        f'<div class="header"><div class="logo">{escape(site)}</div>{nav}</div>'
        f'<div class="main">{metadata}<h1 class="title">{escape(data.title)}</h1>'
        f'<div class="info">发布时间：{pub:%Y-%m-%d} &nbsp; 来源：{escape(data.agency)} &nbsp; 浏览次数：'
        f"{data.seed % 5000}</div>{content_open}\n{body}\n</div></div>{related}</div>{footer}</body></html>"
    )


def render_html(
    data: ReportData,
    layout: Layout | None = None,
    *,
    style: str = "word",
    chrome: str = "zoom",
    encoding: str = "utf-8",
) -> tuple[bytes, str, str]:
    """Render `data` as a portal page → ``(bytes, content_type, filename)``."""
    for name, value, allowed in (
        ("style", style, STYLES),
        ("chrome", chrome, CHROMES),
        ("encoding", encoding, ENCODINGS),
    ):
        if value not in allowed:
            raise ValueError(f"render_html {name}={value!r}; allowed: {', '.join(allowed)}")
    layout = layout or Layout()
    meta = {"gbk": "gbk", "gbk_missing": None}.get(encoding, "utf-8")
    page = _chrome(data, body_html(data, layout, style=style), chrome, meta)
    if encoding == "utf-8":
        return page.encode("utf-8"), "text/html; charset=utf-8", f"report-{data.seed}.html"
    blob = page.encode("gbk")  # strict: a character GBK cannot hold is a forge bug
    content_type = {"gbk": "text/html; charset=gbk", "gbk_lying_header": "text/html; charset=utf-8"}.get(
        encoding, "text/html"
    )
    return blob, content_type, f"report-{data.seed}.html"
