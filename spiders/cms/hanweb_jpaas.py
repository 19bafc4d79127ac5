"""Hanweb JPaaS (the 2024→ Zhejiang platform, many ministries): list rows from the "unit" JSON API.

A column page names the API in a script tag (portals.md §2.6)::

    <script src="/AuthorizedRead/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
            queryData="{'webId':'3185','pageId':'<col>','tagId':'信息列表','tplSetId':'…'}">

and a pager element with ``count="386" rows="15"``. The API is
``GET <url>?parseType=bulidstatic&webId&tplSetId&pageType=column&tagId&editType=null&pageId&paramJson=
{"pageNo":N,"pageSize":P}`` (sic ``bulidstatic``); paging works **only** inside ``paramJson``. It answers
``{"success":true,"data":{"html":"<ul><li>…</li></ul>"}}``; an empty ``html`` ends the chain. Small
columns render all rows statically and need no API call.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import urlencode, urljoin

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

_PAIR = re.compile(r"['\"](\w+)['\"]\s*:\s*['\"]([^'\"]*)['\"]")


def query_data(raw: str) -> dict[str, str]:
    """The single-quoted pseudo-JSON of a ``queryData`` attribute as a dict."""
    try:
        data = json.loads(raw.replace("'", '"'))
        return {str(k): str(v) for k, v in data.items()}
    except (ValueError, AttributeError):
        return dict(_PAIR.findall(raw))


def unit_config(text: str, page_url: str) -> dict[str, Any] | None:
    """API URL, query fields and pager numbers of a JPaaS column page; None if it is not one."""
    sel = Selector(text=text)
    script = sel.css("script[src*=unitbuild]")
    if not script:
        return None
    attrs = script[0].attrib  # lxml lower-cases attribute names: queryData -> querydata
    pager = sel.css("[count][rows]")
    rows = int(pager[0].attrib["rows"]) if pager and pager[0].attrib["rows"].isdigit() else None
    count = int(pager[0].attrib["count"]) if pager and pager[0].attrib["count"].isdigit() else None
    return {
        "api": urljoin(page_url, attrs.get("url", "/api-gateway/jpaas-publish-server/front/page/build/unit")),
        "query": query_data(attrs.get("querydata", "{}")),
        "rows": rows,
        "count": count,
    }


def api_url(state: dict[str, Any], page_no: int, page_size: int) -> str:
    q = state["query"]
    params = {
        "parseType": "bulidstatic",
        "webId": q.get("webId", ""),
        "tplSetId": q.get("tplSetId", ""),
        "pageType": "column",
        "tagId": q.get("tagId", ""),
        "editType": "null",
        "pageId": q.get("pageId", ""),
        "paramJson": json.dumps({"pageNo": page_no, "pageSize": page_size}, separators=(",", ":")),
    }
    return f"{state['api']}?{urlencode(params)}"


def _follow(
    response: Response, profile: PortalProfile, state: dict[str, Any], page: ListPage, page_no: int
) -> None:
    size = state["rows"] or profile.pagination.page_size or 15
    if state.get("count") is not None:
        page.total_pages = max(1, math.ceil(state["count"] / size))
        if page_no > page.total_pages:
            page.end_reason = "last_page"
            return
    if over_limit(page_no, profile):
        page.end_reason = "max_pages"
        return
    page.next_requests.append(
        list_request(response, api_url(state, page_no, size), profile, page=page_no, state=state, ajax=True)
    )


def parse_list(response: Response, profile: PortalProfile) -> ListPage:
    """Adapter for ``cms: hanweb_jpaas`` — column pages and unit-API JSON responses."""
    text = text_of(response)
    state = state_of(response)
    list_url = list_url_of(response)
    if state.get("api"):
        try:
            html = (json.loads(text).get("data") or {}).get("html") or ""
        except (ValueError, AttributeError):
            html = ""
        page = page_from_fragments([html], response.url, list_url, profile)
        if not Selector(text=html or "<p/>").css(profile.list.item):
            page.end_reason = "empty_page"
            return page
        _follow(response, profile, state, page, current_page(response) + 1)
        return page
    page = rows_to_page(Selector(text=text).css(profile.list.item), response.url, list_url, profile)
    config = unit_config(text, response.url)
    if config is None:
        page.end_reason = "no_unit_api"
        return page
    static_rows = len(page.candidates) + len(page.rejected)
    # static rows are page 1; an empty static list means page 1 also comes from the API
    _follow(response, profile, config, page, 2 if static_rows else 1)
    return page
