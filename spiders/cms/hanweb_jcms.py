"""Hanweb 大汉 JCMS column lists: inline ``<datastore>`` records plus ``dataproxy.jsp`` paging.

The column page (``/col/col<c>/index.html``) carries its first group of rows inside
``<script type="text/xml"><datastore><recordset><record><![CDATA[<li>…</li>]]></record>…`` — invisible to
an HTML parser — and a ``jpage({ totalRecord, perPage, groupSize, proxyUrl, ajaxParam })`` init script.
Further groups come from the proxy named in the page (portals.md §2.2–2.3):

* Zhejiang flavour, ``/module/jpage/dataproxy.jsp`` (and the old ``/module/jslib/jquery/jpage/``):
  **POST** ``?startrecord=<s>&endrecord=<e>&perpage=<p>`` with the ``ajaxParam`` fields as the form body;
  one response returns a whole group (``perPage × groupSize`` records).
* Jiangsu flavour, ``/module/web/jpage/dataproxy.jsp``: ``page=<n>`` plus the column params, ``perpage``
  records per page (pagination kind ``jpage_page`` forces it).

Responses are XML ``<datastore>[<totalrecord>N</totalrecord>]<recordset>…``; an empty recordset or an
empty (~54-byte) body ends the chain, as does ``totalRecord``. Pre-2016 pages keep records in a JS
array ``var InitData<unit> = ['<li>…</li>', …]``; sites whose proxy is dead render ``/art/`` links
server-side — both are read too.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from parsel import Selector
from scrapy.http import Response

from spiders.cms.base import (
    ListPage,
    current_page,
    list_request,
    list_url_of,
    over_limit,
    page_from_fragments,
    rows_to_page,
    state_of,
    text_of,
)
from spiders.profiles import PortalProfile

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_INIT_DATA = re.compile(r"var\s+InitData\w*\s*=\s*\[(.*?)\];", re.S)
_JS_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", re.S)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=[\"']([^\"']+)", re.S)
_TOTAL_XML = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)


def _num(name: str, text: str) -> int | None:
    m = re.search(rf"\b{name}\s*:\s*['\"]?(\d+)", text)
    return int(m.group(1)) if m else None


def records(text: str) -> list[str]:
    """HTML fragments of every ``<record>`` (or legacy ``InitData`` array entry) in a page or proxy body."""
    found = _RECORD.findall(text)
    if not found:
        for block in _INIT_DATA.findall(text):
            for m in _JS_STRING.finditer(block):
                found.append((m.group(1) or m.group(2) or "").replace("\\'", "'").replace('\\"', '"'))
    return found


def jpage_init(text: str, page_url: str) -> dict[str, Any] | None:
    """The pager state of a column page: proxy URL, form params, perPage, groupSize, totalRecord."""
    proxy = re.search(r"proxyUrl\s*:\s*['\"]([^'\"]+)", text)
    nextgroup = _NEXTGROUP.search(text)
    if not proxy and not nextgroup:
        return None
    params: dict[str, str] = {}
    ajax = re.search(r"ajaxParam\s*:\s*\{(.*?)\}", text, re.S)
    if ajax:
        for m in re.finditer(r"(\w+)\s*:\s*(?:'([^']*)'|\"([^\"]*)\"|([^,\s}]+))", ajax.group(1)):
            params[m.group(1)] = next(g for g in m.groups()[1:] if g is not None)
    proxy_url = urljoin(page_url, proxy.group(1)) if proxy else ""
    if nextgroup:  # the nextgroup link names the proxy and the column params (Jiangsu pages rely on it)
        href = nextgroup.group(1).replace("&amp;", "&")
        parts = urlsplit(urljoin(page_url, href))
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            if k not in ("page", "startrecord", "endrecord", "perpage"):
                params.setdefault(k, v)
        proxy_url = proxy_url or f"{parts.scheme}://{parts.netloc}{parts.path}"
    return {
        "proxy": proxy_url,
        "params": params,
        "per_page": _num("perPage", text) or 15,
        "group": _num("groupSize", text) or 3,
        "total": _num("totalRecord", text),
    }


def _flavour(state: dict[str, Any], profile: PortalProfile) -> str:
    if profile.pagination.kind == "jpage_page" or "/module/web/jpage/" in state["proxy"]:
        return "page"
    return "records"


def _next_request(
    response: Response, profile: PortalProfile, state: dict[str, Any], seen: int, page: ListPage
) -> None:
    """Queue the next group/page after ``seen`` records, unless the list is exhausted."""
    per_page, total = int(state["per_page"]), state.get("total")
    if total is not None:
        page.total_pages = max(1, math.ceil(int(total) / per_page))
        if seen >= int(total):
            page.end_reason = "last_page"
            return
    number = current_page(response) + 1
    if over_limit(number, profile):
        page.end_reason = "max_pages"
        return
    state = {**state, "seen": seen}
    if _flavour(state, profile) == "page":
        page_no = seen // per_page + 1
        query = urlencode({"page": page_no, **state["params"], "perpage": per_page})
        page.next_requests.append(
            list_request(response, f"{state['proxy']}?{query}", profile, page=number, state=state, ajax=True)
        )
        return
    group = per_page * int(state["group"])
    query = urlencode({"startrecord": seen + 1, "endrecord": seen + group, "perpage": per_page})
    page.next_requests.append(
        list_request(
            response,
            f"{state['proxy']}?{query}",
            profile,
            page=number,
            state=state,
            method="POST",
            formdata=state["params"],
            ajax=True,
        )
    )


def parse_list(response: Response, profile: PortalProfile) -> ListPage:
    """Adapter for ``cms: hanweb_jcms`` — the column page and every dataproxy response."""
    text = text_of(response)
    state = state_of(response)
    list_url = list_url_of(response)
    frags = records(text)
    if not state:  # the column page itself
        init = jpage_init(text, response.url)
        page = page_from_fragments(frags, response.url, list_url, profile)
        if not frags:  # dead proxy: rows are server-rendered /art/ links (Shandong)
            rows_to_page(Selector(text=text).css(profile.list.item), response.url, list_url, profile, page)
        if init is None or not frags:
            page.end_reason = "no_pager" if init is None else "empty_page"
            return page
        _next_request(response, profile, init, len(frags), page)
        return page
    page = page_from_fragments(frags, response.url, list_url, profile)
    m = _TOTAL_XML.search(text)
    if m:
        state["total"] = int(m.group(1))
    if not frags:
        page.end_reason = "empty_page"
        return page
    _next_request(response, profile, state, int(state.get("seen", 0)) + len(frags), page)
    return page
