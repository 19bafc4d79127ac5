"""TRS WCM ("t-date") lists: static ``index.html``, ``index_1.html`` … with a ``createPageHTML`` pager.

The pager is a script call ``createPageHTML(<pageCount>, <currentIndex>, "index", "html")`` (current
index 0-based); Beijing also has ``createPageHTML(totalRecords, totalPages, currentPage, …)``. Other
count sources (``共N页``, ``countPage=``, the "动静结合" ``recordCount``/``prepage`` of the trsapi lists)
are read by `static.page_count`. Pages past the end are tiny stubs or a meta refresh to ``./`` — both
end the chain (portals.md §3).
"""

from __future__ import annotations

import re

from scrapy.http import Response

from spiders.cms import static
from spiders.cms.base import META_PAGE, ListPage, meta_of, stub_reason, text_of
from spiders.profiles import PortalProfile

_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*(['\"]?)([^,)]*)"
)


def pager(text: str) -> tuple[int, int] | None:
    """(page count, ordinal current page) from ``createPageHTML(...)``; None when absent."""
    m = _CREATE_PAGE.search(text)
    if not m:
        return None
    a, b, quote, third = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4).strip()
    if not quote and third.isdigit():  # (totalRecords, totalPages, currentPage, ...), current 1-based
        return b, max(1, int(third))
    return a, b + 1


def parse_list(response: Response, profile: PortalProfile) -> ListPage:
    """Adapter for ``cms: trs``."""
    reason = stub_reason(response, profile)
    if reason:
        return ListPage(end_reason=reason)
    text = text_of(response)
    page, n_rows = static.parse_html_rows(response, text, profile)
    stated = pager(text)
    if stated:
        total, current = stated
    else:
        total = static.page_count(text)
        current = int(meta_of(response).get(META_PAGE) or static.page_of_url(response.url, profile))
    return static.follow_index_pages(response, profile, page, total, current, n_rows)
