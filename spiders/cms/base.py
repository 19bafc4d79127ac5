"""Shared shapes and helpers of the CMS-family list adapters.

Every adapter in `spiders/cms/` is a plain function ``parse_list(response, profile) -> ListPage``, like
Scrapy's ``get_retry_request``: no spider state, no network, callable from a test with a hand-made
response. This module holds what they share: the result types, row → candidate conversion (title
filter, date and statistical-year rules of portals.md §0/§10) and the list-request builder that puts
the documented meta keys on every next-page request.

Request meta keys set here (read by `spiders/portal.py` and by adapters on the next page):

``nianbaoku_profile``  profile id the request belongs to
``nianbaoku_role``     ``list`` | ``detail`` | ``attachment`` | ``report_page`` (what the response is)
``nianbaoku_list_url`` the column page the chain started from (the Referer of detail requests)
``nianbaoku_page``     1-based list page (or record group) number of this request
``nianbaoku_state``    adapter-private dict carried from one list page to the next (proxy params, totals)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from spiders.profiles import PortalProfile

META_PROFILE = "nianbaoku_profile"
META_ROLE = "nianbaoku_role"
META_LIST_URL = "nianbaoku_list_url"
META_PAGE = "nianbaoku_page"
META_STATE = "nianbaoku_state"


@dataclass(frozen=True)
class ReportCandidate:
    """A list row that looks like an annual report: where it is and what the list says about it."""

    url: str
    title: str
    published_date: dt.date | None
    list_url: str
    stat_year: int | None


@dataclass(frozen=True)
class Rejected:
    """A list row that was *not* taken, with the reason (``title_exclude``, ``not_a_report``, ``year``…)."""

    url: str
    title: str
    reason: str


@dataclass
class ListPage:
    """What one list response yields: report candidates, requests for further list pages, and the page
    count when the pager states it (None when unknown)."""

    candidates: list[ReportCandidate] = field(default_factory=list)
    next_requests: list[scrapy.Request] = field(default_factory=list)
    total_pages: int | None = None
    rejected: list[Rejected] = field(default_factory=list)
    #: Why paging stopped here (``stub``, ``meta_refresh``, ``empty_page``, ``last_page``, ``max_pages``)
    end_reason: str | None = None


# --- titles, dates, years ----------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_VARIANT = re.compile(r"[（(](图片版|文字版|超链版|修订版|全文版|PDF版|pdf版)[)）]")
_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_URL_DATES = (
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_"),
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/"),
    re.compile(r"/((?:19|20)\d{2})-(\d{2})-(\d{2})/"),
)


def clean_text(text: str | None) -> str:
    """Collapse whitespace (incl. full-width spaces) — titles come split over lines and padded."""
    return _SPACE.sub(" ", (text or "").replace("\u3000", " ")).strip()


def parse_date(text: str | None) -> dt.date | None:
    """First plausible ``YYYY-M-D`` date in ``text``.

    Tolerant of dates split over lines (``2026-\\n01-\\n23``) and 年/月
    separators, but never reads an index number such as ``2026-02-00018`` as a date."""
    if not text:
        return None
    for m in _DATE.finditer(text):
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
    return None


def date_from_url(url: str) -> dt.date | None:
    """Publish date encoded in the article path (``/art/Y/M/D/``, ``tYYYYMMDD_``, ``/YYYYMMDD/``)."""
    for pattern in _URL_DATES:
        m = pattern.search(url)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    return None


def stat_year(title: str, published: dt.date | None, profile: PortalProfile) -> int | None:
    """The report's statistical year: from the title (portals.md §0), else publish year − 1."""
    m = profile.filter.year_re.search(_VARIANT.sub("", title))
    if m:
        return int(m.group(1))
    return published.year - 1 if published else None


def title_verdict(title: str, profile: PortalProfile) -> str | None:
    """None when the title reads as an annual report; else the rejection reason."""
    if not title:
        return "no_title"
    if profile.filter.exclude_re is not None and profile.filter.exclude_re.search(title):
        return "title_exclude"
    if not profile.filter.include_re.search(title):
        return "not_a_report"
    return None


def judge(
    url: str, title: str, published: dt.date | None, list_url: str, profile: PortalProfile
) -> ReportCandidate | Rejected:
    """Apply title and year rules to one row: a `ReportCandidate` or a `Rejected` with the reason."""
    title = clean_text(title)
    reason = title_verdict(title, profile)
    if reason:
        return Rejected(url, title, reason)
    published = published or date_from_url(url)
    year = stat_year(title, published, profile)
    years = profile.filter.years
    if years and year is not None and not years[0] <= year <= years[1]:
        return Rejected(url, title, "year")
    return ReportCandidate(url=url, title=title, published_date=published, list_url=list_url, stat_year=year)


# --- rows -------------------------------------------------------------------------------------------


def first_value(sel: Selector, queries: Iterable[str]) -> str:
    """First non-empty result of several CSS queries (``::attr()``/``::text`` allowed)."""
    for query in queries:
        value = clean_text(" ".join(sel.css(query).getall()))
        if value:
            return value
    return ""


