"""Shanghai portal lists: ``/nw<N>/index.html`` then ``index_2.html`` … (1-based), with the count in
``$(".pagination").pagination({ totalPage: N, … })``.

The templates leave **commented-out duplicate rows** in the HTML (portals.md §6); comments are
stripped before the rows are read so a row never counts twice or resurrects a withdrawn item.
"""

from __future__ import annotations

import dataclasses
import re

from scrapy.http import Response

from spiders.cms import static
from spiders.cms.base import META_PAGE, ListPage, meta_of, stub_reason, text_of
from spiders.profiles import PortalProfile

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TOTAL = re.compile(r"pagination\(\s*\{[^}]*?totalPage\s*:\s*['\"]?(\d+)", re.S)


def parse_list(response: Response, profile: PortalProfile) -> ListPage:
    """Adapter for ``cms: shanghai`` (pagination is always 1-based here)."""
    if profile.pagination.kind == "index_n":
        profile = dataclasses.replace(
            profile, pagination=dataclasses.replace(profile.pagination, kind="index_n_1based")
        )
    reason = stub_reason(response, profile)
    if reason:
        return ListPage(end_reason=reason)
    raw = text_of(response)
    m = _TOTAL.search(raw)
    total = int(m.group(1)) if m else static.page_count(raw)
    text = _COMMENT.sub("", raw)
    page, n_rows = static.parse_html_rows(response, text, profile)
    current = int(meta_of(response).get(META_PAGE) or static.page_of_url(response.url, profile))
    return static.follow_index_pages(response, profile, page, total, current, n_rows)
