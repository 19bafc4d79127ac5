"""Per-family markup, URL shapes, paging and quirks of the replica portals (portals.md §13).

`build_site(spec)` returns a `Site` whose routes reproduce one CMS family:

* ``hanweb_jcms`` — ``/col/col<c>/index.html`` with the first 45 rows inside ``<datastore>`` CDATA, a
  ``jpage({...})`` init, POST ``/module/jpage/dataproxy.jsp?startrecord&endrecord&perpage`` (GET → 405);
  ``/art/Y/M/D/art_<c>_<id>.html`` details with ``#zoom`` + ZJEG markers + xxgk table; attachments via
  ``downfile.jsp`` or the ``oss`` host; rows with truncated anchor text and index-number spans.
* ``hanweb_jcms_jiangsu`` — ``/module/web/jpage/dataproxy.jsp?page=&perpage=`` with ``<totalrecord>``,
  ``li.clearfix`` rows whose dates are split over lines.
* ``hanweb_xxgk`` — ``tree.jsp`` (anchors + a dTree ``add`` node), POST ``search.jsp`` fragments with
  ``共N页``, ``xxgkAnnualReport.jsp?area=&fbtime=``.
* ``hanweb_jpaas`` — ``unitbuild.js`` script tag + pager attrs, the unit JSON API honouring only
  ``paramJson.pageNo``, ``/col/col<c>/art/Y/art_<hex>.html`` details, a download gateway issuing
  short-lived tokens and redirecting to ``/cms_files/…``.
* ``trs`` — ``index.html``/``index_N.html`` with ``createPageHTML``, stub pages past the end,
  ``./YYYYMM/tYYYYMMDD_id.html`` details with ``.TRS_Editor`` and ``./P0….pdf`` attachments.
* ``gkmlpt`` — ``/gkmlpt/index`` with ``window._CONFIG`` (SID, TREE), ``/gkmlpt/api/all/<cat>?page&sid``
  (page 0 == page 1, 100 per page), ``post_<id>.html`` details and ``/attachment/…`` files.
* ``shanghai`` — ``/nw12344/index.html`` + ``index_2.html``, ``pagination({totalPage})``, commented-out
  duplicate rows pointing at pages that do not exist.
* ``static`` — a plain list with ``共N页`` and 1-based ``index_N.html``, NFCMS-like details.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import math
import time
from urllib.parse import quote

from tests.replica.content import attachment_bytes, report_body
from tests.replica.server import Req, Resp, Site, html_resp
from tests.replica.sites import Item, SiteSpec

E = html.escape
CTYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


# --- shared pieces ------------------------------------------------------------------------------------


def page(site: Site, title: str, body: str, head: str = "") -> str:
    charset = "gbk" if site.spec.encoding == "gbk" else "utf-8"
    return (
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{E(title)}</title>{head}</head><body>"
        '<div class="header"><a href="/">首页</a> <a href="/col/col1/index.html">政务公开</a> '
        '<a href="/waf/abnormal">互动交流</a></div>'
        f'{body}<div class="footer">网站标识码：3302110001 主办单位：{E(site.spec.agencies[0])}</div>'
        "</body></html>"
    )


def truncate(title: str, n: int = 18) -> str:
    return title if len(title) <= n else title[:n] + "…"


def body_of(item: Item) -> str:
    if item.is_report:
        return report_body(item.agency, item.year, item.key, item.revision, item.title)
    return (
        f"<p>{E(item.title)}</p><p>根据工作安排，现将有关事项说明如下。本页面为栏目中的其他信息，"
        "不属于政府信息公开工作年度报告，用于检验标题过滤。</p>" * 2
    )


def file_resp(item: Item, ext: str, site: Site | None = None) -> Resp:
    full = site is None or item.key in site.full_file_keys
    blob, ctype = attachment_bytes(ext, item.agency, item.year, item.key, item.revision, full)
    name = quote(f"{item.title}.{ext}")
    return Resp(
        200,
        blob,
        {"Content-Type": ctype, "Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
        last_modified=item.last_modified,
    )


def detail_resp(site: Site, item: Item, body: str, head: str = "") -> Resp:
    meta = (
        f'<meta name="ArticleTitle" content="{E(item.title)}">'
        f'<meta name="PubDate" content="{item.published:%Y-%m-%d} 09:30">'
        f'<meta name="ContentSource" content="{E(item.agency)}">'
    )
    return html_resp(page(site, item.title, body, meta + head), site, last_modified=item.last_modified)


def _item(site: Site, key: str | int) -> Item | None:
    try:
        return site.by_key.get(int(key))
    except ValueError:
        return None


def _by_hex(site: Site, hexid: str) -> Item | None:
    return site.by_hex.get(hexid)


def not_found(site: Site) -> Resp:
    return html_resp("<html><body><h1>404 页面不存在</h1></body></html>", site, status=404)


# --- Hanweb JCMS ----------------------------------------------------------------------------------------


def jcms_art(site: Site, item: Item) -> str:
    col = site.spec.options.get("column", 1229000001) if item.column == "main" else 1229000002
    p = item.published
    return f"/art/{p.year}/{p.month}/{p.day}/art_{col}_{item.key}.html"


def jcms_attachment_link(site: Site, item: Item) -> str:
    if not item.attachment:
        return ""
    ext = item.attachment
    if item.key % 2 == 0:  # Zhejiang unified storage: a different host
        url = f"{site.oss_base}/jcms_files/jcms1/web3096/site/attach/0/{item.hex}.{ext}"
    else:
        url = (
            f"/module/download/downfile.jsp?classid=0&filename={item.hex}.{ext}"
            f"&showname={quote(item.title)}.{ext}"
        )
    return f'<p>附件：<a href="{E(url)}">{E(item.title)}.{ext}</a></p>'


def jcms_record(site: Site, item: Item, i: int, jiangsu: bool) -> str:
    href = jcms_art(site, item)
    p = item.published
    if jiangsu:
        return (
            f'<li class="clearfix"><a href="{href}" title="{E(item.title)}" target="_blank">'
            f'{E(truncate(item.title))}</a><span class="time">'
            f"{p.year}-\n{p.month:02d}-\n{p.day:02d}</span></li>"
        )
    if i % 3 == 1:  # template with an index number before the date
        return (
            f'<li><a href="{href}" title="{E(item.title)}" target="_blank">{E(truncate(item.title))}</a>'
            f'<span class="sy">{p.year}-02-{item.key % 100000:05d}</span><span>{p:%Y-%m-%d}</span></li>'
        )
    if i % 3 == 2:
        return (
            f'<table><tr><td><a href="{href}" title="{E(item.title)}">{E(truncate(item.title))}</a></td>'
            f"<td>[{p:%Y-%m-%d}]</td></tr></table>"
        )
    return (
        f'<li><a href="{href}" title="{E(item.title)}" target="_blank">{E(truncate(item.title))}</a>'
        f"<span>{p:%Y-%m-%d}</span></li>"
    )


def _datastore(records: list[str], nextgroup: str = "", total: int | None = None) -> str:
    head = f"<totalrecord>{total}</totalrecord>" if total is not None else ""
    recs = "".join(f"<record><![CDATA[{r}]]></record>\n" for r in records)
    ng = f"<nextgroup><![CDATA[{nextgroup}]]></nextgroup>" if nextgroup else ""
    return f"<datastore>{head}{ng}<recordset>\n{recs}</recordset></datastore>"


def jcms_column(site: Site, req: Req, m) -> Resp:
    jiangsu = site.spec.family == "hanweb_jcms_jiangsu"
    col = int(m.group(1))
    main_col = site.spec.options.get("column", 1229000001)
    column = "main" if col == main_col else "other" if col == 1229000002 else None
    if column is None:
        return not_found(site)
    rows = site.column(column)
    per_page, group = (10, 3) if jiangsu else (15, 3)
    inline = rows[: per_page * group]
    records = [jcms_record(site, it, i, jiangsu) for i, it in enumerate(inline)]
    unit = 7000000 + col % 1000
    if jiangsu:
        proxy = "/module/web/jpage/dataproxy.jsp"
        ng = (
            f'<a href="{proxy}?page=1&appid=1&webid=1&path=/&columnid={col}&unitid={unit}'
            f'&webname=replica&permissiontype=0"></a>'
        )
        init = (
            f"$('#{unit}').jpage({{ totalRecord:{len(rows)}, perPage:{per_page}, groupSize:{group}, "
            f"proxyUrl:'{proxy}', dataStore: '' }});"
        )
    else:
        proxy = "/module/jpage/dataproxy.jsp"
        ng = (
            f'<a href="{proxy}?page=1&appid=1&webid=3096&path=/&columnid={col}&unitid={unit}'
            f'&webname=replica&permissiontype=0"></a>'
        )
        init = (
            f"$('#{unit}').jpage({{ totalRecord:{len(rows)}, perPage:{per_page}, groupSize:{group}, "
            f"proxyUrl:'{proxy}', ajaxParam:{{col:1,appid:1,webid:3096,path:'/',columnid:{col},"
            f"sourceContentType:1,unitid:'{unit}',webname:'replica',permissiontype:0}} }});"
        )
    body = (
        f'<div class="crumb">首页 &gt; 信息公开 &gt; 政府信息公开年报</div><ul class="main_list"></ul>'
        f'<div id="{unit}"><script type="text/xml">{_datastore(records, ng)}</script></div>'
        f"<script>{init}</script>"
    )
    return html_resp(page(site, "政府信息公开年报", body), site)


def jcms_proxy(site: Site, req: Req, m) -> Resp:
    jiangsu = "/web/" in req.path
    if not jiangsu and req.method != "POST":
        return Resp(405, b"method not allowed", {"Content-Type": "text/plain"})
    args = {**req.query, **req.form}
    col = int(args.get("columnid") or 0)
    main_col = site.spec.options.get("column", 1229000001)
    column = "main" if col == main_col else "other" if col == 1229000002 else None
    if column is None:
        return Resp(
            200,
            b'<?xml version="1.0" encoding="UTF-8"?><datastore></datastore>\n'[:54],
            {"Content-Type": "text/xml;charset=UTF-8"},
        )
    rows = site.column(column)
    if jiangsu:
        per = min(int(args.get("perpage") or 10), 300)
        pg = max(1, int(args.get("page") or 1))
        chunk, start = rows[(pg - 1) * per : pg * per], (pg - 1) * per
    else:
        start = max(1, int(args.get("startrecord") or 1)) - 1
        end = int(args.get("endrecord") or start + 45)
        chunk = rows[start:end]
    records = [jcms_record(site, it, start + i, jiangsu) for i, it in enumerate(chunk)]
    body = '<?xml version="1.0" encoding="UTF-8"?>' + _datastore(
        records, total=len(rows) if jiangsu else None
    )
    return Resp(200, body.encode("utf-8"), {"Content-Type": "text/xml;charset=UTF-8"})


def jcms_detail(site: Site, req: Req, m) -> Resp:
    item = _item(site, m.group(2))
    if item is None or jcms_art(site, item) != req.path:
        return not_found(site)
    table = (
        '<table class="xxgk_table"><tr><td>索 引 号：</td><td>11330211MB1234567X/'
        f"{item.published.year}-{item.key % 100000:05d}</td><td>组配分类：</td><td>"
        f"{'政府信息公开年报' if item.is_report else '其他'}</td></tr><tr><td>发布机构：</td><td>"
        f"{E(item.agency)}</td><td>生成日期：</td><td>{item.published:%Y-%m-%d}</td></tr></table>"
    )
    body = (
        f'{table}<h1>{E(item.title)}</h1><div id="zoom">'
        "<!--<$[信息内容]>begin--><!--ZJEG_RSS.content.begin-->"
        f'<meta name="ContentStart">{body_of(item)}<meta name="ContentEnd"><!--ZJEG_RSS.content.end-->'
        f"<!--<$[信息内容]>end--></div>{jcms_attachment_link(site, item)}"
        '<div class="share">扫一扫在手机打开当前页</div>'
    )
    return detail_resp(site, item, body)


def jcms_download(site: Site, req: Req, m) -> Resp:
    name = req.query.get("filename", "")
    item = _by_hex(site, name.rsplit(".", 1)[0])
    if item is None or not item.attachment:
        return not_found(site)
    return file_resp(item, item.attachment, site)


def jcms_routes() -> list:
    return [
        ("GET", r"^/col/col(\d+)/(?:index\.html)?$", jcms_column),
        ("*", r"^/module/(?:web/)?jpage/dataproxy\.jsp$", jcms_proxy),
        ("GET", r"^/art/\d{4}/\d{1,2}/\d{1,2}/art_(\d+)_(\d+)\.html$", jcms_detail),
        ("GET", r"^/module/download/downfile\.jsp$", jcms_download),
    ]


# --- Hanweb xxgk ------------------------------------------------------------------------------------

XXGK_ANNUAL, XXGK_OTHER = "C0201", "A0104"
XXGK_PER_PAGE = 15


def xxgk_tree(site: Site, req: Req, m) -> Resp:
    area = req.query.get("area", "")
    body = (
        '<div class="dtree"><ul>'
        f"<li><a href=\"javascript:void(0)\" onclick=\"funclick('A0101','div1')\">机构职能</a></li>"
        f"<li><a href=\"javascript:void(0)\" onclick=\"funclick('{XXGK_OTHER}','div1')\">工作动态</a></li>"
        f"<li><a href=\"javascript:funclick('{XXGK_ANNUAL}','div1')\">政府信息公开年报</a></li>"
        "</ul></div><script>d = new dTree('d');"
        "d.add(9,0,'政府信息公开指南',\"javascript:funclick('A0301','div1')\");"
        f"document.write(d);var area='{E(area)}';</script>"
    )
    return html_resp(page(site, "信息公开目录", body), site)


def xxgk_search(site: Site, req: Req, m) -> Resp:
    if req.method != "POST":
        return Resp(405, b"POST only", {"Content-Type": "text/plain"})
    infotype = req.form.get("infotypeId", "")
    rows = (
        site.column("main")
        if infotype == XXGK_ANNUAL
        else site.column("other")
        if infotype == XXGK_OTHER
        else []
    )
    pages = max(1, math.ceil(len(rows) / XXGK_PER_PAGE))
    cur = max(1, int(req.form.get("currpage") or 1))
    chunk = rows[(cur - 1) * XXGK_PER_PAGE : cur * XXGK_PER_PAGE]
    lis = "".join(
        f'<li><a href="{jcms_art(site, it)}" title="{E(it.title)}" target="_blank">'
        f"{E(truncate(it.title, 24))}</a><span>{it.published:%Y-%m-%d}</span></li>"
        for it in chunk
    )
    body = (
        f'<div class="zfxxgk_list_con"><ul>{lis}</ul></div>'
        f'<div class="page">共{len(rows)}条 共{pages}页 当前第{cur}页</div>'
    )
    return html_resp(body, site)


def xxgk_annual(site: Site, req: Req, m) -> Resp:
    year = req.query.get("fbtime", "")
    item = next((it for it in site.reports if str(it.year) == year), None)
    if item is None:
        return html_resp(page(site, "政府信息公开年度报告", "<div class='nodata'>暂无该年度报告</div>"), site)
    body = (
        f'<h1>{E(item.title)}</h1><div class="xxgk_content">{body_of(item)}</div>'
        f"{jcms_attachment_link(site, item)}"
    )
    return detail_resp(site, item, body)


def xxgk_routes() -> list:
    return [
        ("GET", r"^/module/xxgk/tree\.jsp$", xxgk_tree),
        ("*", r"^/module/xxgk/search\.jsp$", xxgk_search),
        ("GET", r"^/module/xxgk/xxgkAnnualReport\.jsp$", xxgk_annual),
        ("GET", r"^/art/\d{4}/\d{1,2}/\d{1,2}/art_(\d+)_(\d+)\.html$", jcms_detail),
        ("GET", r"^/module/download/downfile\.jsp$", jcms_download),
    ]


# --- Hanweb JPaaS ----------------------------------------------------------------------------------

JPAAS_COL, JPAAS_OTHER, JPAAS_ROWS = "1229700001", "1229700002", 15
TOKEN_TTL_S = 60


def jpaas_art(item: Item) -> str:
    col = JPAAS_COL if item.column == "main" else JPAAS_OTHER
    return f"/col/col{col}/art/{item.published.year}/art_{item.hex}.html"


def jpaas_column(site: Site, req: Req, m) -> Resp:
    col = m.group(1)
    if col not in (JPAAS_COL, JPAAS_OTHER):
        return not_found(site)
    rows = site.column("main" if col == JPAAS_COL else "other")
    query = f"{{'webId':'3185','pageId':'{col}','tagId':'信息列表','tplSetId':'o0YcVHHqRYwO'}}"
    body = (
        f'<div id="list"><script src="/AuthorizedRead/unitbuild.js" '
        f'url="/api-gateway/jpaas-publish-server/front/page/build/unit" queryData="{query}"></script></div>'
        f'<div class="pagebar" count="{len(rows)}" rows="{JPAAS_ROWS}" pageNo="1" '
        f'unitUrl="/api-gateway/jpaas-publish-server/front/page/build/unit" queryData="{query}"></div>'
    )
    return html_resp(page(site, "政府信息公开年报", body), site)


def jpaas_unit(site: Site, req: Req, m) -> Resp:
    q = req.query
    if q.get("parseType") != "bulidstatic" or q.get("webId") != "3185":
        return Resp(
            200,
            json.dumps({"success": False, "code": 400, "data": None}).encode(),
            {"Content-Type": "application/json"},
        )
    col = q.get("pageId")
    rows = site.column("main" if col == JPAAS_COL else "other") if col in (JPAAS_COL, JPAAS_OTHER) else []
    try:
        pj = json.loads(q.get("paramJson") or "{}")
    except ValueError:
        pj = {}
    pno, size = (
        max(1, int(pj.get("pageNo") or 1)),
        int(pj.get("pageSize") or JPAAS_ROWS),
    )  # bare pageNo ignored
    chunk = rows[(pno - 1) * size : pno * size]
    lis = "".join(
        f'<li><a href="{jpaas_art(it)}" title="{E(it.title)}" target="_blank">{E(truncate(it.title))}'
        f"</a><span>{it.published:%Y-%m-%d}</span></li>"
        for it in chunk
    )
    payload = {"success": True, "code": 200, "data": {"html": f"<ul>{lis}</ul>" if chunk else ""}}
    return Resp(200, json.dumps(payload, ensure_ascii=False).encode(), {"Content-Type": "application/json"})


def _token(item: Item, now: float | None = None) -> str:
    ts = int(now if now is not None else time.time())
    sig = hashlib.sha1(f"{item.hex}:{ts}".encode()).hexdigest()[:12]
    return f"{item.hex}.{ts}.{sig}"


def jpaas_detail(site: Site, req: Req, m) -> Resp:
    item = _by_hex(site, m.group(2))
    if item is None or jpaas_art(item) != req.path:
        return not_found(site)
    att = ""
    if item.attachment:
        url = (
            f"/api-gateway/jpaas-web-server/front/document/download?fileUrl={_token(item)}"
            f"&fileName={quote(item.title)}.{item.attachment}"
        )
        link = f'<a href="{E(url)}">{E(item.title)}.{item.attachment}</a>'
        att = f'<div class="editorContent-download">{link}</div>'
    body = f'<h1>{E(item.title)}</h1><div class="editor-content" id="zoom">{body_of(item)}</div>{att}'
    return detail_resp(site, item, body)


def jpaas_download(site: Site, req: Req, m) -> Resp:
    token = req.query.get("fileUrl", "")
    try:
        hexid, ts, _sig = token.split(".")
        item = _by_hex(site, hexid)
        valid = item is not None and _token(item, int(ts)) == token and time.time() - int(ts) <= TOKEN_TTL_S
    except ValueError:
        valid, item = False, None
    if not valid or item is None or not item.attachment:
        return Resp(403, "链接已失效".encode(), {"Content-Type": "text/plain; charset=utf-8"})
    folder = f"{item.published:%Y}{item.published.month}"
    loc = f"/cms_files/filemanager/3185/attach/{folder}/{item.hex.upper()}.{item.attachment}"
    return Resp(302, b"", {"Location": loc})


def jpaas_file(site: Site, req: Req, m) -> Resp:
    item = _by_hex(site, m.group(1).lower())
    if item is None or not item.attachment:
        return not_found(site)
    return file_resp(item, item.attachment, site)


def jpaas_routes() -> list:
    return [
        ("GET", r"^/col/col(\d+)/(?:index\.html)?$", jpaas_column),
        ("GET", r"^/api-gateway/jpaas-publish-server/front/page/build/unit$", jpaas_unit),
        ("GET", r"^/col/col(\d+)/art/\d{4}/art_([0-9a-f]{32})\.html$", jpaas_detail),
        ("GET", r"^/api-gateway/jpaas-web-server/front/document/download$", jpaas_download),
        ("GET", r"^/cms_files/filemanager/3185/attach/\d+/([0-9A-F]{32})\.\w+$", jpaas_file),
    ]


# --- TRS WCM --------------------------------------------------------------------------------------

TRS_DIR, TRS_OTHER, TRS_PER_PAGE = "/gongkai/zfxxgk/gknb/", "/gongkai/zfxxgk/gzdt/", 20


def trs_detail_path(item: Item) -> str:
    d = TRS_DIR if item.column == "main" else TRS_OTHER
    return f"{d}{item.published:%Y%m}/t{item.published:%Y%m%d}_{item.key}.html"


def trs_list(site: Site, req: Req, m) -> Resp:
    column = "main" if req.path.startswith(TRS_DIR) else "other"
    rows = site.column(column)
    pages = max(1, math.ceil(len(rows) / TRS_PER_PAGE))
    idx = int(m.group(2) or 0)
    if idx >= pages:  # beyond the end: the tiny stub real TRS sites leave behind
        return html_resp("<html><head><title></title></head><body></body></html>", site)
    chunk = rows[idx * TRS_PER_PAGE : (idx + 1) * TRS_PER_PAGE]
    base = TRS_DIR if column == "main" else TRS_OTHER
    lis = "".join(
        f'<li><a href="./{trs_detail_path(it)[len(base) :]}" title="{E(it.title)}" target="_blank">'
        f"{E(truncate(it.title, 30))}</a><span>{it.published:%Y-%m-%d}</span></li>"
        for it in chunk
    )
    body = (
        f'<ul class="list">{lis}</ul><div class="page">'
        f'<script>createPageHTML({pages}, {idx}, "index", "html");'
        "</script></div>"
    )
    return html_resp(page(site, "政府信息公开年报", body), site)


def trs_detail(site: Site, req: Req, m) -> Resp:
    item = _item(site, m.group(1))
    if item is None or trs_detail_path(item) != req.path:
        return not_found(site)
    att = ""
    if item.attachment:
        fname = f"P0{item.published:%Y%m%d}{item.key}.{item.attachment}"
        att = f'<div class="fj">附件：<a href="./{fname}">{E(item.title)}.{item.attachment}</a></div>'
    body = (
        f'<h1 class="artT">{E(item.title)}</h1>'
        f'<div class="art_infos">发布日期：{item.published:%Y-%m-%d}</div>'
        '<div class="view TRS_UEDITOR trs_paper_default">'
        f'<div class="TRS_Editor">{body_of(item)}</div></div>{att}'
    )
    return detail_resp(site, item, body)


def trs_file(site: Site, req: Req, m) -> Resp:
    item = _item(site, m.group(2))
    if item is None or item.attachment != m.group(3) or m.group(1) != f"{item.published:%Y%m%d}":
        return not_found(site)
    return file_resp(item, item.attachment, site)


def trs_routes() -> list:
    dirs = f"(?:{TRS_DIR}|{TRS_OTHER})"
    return [
        ("GET", rf"^({dirs})(?:index(?:_(\d+))?\.html)?$", trs_list),
        ("GET", rf"^{dirs}\d{{6}}/t\d{{8}}_(\d+)\.html$", trs_detail),
        ("GET", rf"^{dirs}\d{{6}}/P0(\d{{8}})(\d+)\.(\w+)$", trs_file),
    ]


# --- Guangdong gkmlpt ------------------------------------------------------------------------------

GK_SID, GK_ANNUAL, GK_OTHER, GK_PER_PAGE = "2", 5, 8, 100


def gk_path(item: Item) -> str:
    return f"/gkmlpt/content/{item.key // 1_000_000}/{item.key // 1000}/post_{item.key}.html"


def gk_index(site: Site, req: Req, m) -> Resp:
    tree = [
        {"id": 1, "name": "机构职能", "children": [], "post_count": 3},
        {"id": GK_ANNUAL, "name": "政府信息公开年报", "children": [], "post_count": len(site.column())},
        {"id": 7, "name": "其他", "children": [{"id": GK_OTHER, "name": "规划计划", "children": []}]},
        {"id": 9, "name": "外部链接", "jump_url": "http://www.gd.gov.cn/", "children": []},
    ]
    script = (
        f"window._CONFIG = {{ SID:'{GK_SID}', SERVICE_AREA_ID: 1, "
        f"TREE: {json.dumps(tree, ensure_ascii=False)},"
        " DETAIL: null };"
    )
    body = f'<div id="app"></div><script>{script}</script><script src="/gkmlpt/static/js/app.js"></script>'
    return html_resp(page(site, "政府信息公开目录", body), site)


def gk_api(site: Site, req: Req, m) -> Resp:
    cat = int(m.group(1))
    rows = site.column("main") if cat == GK_ANNUAL else site.column("other") if cat == GK_OTHER else []
    if req.query.get("sid") != GK_SID:
        rows = []
    pg = max(1, int(req.query.get("page") or 0))  # page 0 is page 1
    chunk = rows[(pg - 1) * GK_PER_PAGE : pg * GK_PER_PAGE]
    articles = []
    for it in chunk:
        ts = int(
            dt.datetime.combine(
                it.published, dt.time(9, 0), tzinfo=dt.timezone(dt.timedelta(hours=8))
            ).timestamp()
        )
        att = (
            [
                {
                    "id": it.key,
                    "name": f"{it.title}.{it.attachment}",
                    "type": it.attachment,
                    "url": f"{site.base}{gk_file_path(it)}",
                }
            ]
            if it.attachment
            else []
        )
        articles.append(
            {
                "id": it.key,
                "title": it.title,
                "identifier": f"006939748/{it.year + 1}-{it.key % 1000:05d}",
                "publisher": it.agency,
                "display_publish_time": ts,
                "create_time": ts,
                "url": f"{site.base}{gk_path(it)}",
                "attachment": att,
            }
        )
    data = {"classify": {"id": cat, "post_count": len(rows)}, "articles": articles, "total": len(rows)}
    return Resp(200, json.dumps(data, ensure_ascii=False).encode(), {"Content-Type": "application/json"})


def gk_file_path(item: Item) -> str:
    return f"/attachment/0/{item.key // 1000}/{item.key}/{item.key}.{item.attachment}"


def gk_detail(site: Site, req: Req, m) -> Resp:
    item = _item(site, m.group(1))
    if item is None or gk_path(item) != req.path:
        return not_found(site)
    att = ""
    if item.attachment:
        link = f'<a href="{gk_file_path(item)}">{E(item.title)}.{item.attachment}</a>'
        att = f'<div class="attachment">附件：{link}</div>'
    content = body_of(item)
    detail = json.dumps({"title": item.title, "content": content[:200]})
    body = (
        f'<div class="introduce">索引号：006939748/{item.year + 1}-00001 分类：政府信息公开年报</div>'
        f'<h1 class="title">{E(item.title)}</h1><div class="article-content">{content}</div>{att}'
        f"<script>window._CONFIG = {{ SID:'{GK_SID}', DETAIL: {detail} }};</script>"
    )
    return detail_resp(site, item, body)


def gk_file(site: Site, req: Req, m) -> Resp:
    item = _item(site, m.group(1))
    if item is None or not item.attachment or gk_file_path(item) != req.path:
        return not_found(site)
    return file_resp(item, item.attachment, site)


def gk_routes() -> list:
    return [
        ("GET", r"^/gkmlpt/index$", gk_index),
        ("GET", r"^/gkmlpt/api/all/(\d+)$", gk_api),
        ("GET", r"^/gkmlpt/content/\d+/\d+/post_(\d+)\.html$", gk_detail),
        ("GET", r"^/attachment/\d+/\d+/(\d+)/\d+\.\w+$", gk_file),
    ]


# --- Shanghai --------------------------------------------------------------------------------------

SH_DIR, SH_OTHER, SH_PER_PAGE = "/nw12344/", "/nw2319/", 20


def sh_path(item: Item) -> str:
    return f"{SH_DIR if item.column == 'main' else SH_OTHER}{item.published:%Y%m%d}/{item.hex}.html"


def sh_list(site: Site, req: Req, m) -> Resp:
    column = "main" if m.group(1) == SH_DIR else "other"
    rows = site.column(column)
    pages = max(1, math.ceil(len(rows) / SH_PER_PAGE))
    cur = int(m.group(2) or 1)
    if cur > pages or (cur == 1 and m.group(2)):
        return not_found(site)
    chunk = rows[(cur - 1) * SH_PER_PAGE : cur * SH_PER_PAGE]
    lis = []
    for i, it in enumerate(chunk):
        row = (
            f'<li><a href="{sh_path(it)}" title="{E(it.title)}" target="_blank">{E(it.title)}</a>'
            f'<span class="time">{it.published:%Y-%m-%d}</span></li>'
        )
        lis.append(row)
        if i % 7 == 0:  # the commented-out duplicate rows of the real templates, pointing nowhere
            ghost = row.replace(it.hex, "0" * 32)
            lis.append(f"<!--{ghost}-->")
    body = (
        f'<ul class="uli14 nowrapli list-date">{"".join(lis)}</ul><div class="pagination"></div>'
        f'<script>$(".pagination").pagination({{ totalPage: {pages}, currentPage: {cur}, pageSize: '
        f"{SH_PER_PAGE} }});</script>"
    )
    return html_resp(page(site, "政府信息公开工作年度报告", body), site)


def sh_detail(site: Site, req: Req, m) -> Resp:
    item = _by_hex(site, m.group(1))
    if item is None or sh_path(item) != req.path:
        return not_found(site)
    att = ""
    if item.attachment:
        att = (
            f'<p>附件：<a href="/cmsres/{item.hex[:2]}/{item.hex}.{item.attachment}">{E(item.title)}</a></p>'
        )
    body = (
        f'<h2 id="ivs_title">{E(item.title)}</h2>'
        f'<div class="Article_content" id="ivs_content">{body_of(item)}{att}</div>'
    )
    return detail_resp(site, item, body)


def sh_file(site: Site, req: Req, m) -> Resp:
    item = _by_hex(site, m.group(1))
    if item is None or not item.attachment:
        return not_found(site)
    return file_resp(item, item.attachment, site)


def sh_routes() -> list:
    dirs = f"({SH_DIR}|{SH_OTHER})"
    return [
        ("GET", rf"^{dirs}index(?:_(\d+))?\.html$", sh_list),
        ("GET", rf"^(?:{SH_DIR}|{SH_OTHER})\d{{8}}/([0-9a-f]{{32}})\.html$", sh_detail),
        ("GET", r"^/cmsres/[0-9a-f]{2}/([0-9a-f]{32})\.\w+$", sh_file),
    ]


# --- static / NFCMS-like ---------------------------------------------------------------------------

ST_DIR, ST_PER_PAGE = "/zwgk/ndbg/", 12


def st_path(item: Item) -> str:
    return f"{ST_DIR}content/post_{item.key}.html"


def st_list(site: Site, req: Req, m) -> Resp:
    rows = site.column("main")
    pages = max(1, math.ceil(len(rows) / ST_PER_PAGE))
    cur = int(m.group(1) or 1)
    if cur > pages:
        return not_found(site)
    chunk = rows[(cur - 1) * ST_PER_PAGE : cur * ST_PER_PAGE]
    lis = "".join(
        f'<li><a href="//{site.base.split("//")[1]}{st_path(it)}" target="_blank">{E(it.title)}</a>'
        f"<em>{it.published:%Y-%m-%d}</em></li>"
        for it in chunk
    )
    nxt = f'<a href="index_{cur + 1}.html">下一页</a>' if cur < pages else ""
    body = f'<div class="list"><ul>{lis}</ul></div><div class="pager">共{pages}页 {nxt}</div>'
    return html_resp(page(site, "年度信息公开报告", body), site)


def st_detail(site: Site, req: Req, m) -> Resp:
    item = _item(site, m.group(1))
    if item is None or st_path(item) != req.path:
        return not_found(site)
    att = ""
    if item.attachment:
        att = (
            f'<div class="fjdown"><a href="/attachment/post/{item.key}.{item.attachment}">下载附件</a></div>'
        )
    body = (
        f'<div class="tit"><h1>{E(item.title)}</h1></div>'
        f'<div class="news_cont_d_wrap">{body_of(item)}</div>{att}'
    )
    return detail_resp(site, item, body)


def st_file(site: Site, req: Req, m) -> Resp:
    item = _item(site, m.group(1))
    if item is None or item.attachment != m.group(2):
        return not_found(site)
    return file_resp(item, item.attachment, site)


def st_routes() -> list:
    return [
        ("GET", rf"^{ST_DIR}(?:index(?:_(\d+))?\.html)?$", st_list),
        ("GET", rf"^{ST_DIR}content/post_(\d+)\.html$", st_detail),
        ("GET", r"^/attachment/post/(\d+)\.(\w+)$", st_file),
    ]


# --- assembly --------------------------------------------------------------------------------------

ROUTES = {
    "hanweb_jcms": jcms_routes,
    "hanweb_jcms_jiangsu": jcms_routes,
    "hanweb_xxgk": xxgk_routes,
    "hanweb_jpaas": jpaas_routes,
    "trs": trs_routes,
    "gkmlpt": gk_routes,
    "shanghai": sh_routes,
    "static": st_routes,
}


def build_site(spec: SiteSpec) -> Site:
    return Site(spec, ROUTES[spec.family]())


def oss_site(sites: dict[str, Site]) -> Site:
    """The off-host attachment storage (Zhejiang OSS bucket stand-in) serving files of every site."""

    def serve(oss: Site, req: Req, m) -> Resp:
        for site in sites.values():
            item = _by_hex(site, m.group(1))
            if item is not None and item.attachment == m.group(2):
                return file_resp(item, item.attachment, site)
        return Resp(404, b"NoSuchKey", {"Content-Type": "application/xml"})

    return Site(
        SiteSpec("oss", "static", non_reports=0, other_column=0, attachments=False, years=(2020, 2020)),
        [("GET", r"^/jcms_files/jcms1/web\d+/site/attach/0/([0-9a-f]{32})\.(\w+)$", serve)],
    )


def default_specs() -> list[SiteSpec]:
    """One site per family, each large enough to page (and the GBK TRS site with a lying header)."""
    from tests.replica.sites import agency_names

    return [
        SiteSpec("jcms", "hanweb_jcms", agencies=agency_names(6), years=(2014, 2024), seed=11),
        SiteSpec("jcms-js", "hanweb_jcms_jiangsu", agencies=agency_names(4), years=(2015, 2024), seed=12),
        SiteSpec("xxgk", "hanweb_xxgk", years=(2008, 2024), seed=13),
        SiteSpec("jpaas", "hanweb_jpaas", agencies=agency_names(3), years=(2014, 2024), seed=14),
        SiteSpec("trs", "trs", agencies=agency_names(5), years=(2014, 2024), seed=15),
        SiteSpec("trs-gbk", "trs", agencies=agency_names(2), years=(2016, 2024), seed=16, encoding="gbk"),
        SiteSpec("gkmlpt", "gkmlpt", agencies=agency_names(12), years=(2015, 2024), seed=17),
        SiteSpec("shanghai", "shanghai", agencies=agency_names(4), years=(2014, 2024), seed=18),
        SiteSpec("static", "static", agencies=agency_names(3), years=(2016, 2024), seed=19),
    ]