def row_link(row: Selector, profile: PortalProfile, base_url: str) -> tuple[str, Selector | None]:
    """The row's report link (absolute) and its anchor; with ``list.link_regex`` the first matching one."""
    pattern = re.compile(profile.list.link_regex) if profile.list.link_regex else None
    for a in row.css("a[href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base_url, href)
        if pattern is None or pattern.search(href) or pattern.search(url):
            return url, a
        continue
    return "", None


def rows_to_page(
    rows: Iterable[Selector],
    base_url: str,
    list_url: str,
    profile: PortalProfile,
    page: ListPage | None = None,
) -> ListPage:
    """Turn row selectors into candidates/rejections on ``page`` (deduplicated by URL)."""
    page = page or ListPage()
    seen = {c.url for c in page.candidates} | {r.url for r in page.rejected}
    for row in rows:
        url, anchor = row_link(row, profile, base_url)
        if not url or url in seen:
            continue
        seen.add(url)
        title = first_value(anchor, ("::attr(title)",)) or first_value(row, profile.list.title)
        if not title or title.endswith(("…", "...")):
            title = first_value(anchor, ("::attr(title)", "::text")) or title
        date_text = first_value(row, profile.list.date)
        published = parse_date(date_text) or parse_date(_row_text_without(row, anchor))
        verdict = judge(url, title, published, list_url, profile)
        (page.candidates if isinstance(verdict, ReportCandidate) else page.rejected).append(verdict)
    return page


def _row_text_without(row: Selector, anchor: Selector | None) -> str:
    text = " ".join(row.css("::text").getall())
    if anchor is not None:
        for t in anchor.css("::text").getall():
            text = text.replace(t, " ", 1)
    return text


def rows_in(sel: Selector, item_css: str) -> list[Selector]:
    """Rows of a list fragment: the ``list.item`` matches, or the whole fragment when it *is* one row."""
    rows = sel.css(item_css)
    return list(rows) if rows else [sel]


def fragment(html: str) -> Selector:
    """A selector over an HTML fragment (a jpage record, a JSON ``html`` payload)."""
    return Selector(text=html or "<html></html>", type="html")


def page_from_fragments(
    fragments: Iterable[str], base_url: str, list_url: str, profile: PortalProfile
) -> ListPage:
    """Candidates from a sequence of HTML fragments, each holding one or more rows."""
    page = ListPage()
    for html in fragments:
        rows_to_page(rows_in(fragment(html), profile.list.item), base_url, list_url, profile, page)
    return page


# --- the end of paging ----------------------------------------------------------------------------

_META_REFRESH = re.compile(rb"<meta[^>]+http-equiv=[\"']?refresh", re.I)


def stub_reason(response: Response, profile: PortalProfile) -> str | None:
    """``stub``/``meta_refresh`` when a list response is a beyond-the-end placeholder (portals.md §3)."""
    stop = profile.pagination.stop_when
    if "meta_refresh" in stop and _META_REFRESH.search(response.body[:4096]):
        return "meta_refresh"
    if "stub_under_bytes" in stop and len(response.body) < profile.pagination.stub_under_bytes:
        return "stub"
    return None


def meta_of(response: Response) -> Mapping[str, Any]:
    """``response.meta``, or an empty mapping for a response built without a request (tests, tools)."""
    return response.request.meta if response.request is not None else {}


def list_url_of(response: Response) -> str:
    """The column page this chain started from (carried in meta), else the response URL itself."""
    return meta_of(response).get(META_LIST_URL) or response.url


def current_page(response: Response, default: int = 1) -> int:
    return int(meta_of(response).get(META_PAGE) or default)


def state_of(response: Response) -> dict[str, Any]:
    return dict(meta_of(response).get(META_STATE) or {})


def list_request(
    response: Response,
    url: str,
    profile: PortalProfile,
    *,
    page: int,
    state: Mapping[str, Any] | None = None,
    method: str = "GET",
    formdata: Mapping[str, Any] | None = None,
    ajax: bool = False,
) -> scrapy.Request:
    """A next-page request carrying the chain's meta; the spider routes it back to the list callback.

    Referer is the column page (some Hanweb proxies refuse requests without it); ``ajax`` adds the
    headers real browsers send to dataproxy/search endpoints.
    """
    list_url = list_url_of(response)
    headers = {"Referer": list_url}
    if ajax:
        headers["X-Requested-With"] = "XMLHttpRequest"
        parts = urlsplit(list_url)
        headers["Origin"] = f"{parts.scheme}://{parts.netloc}"
    meta = {
        META_PROFILE: profile.id,
        META_ROLE: "list",
        META_LIST_URL: list_url,
        META_PAGE: page,
        META_STATE: dict(state or {}),
    }
    if formdata is not None:
        return scrapy.FormRequest(
            url, method=method, formdata={k: str(v) for k, v in formdata.items()}, headers=headers, meta=meta
        )
    return scrapy.Request(url, method=method, headers=headers, meta=meta)


def over_limit(page: int, profile: PortalProfile) -> bool:
    """True when requesting ``page`` would exceed ``pagination.max_pages``."""
    return page > profile.pagination.max_pages


def text_of(response: Response) -> str:
    """Decoded body; non-text responses (e.g. a JSON API served as octet-stream) are decoded as UTF-8."""
    if isinstance(response, TextResponse):
        return response.text
    return response.body.decode("utf-8", errors="replace")
