"""Plain server-rendered lists (and NFCMS columns): rows in the HTML, pages at ``index_N.html``.

Also the shared ``index_N`` pager of the TRS and Shanghai adapters. Page numbers here are ordinal
(``1`` = ``index.html``); TRS numbers files from 0 (page 2 = ``index_1.html``, pagination kind
``index_n``), Shanghai and many static sites from 1 (page 2 = ``index_2.html``, ``index_n_1based``).

End of paging, in order: a stub/meta-refresh response (`stub_reason`), the stated page count, an
empty page (no rows at all), ``pagination.max_pages``.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy.http import Response

from spiders.cms.base import (
    META_PAGE,
    ListPage,
    list_request,
    list_url_of,
    meta_of,
    over_limit,
    rows_in,
    rows_to_page,
    stub_reason,
    text_of,
)
from spiders.profiles import PortalProfile

_TOTAL_PATTERNS = (
    re.compile(r"共\s*(\d+)\s*页"),
    re.compile(r"\bcountPage\s*=\s*['\"]?(\d+)"),
    re.compile(r"\btotalPage\s*[=:]\s*['\"]?(\d+)"),
)
_RECORD_COUNT = re.compile(r"recordCount\s*[:=]\s*['\"]?(\d+)")
_PER_PAGE = re.compile(r"\bprepage\s*[:=]\s*['\"]?(\d+)", re.I)
_INDEX_N = re.compile(r"index_(\d+)\.\w+$")


def page_count(text: str) -> int | None:
    """Page count stated anywhere in a list page (``共N页``, ``countPage=``, ``totalPage:``,
    TRS ``recordCount``/``prepage``); None when the page does not say."""
    for pattern in _TOTAL_PATTERNS:
        m = pattern.search(text)
        if m:
            return int(m.group(1))
    rc, pp = _RECORD_COUNT.search(text), _PER_PAGE.search(text)
    if rc and pp and int(pp.group(1)) > 0:
        return max(1, math.ceil(int(rc.group(1)) / int(pp.group(1))))
    return None


def one_based(profile: PortalProfile) -> bool:
    return profile.pagination.kind == "index_n_1based"


def page_of_url(url: str, profile: PortalProfile) -> int:
    """Ordinal page of an ``index[_N].html`` URL."""
    m = _INDEX_N.search(urlsplit(url).path)
    if not m:
        return 1
    n = int(m.group(1))
    return n if one_based(profile) else n + 1


def index_url(url: str, page: int, profile: PortalProfile) -> str:
    """URL of ordinal ``page`` next to ``url`` (the column directory or any of its index files)."""
    if page == 1:
        return urljoin(url, "index.html")
    n = page if one_based(profile) else page - 1
    ext = "html"
    m = re.search(r"index(?:_\d+)?\.(\w+)$", urlsplit(url).path)
    if m:
        ext = m.group(1)
    return urljoin(url, f"index_{n}.{ext}")


def follow_index_pages(
    response: Response,
    profile: PortalProfile,
    page: ListPage,
    total: int | None,
    current: int,
    rows_seen: int,
) -> ListPage:
    """Add the next ``index_N`` request to ``page`` unless the end of the list is reached."""
    page.total_pages = total
    if profile.pagination.kind not in ("index_n", "index_n_1based"):
        page.end_reason = "no_pagination"
        return page
    nxt = current + 1
    if total is not None and nxt > total:
        page.end_reason = "last_page"
    elif total is None and rows_seen == 0:
        page.end_reason = "empty_page"
    elif over_limit(nxt, profile):
        page.end_reason = "max_pages"
    else:
        page.next_requests.append(
            list_request(response, index_url(response.url, nxt, profile), profile, page=nxt)
        )
    return page


def parse_html_rows(response: Response, text: str, profile: PortalProfile) -> tuple[ListPage, int]:
    """Candidates of a server-rendered list page, plus how many rows it had (0 = empty page)."""
    rows = Selector(text=text).css(profile.list.item)
    page = rows_to_page(rows, response.url, list_url_of(response), profile)
    return page, len(rows)


def parse_list(response: Response, profile: PortalProfile) -> ListPage:
    """Adapter for ``cms: static`` and ``cms: nfcms`` list pages."""
    reason = stub_reason(response, profile)
    if reason:
        return ListPage(end_reason=reason)
    text = text_of(response)
    page, n_rows = parse_html_rows(response, text, profile)
    current = int(meta_of(response).get(META_PAGE) or page_of_url(response.url, profile))
    return follow_index_pages(response, profile, page, page_count(text), current, n_rows)


__all__ = ["follow_index_pages", "index_url", "page_count", "page_of_url", "parse_list", "rows_in"]
