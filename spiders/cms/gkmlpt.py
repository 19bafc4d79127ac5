"""Guangdong gkmlpt (政府信息公开目录管理平台): the SPA index names the categories, a JSON API lists them.

``/gkmlpt/index`` carries ``window._CONFIG = { SID:'2', TREE:[{id, name, children, jump_url…}] … }``. The
年报 category is ``list.params.category_id`` or the TREE node whose name matches
``list.params.category_name``; its rows come from ``GET <prefix>/gkmlpt/api/all/<cat>?page=<n>&sid=<SID>``
→ ``{"articles":[{title, url, display_publish_time…}], "total": N}``, 100 per page. **Page 0 and page 1
return the same batch** (portals.md §4): a chain that starts at page 0 continues at page 2.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from scrapy.http import Response

from spiders.cms.base import ListPage, ReportCandidate, judge, list_request, list_url_of, over_limit, text_of
from spiders.profiles import PortalProfile

PAGE_SIZE = 100
_BEIJING = dt.timezone(dt.timedelta(hours=8))  # epoch seconds are read as China Standard Time
DEFAULT_CATEGORY = r"政府信息公开年报|信息公开年度报告|工作年度报告|年报"
_SID = re.compile(r"\bSID\s*:\s*['\"]?(\w+)")
_TREE = re.compile(r"\bTREE\s*:\s*(\[)")
_NODE = re.compile(r"['\"]?id['\"]?\s*:\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?name['\"]?\s*:\s*['\"]([^'\"]+)['\"]")


def _balanced(text: str, start: int) -> str:
    depth, in_str, quote, i = 0, False, "", start
    while i < len(text):
        ch = text[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == quote:
                in_str = False
        elif ch in "\"'":
            in_str, quote = True, ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
        i += 1
    return text[start:]


def config_tree(text: str) -> tuple[str | None, list[dict[str, Any]]]:
    """(SID, flat list of TREE nodes ``{id, name, jump_url, depth}``) from the index page."""
    sid = _SID.search(text)
    nodes: list[dict[str, Any]] = []
    m = _TREE.search(text)
    if m:
        raw = _balanced(text, m.start(1))
        try:
            _flatten(json.loads(raw), nodes, 0)
        except ValueError:
            nodes = [{"id": i, "name": n, "jump_url": None, "depth": 0} for i, n in _NODE.findall(raw)]
    return (sid.group(1) if sid else None), nodes


def _flatten(tree: Iterable[dict[str, Any]], out: list[dict[str, Any]], depth: int) -> None:
    for node in tree:
        out.append(
            {
                "id": str(node.get("id")),
                "name": str(node.get("name", "")),
                "jump_url": node.get("jump_url"),
                "depth": depth,
            }
        )
        _flatten(node.get("children") or [], out, depth + 1)


def _api(response: Response, cat: str, page: int, sid: str) -> str:
    base = response.url.split("/gkmlpt/")[0] + "/gkmlpt/"
    return urljoin(base, f"api/all/{cat}?page={page}&sid={sid}")


def _article_date(article: dict[str, Any]) -> dt.date | None:
    for key in ("display_publish_time", "create_time", "created_at", "date"):
        value = article.get(key)
        if isinstance(value, int | float) and value > 0:
            return dt.datetime.fromtimestamp(value, _BEIJING).date()
        if isinstance(value, str) and re.match(r"\d{4}-\d{1,2}-\d{1,2}", value):
            y, mo, d = (int(x) for x in re.findall(r"\d+", value)[:3])
            return dt.date(y, mo, d)
    return None


def parse_index(response: Response, text: str, profile: PortalProfile) -> ListPage:
    params = profile.list.params
    sid_found, nodes = config_tree(text)
    sid = str(params.get("sid") or sid_found or "")
    page = ListPage()
    if params.get("category_id"):
        cats = [str(params["category_id"])]
    else:
        wanted = re.compile(str(params.get("category_name") or DEFAULT_CATEGORY))
        cats, depth_taken = [], None
        for node in nodes:  # top-most matches only: api/all/<cat> includes sub-categories
            if depth_taken is not None and node["depth"] > depth_taken:
                continue
            depth_taken = None
            if wanted.search(node["name"]) and not node["jump_url"]:
                cats.append(node["id"])
                depth_taken = node["depth"]
    if not sid or not cats:
        page.end_reason = "no_category" if sid else "no_sid"
        return page
    for cat in cats:
        page.next_requests.append(
            list_request(
                response, _api(response, cat, 1, sid), profile, page=1, state={"category": cat, "sid": sid}
            )
        )
    return page


def parse_api(response: Response, text: str, profile: PortalProfile) -> ListPage:
    page = ListPage()
    try:
        data = json.loads(text)
    except ValueError:
        page.end_reason = "not_json"
        return page
    articles = data.get("articles") or []
    list_url = list_url_of(response)
    seen: set[str] = set()
    for art in articles:
        url = urljoin(response.url, str(art.get("url") or art.get("post_url") or ""))
        if (not art.get("url") and not art.get("post_url")) or url in seen:
            continue
        seen.add(url)
        verdict = judge(url, str(art.get("title", "")), _article_date(art), list_url, profile)
        (page.candidates if isinstance(verdict, ReportCandidate) else page.rejected).append(verdict)
    query = parse_qs(urlsplit(response.url).query)
    number = max(1, int(query.get("page", ["1"])[0] or 1))  # page 0 is page 1
    sid = query.get("sid", [""])[0]
    cat = urlsplit(response.url).path.rstrip("/").rsplit("/", 1)[-1]
    total = data.get("total")
    if isinstance(total, int):
        page.total_pages = max(1, math.ceil(total / PAGE_SIZE))
    if not articles:
        page.end_reason = "empty_page"
    elif page.total_pages is not None and number >= page.total_pages:
        page.end_reason = "last_page"
    elif over_limit(number + 1, profile):
        page.end_reason = "max_pages"
    else:
        page.next_requests.append(
            list_request(
                response,
                _api(response, cat, number + 1, sid),
                profile,
                page=number + 1,
                state={"category": cat, "sid": sid},
            )
        )
    return page


def parse_list(response: Response, profile: PortalProfile) -> ListPage:
    """Adapter for ``cms: gkmlpt`` — the index SPA page and the ``api/all`` JSON pages."""
    text = text_of(response)
    if "/gkmlpt/api/" in response.url or text.lstrip().startswith("{"):
        return parse_api(response, text, profile)
    return parse_index(response, text, profile)
