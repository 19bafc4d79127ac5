"""Hanweb 政府信息公开 module (``/module/xxgk/…``): category tree, ``search.jsp`` paging, annual-report page.

Three response kinds reach this adapter (portals.md §2.5):

1. a column page that embeds the module (iframe or ``loadDynamic('/module/xxgk/tree.jsp…')``) → GET the tree;
2. ``tree.jsp`` — nodes call ``funclick('<infotypeId>', …)`` with the category label as text; the node whose
   label matches ``list.params.category`` (default: 政府信息公开年报) is the 年报 category → POST
   ``search.jsp`` with ``infotypeId``, ``area``, ``jdid``, ``currpage=1``…;
3. ``search.jsp`` fragments — rows in ``div.zfxxgk_list_con ul li`` (current), ``tr.tr_main_value_*`` (old)
   or ``div.zcwj-con-right_list`` (middle generation), page count as ``共N页`` → POST ``currpage+1``.

search.jsp is not column-scoped; ``list.params.column`` keeps only ``art_<column>_`` links.
The per-year ``xxgkAnnualReport.jsp?area=&fbtime=`` pages are full report pages: profiles list them as
``report_urls`` and the spider treats them as detail pages (see `spiders.cms.base` / `report_page`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector
from scrapy.http import Response

from spiders.cms.base import (
    ListPage,
    Rejected,
    ReportCandidate,
    current_page,
    list_request,
    list_url_of,
    over_limit,
    rows_to_page,
    state_of,
    text_of,
)
from spiders.cms.static import page_count
from spiders.profiles import PortalProfile

DEFAULT_CATEGORY = r"政府信息公开年报|信息公开年报|信息公开年度报告|政府信息公开工作年度报告"
DEFAULT_ITEM = (
    "div.zfxxgk_list_con ul li, tr.tr_main_value_odd, tr.tr_main_value_even, div.zcwj-con-right_list > div"
)
_FUNCLICK = re.compile(r"funclick\(\s*['\"]([^'\"]+)['\"]")
_DTREE_ADD = re.compile(
    r"\.add\(\s*[^,]+,\s*[^,]+,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"][^'\"]*funclick\(\s*'([^']+)'"
)
_TREE_LINK = re.compile(r"['\"]([^'\"]*?/module/xxgk/tree\.jsp[^'\"]*)['\"]")


def tree_nodes(text: str) -> list[tuple[str, str]]:
    """(infotypeId, label) of every category node of a tree.jsp response (anchors and dTree ``add`` calls)."""
    nodes: list[tuple[str, str]] = []
    sel = Selector(text=text)
    for a in sel.css("a"):
        handler = (a.attrib.get("href") or "") + " " + (a.attrib.get("onclick") or "")
        m = _FUNCLICK.search(handler)
        if m:
            nodes.append((m.group(1), " ".join(" ".join(a.css("::text").getall()).split())))
    for m in _DTREE_ADD.finditer(text):
        nodes.append((m.group(2), m.group(1)))
    return nodes


def _search_form(profile: PortalProfile, state: dict, currpage: int) -> dict[str, str]:
    params = profile.list.params
    form = {
        "infotypeId": state["infotypeId"],
        "jdid": str(params.get("jdid", state.get("jdid", ""))),
        "area": str(params.get("area", state.get("area", ""))),
        "divid": str(params.get("divid", state.get("divid", "div1"))),
        "vc_title": "",
        "vc_number": "",
        "vc_filenumber": "",
        "vc_all": "",
        "texttype": "",
        "fbtime": str(params.get("fbtime", "-1")),
        "sortfield": str(params.get("sortfield", ",createdatetime:0,orderid:0")),
        "currpage": str(currpage),
    }
    if params.get("standardXxgk") is not None:
        form["standardXxgk"] = str(params["standardXxgk"])
    return form


def _search_request(response: Response, profile: PortalProfile, state: dict, currpage: int):
    return list_request(
        response,
        state["search_url"],
        profile,
        page=currpage,
        state=state,
        method="POST",
        formdata=_search_form(profile, state, currpage),
        ajax=True,
    )


def parse_tree(response: Response, text: str, profile: PortalProfile) -> ListPage:
    """Pick the 年报 category(ies) of a tree.jsp and request their first search page."""
    wanted = re.compile(str(profile.list.params.get("category") or DEFAULT_CATEGORY))
    query = parse_qs(urlsplit(response.url).query)
    page = ListPage()
    seen: set[str] = set()
    for infotype, label in tree_nodes(text):
        if infotype in seen or not wanted.search(label):
            continue
        seen.add(infotype)
        state = {
            "infotypeId": infotype,
            "search_url": urljoin(response.url, "search.jsp"),
            "area": query.get("area", [""])[0],
            "divid": query.get("divid", ["div1"])[0],
        }
        page.next_requests.append(_search_request(response, profile, state, 1))
    if not page.next_requests:
        page.end_reason = "no_category"
    return page


def parse_search(response: Response, text: str, profile: PortalProfile) -> ListPage:
    """Rows of one search.jsp fragment and the next ``currpage`` request."""
    item = profile.list.item if profile.list.item != "li" else DEFAULT_ITEM
    rows = Selector(text=text).css(item)
    page = rows_to_page(rows, response.url, list_url_of(response), profile)
    column = profile.list.params.get("column")
    if column:
        marker = f"art_{column}_"
        page.rejected += [_off_column(c) for c in page.candidates if marker not in c.url]
        page.candidates = [c for c in page.candidates if marker in c.url]
    total = page_count(text)
    page.total_pages = total
    currpage = current_page(response)
    if not rows:
        page.end_reason = "empty_page"
    elif total is not None and currpage >= total:
        page.end_reason = "last_page"
    elif over_limit(currpage + 1, profile):
        page.end_reason = "max_pages"
    else:
        page.next_requests.append(_search_request(response, profile, state_of(response), currpage + 1))
    return page


def _off_column(candidate: ReportCandidate) -> Rejected:
    return Rejected(candidate.url, candidate.title, "other_column")


def parse_list(response: Response, profile: PortalProfile) -> ListPage:
    """Adapter for ``cms: hanweb_xxgk``."""
    text = text_of(response)
    if state_of(response).get("infotypeId"):
        return parse_search(response, text, profile)
    if "funclick" in text:
        return parse_tree(response, text, profile)
    m = _TREE_LINK.search(text)
    if m:
        page = ListPage()
        tree_url = urljoin(response.url, m.group(1).replace("&amp;", "&"))
        page.next_requests.append(list_request(response, tree_url, profile, page=1))
        return page
    # no module markers: a plain list rendered by the module's column template
    rows = Selector(text=text).css(profile.list.item)
    page = rows_to_page(rows, response.url, list_url_of(response), profile)
    page.end_reason = "no_module"
    return page
