"""The generic portal spider: walks one portal profile and yields captured bytes, never parsed tables.

    scrapy crawl portal -a profile=nb-zh-gov
    scrapy crawl portal -a profile=replica-trs -a profiles_dir=tests/replica/profiles \\
        -a base=http://127.0.0.1:40123 -a base_oss=http://127.0.0.1:40124

Flow: start URLs → list responses → ``FAMILIES[profile.cms]`` adapter (`spiders.cms`) → report
candidates (followed as detail pages) and next list pages; ``report_urls`` templates (one per year of
``filter.years``) are fetched as report pages directly. A detail page yields a ``kind: detail`` item and
requests for its attachments, each of which yields a ``kind: attachment`` item. Items are plain dicts
carrying the response bytes (``body``), ``headers`` (str → list[str]), ``status`` and ``content_type``, so
the archive pipeline can store the bytes before anything interprets them.

An unchanged report page (a 304 to the conditional middleware's request) arrives with the bytes of its
archived capture (`crawler.middlewares.conditional`, "Replay"), so its attachment links are found as
usual; of those, only a report some of whose files the archive lacks (a stub whose attachment failed or
was cut off in an earlier crawl) or holds in no report version (a crawl killed between the file's
archive and its report's store; `crawler.incremental.archived_urls`) has them requested — all of them,
so the store sees the whole report and completes its version (`crawler.pipelines.store`) — and an
unchanged report whose files are all stored costs no file request. The ``attachments`` of such a 304
``detail`` item are the files requested for it (the store waits for those, and only those).

Request meta keys (besides those of `spiders.cms.base`: ``nianbaoku_profile``, ``nianbaoku_role``,
``nianbaoku_list_url``, ``nianbaoku_page``, ``nianbaoku_state``):

``nianbaoku_candidate``  the `ReportCandidate` a detail request was made for
``nianbaoku_attachment`` the `Attachment` an attachment request was made for
``nianbaoku_detail_url`` the detail page an attachment was linked from
``nianbaoku_render``     the profile's ``fetch.render`` mode (for a render/challenge middleware)
``nianbaoku_year``       the statistical year a ``report_urls`` request was expanded for
``dont_obey_robotstxt``  set when the profile says ``fetch.obey_robots: false`` (Scrapy's own key)

Settings read: ``NIANBAOKU_PROFILES_DIR`` (where ``-a profile=<id>`` is looked up; ``-a profiles_dir``
wins), ``NIANBAOKU_PROFILE_DELAY`` (apply ``fetch.delay_s`` as this spider's download delay),
``NIANBAOKU_KNOWN_URLS`` and ``NIANBAOKU_ARCHIVED_URLS`` (the archive's answers, `crawler.incremental`).

Stats: ``nianbaoku/list_pages``, ``nianbaoku/candidates``, ``nianbaoku/rejected/<reason>``,
``nianbaoku/list_end/<reason>``, ``nianbaoku/details``, ``nianbaoku/attachments``,
``nianbaoku/report_page_rejected/<reason>``, ``nianbaoku/not_modified/attachments_missing`` (files an
unchanged page links that the archive lacks) and ``…/attachments_requested``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.misc import load_object
from w3lib.encoding import html_body_declared_encoding

from spiders.cms import FAMILIES
from spiders.cms.base import (
    META_LIST_URL,
    META_PAGE,
    META_PROFILE,
    META_ROLE,
    Rejected,
    ReportCandidate,
    judge,
)
from spiders.detail import Attachment, describe, find_attachments, page_title
from spiders.profiles import PROFILES_DIR, PortalProfile, ProfileError, get_profile

#: Set by `crawler.middlewares.conditional` on a 304 to its conditional request, and when it handed
#: that 304 on with the archived bytes.
META_NOT_MODIFIED = "nianbaoku_not_modified"
META_REPLAYED = "nianbaoku_replayed"
#: Where ``archived(url) -> bool`` comes from when ``NIANBAOKU_ARCHIVED_URLS`` is not set.
ARCHIVED_URLS = "crawler.incremental.archived_urls"

META_CANDIDATE = "nianbaoku_candidate"
META_ATTACHMENT = "nianbaoku_attachment"
META_DETAIL_URL = "nianbaoku_detail_url"
META_RENDER = "nianbaoku_render"
META_YEAR = "nianbaoku_year"

_BASE_ARG = re.compile(r"^base_(\w+)$")


class PortalSpider(scrapy.Spider):
    """One spider for every portal; everything portal-specific comes from its `PortalProfile`."""

    name = "portal"
    #: ``known(url) -> bool`` from ``NIANBAOKU_KNOWN_URLS``: stop paging at a page of known reports.
    known_urls: Callable[[str], bool] | None = None
    #: ``archived(url) -> bool`` from ``NIANBAOKU_ARCHIVED_URLS``: which files an unchanged page still lacks.
    archived_urls: Callable[[str], bool] | None = None

    def __init__(
        self,
        profile: str | PortalProfile | None = None,
        profiles_dir: str | None = None,
        base: str | None = None,
        **kwargs: Any,
    ):
        named = {m.group(1): kwargs.pop(k) for k in list(kwargs) if (m := _BASE_ARG.match(k))}
        super().__init__(**kwargs)
        if profile is None:
            raise ProfileError("<arguments>", "profile", "is required: scrapy crawl portal -a profile=<id>")
        if isinstance(profile, str):
            profile = get_profile(profile, profiles_dir or PROFILES_DIR)
        if base:
            profile = profile.bind(base, **named)
        if not profile.is_bound:
            raise ProfileError(
                profile.source or profile.id,
                "start_urls",
                "has unfilled {base} placeholders: pass -a base=http://host:port",
            )
        if profile.cms not in FAMILIES:
            raise ProfileError(
                profile.source or profile.id,
                "cms",
                f"{profile.cms!r} has no list adapter yet",
                sorted(FAMILIES),
            )
        self.profile = profile
        self.allowed_domains = []  # hosts are policed by the profile's attachment rules, not offsite
        self._seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        configured = crawler.settings.get("NIANBAOKU_PROFILES_DIR")
        if configured and "profiles_dir" not in kwargs:
            kwargs["profiles_dir"] = str(configured)
        spider = super().from_crawler(crawler, *args, **kwargs)
        if crawler.settings.getbool("NIANBAOKU_PROFILE_DELAY", True):
            spider.download_delay = spider.profile.fetch.delay_s
        known = crawler.settings.get("NIANBAOKU_KNOWN_URLS")  # incremental re-crawl (crawler/incremental.py)
        spider.known_urls = load_object(known)(crawler) if known else None
        archived = crawler.settings.get("NIANBAOKU_ARCHIVED_URLS", ARCHIVED_URLS)
        spider.archived_urls = load_object(archived)(crawler) if archived else None
        return spider

    # --- requests ----------------------------------------------------------------------------------

    def _meta(self, role: str, **extra: Any) -> dict[str, Any]:
        meta = {META_PROFILE: self.profile.id, META_ROLE: role, META_RENDER: self.profile.fetch.render}
        meta.update(extra)
        if not self.profile.fetch.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return meta

    def _headers(self, referer: str | None) -> dict[str, str]:
        headers = {}
        for key, value in self.profile.fetch.headers.items():
            if key.lower() == "referer":
                if value == "list" and referer:
                    headers["Referer"] = referer
                elif value != "list":
                    headers["Referer"] = value
            elif key.lower() != "x-requested-with":  # only AJAX list requests carry it (set by adapters)
                headers[key] = value
        return headers

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.profile.start_urls:
            yield scrapy.Request(
                url,
                callback=self.parse,
                dont_filter=True,
                headers=self._headers(None),
                meta=self._meta("list", **{META_LIST_URL: url, META_PAGE: 1}),
            )
        years = self.profile.filter.years
        for template in self.profile.report_urls:
            for year in range(years[1], years[0] - 1, -1) if years else ():
                url = template.replace("{year}", str(year))
                yield scrapy.Request(
                    url,
                    callback=self.parse_report_page,
                    headers=self._headers(None),
                    meta=self._meta("report_page", **{META_LIST_URL: url, META_YEAR: year}),
                )

    def _decorate(self, request: scrapy.Request) -> scrapy.Request:
        """Give an adapter's next-page request the spider's callback, meta and profile headers."""
        meta = {**self._meta("list"), **request.meta}
        headers = {**self._headers(request.meta.get(META_LIST_URL)), **request.headers.to_unicode_dict()}
        return request.replace(callback=self.parse, meta=meta, headers=headers)

    # --- responses ---------------------------------------------------------------------------------

    def decoded(self, response: Response) -> Response:
        """Fix the text encoding before adapters read the page.

        ``fetch.encoding`` wins when set. With ``auto``, a decode that produced replacement characters
        (typically a GBK page served with a lying ``charset=utf-8`` header) is redone with the charset
        the page declares in its own ``<meta>``, else gb18030 (a superset of GB2312/GBK).
        """
        if not isinstance(response, TextResponse):
            return response
        if self.profile.fetch.encoding != "auto":
            return response.replace(encoding=self.profile.fetch.encoding)
        if "\ufffd" not in response.text:
            return response
        declared = html_body_declared_encoding(response.body)
        for encoding in (declared, "gb18030"):
            if encoding and encoding.lower() != response.encoding.lower():
                fixed = response.replace(encoding=encoding)
                if "\ufffd" not in fixed.text:
                    self.crawler.stats.inc_value(f"nianbaoku/encoding_fixed/{fixed.encoding}")
                    return fixed
        return response

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A list response: run the family adapter, follow candidates and next pages."""
        stats = self.crawler.stats
        response = self.decoded(response)
        page = FAMILIES[self.profile.cms](response, self.profile)
        stats.inc_value("nianbaoku/list_pages")
        for rejected in page.rejected:
            stats.inc_value(f"nianbaoku/rejected/{rejected.reason}")
        if page.end_reason:
            stats.inc_value(f"nianbaoku/list_end/{page.end_reason}")
        new = [c for c in page.candidates if c.url not in self._seen]
        if page.candidates and not new and "all_seen" in self.profile.pagination.stop_when:
            stats.inc_value("nianbaoku/list_end/all_seen")
            return
        for candidate in new:
            self._seen.add(candidate.url)
            stats.inc_value("nianbaoku/candidates")
            yield self._candidate_request(candidate)
        known = self.known_urls
        if known is not None and page.candidates and all(known(c.url) for c in page.candidates):
            stats.inc_value("nianbaoku/list_end/all_known")  # older pages are archived already
            return
        for request in page.next_requests:
            yield self._decorate(request)

    def _candidate_request(self, candidate: ReportCandidate) -> scrapy.Request:
        as_file = describe(candidate.url, "", self.profile)
        if as_file is not None and as_file.ext:  # the list links the report file directly
            return self._attachment_request(as_file, candidate, detail_url=candidate.list_url)
        return scrapy.Request(
            candidate.url,
            callback=self.parse_detail,
            headers=self._headers(candidate.list_url),
            meta=self._meta("detail", **{META_CANDIDATE: candidate, META_LIST_URL: candidate.list_url}),
        )

    def _attachment_request(
        self, attachment: Attachment, candidate: ReportCandidate, detail_url: str
    ) -> scrapy.Request:
        return scrapy.Request(
            attachment.url,
            callback=self.parse_attachment,
            priority=10,
            headers={**self._headers(None), "Referer": detail_url},
            meta=self._meta(
                "attachment",
                **{
                    META_ATTACHMENT: attachment,
                    META_CANDIDATE: candidate,
                    META_DETAIL_URL: detail_url,
                    META_LIST_URL: candidate.list_url,
                },
            ),
        )

    def parse_detail(self, response: Response, candidate: ReportCandidate | None = None) -> Iterator[Any]:
        """A report page: one ``detail`` item with its bytes, then its attachments."""
        response = self.decoded(response)
        candidate = candidate or response.meta[META_CANDIDATE]
        attachments = find_attachments(response, self.profile) if isinstance(response, TextResponse) else []
        if response.meta.get(META_NOT_MODIFIED):
            attachments = self._still_due(attachments)
        self.crawler.stats.inc_value("nianbaoku/details")
        yield {
            "kind": "detail",
            "profile": self.profile.id,
            "agency": self.profile.agency,
            "url": response.url,
            "title": candidate.title,
            "list_url": candidate.list_url,
            "published_date": candidate.published_date.isoformat() if candidate.published_date else None,
            "stat_year": candidate.stat_year,
            "attachments": [{"url": a.url, "filename": a.filename, "ext": a.ext} for a in attachments],
            **_capture(response),
        }
        if self.profile.attachments.fetch_immediately:
            for attachment in attachments:
                yield self._attachment_request(attachment, candidate, detail_url=response.url)

    def _still_due(self, attachments: list[Attachment]) -> list[Attachment]:
        """The files of an unchanged page to fetch: none when the archive holds them all, else all.

        All, not only the missing ones: the store compares the whole report with its current version,
        and a group made of the page and only the late file would look like a report that lost its
        other files (a revision). The archived ones go out conditionally and come back as 304s.
        Without an archive to ask (``archived_urls`` None) every file is due, conditionally.
        """
        if not attachments or self.archived_urls is None:
            return attachments
        missing = sum(1 for a in attachments if not self.archived_urls(a.url))
        if not missing:
            return []
        stats = self.crawler.stats
        stats.inc_value("nianbaoku/not_modified/attachments_missing", missing)
        stats.inc_value("nianbaoku/not_modified/attachments_requested", len(attachments))
        return attachments

    def parse_report_page(self, response: Response) -> Iterator[Any]:
        """A ``report_urls`` page (``xxgkAnnualReport.jsp?fbtime=Y``): a detail if its title is a report."""
        response = self.decoded(response)
        title = page_title(response) if isinstance(response, TextResponse) else ""
        verdict = judge(response.url, title, None, response.url, self.profile)
        wanted = response.meta.get(META_YEAR)
        if isinstance(verdict, ReportCandidate) and wanted is not None and verdict.stat_year != wanted:
            # an endpoint answering a year it has no report for with a generic page (or another year's)
            verdict = Rejected(response.url, title, "year_mismatch")
        if not isinstance(verdict, ReportCandidate):
            self.crawler.stats.inc_value(f"nianbaoku/report_page_rejected/{verdict.reason}")
            return
        self._seen.add(response.url)
        yield from self.parse_detail(response, candidate=verdict)

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        """An attachment file: one ``attachment`` item with its bytes."""
        attachment: Attachment = response.meta[META_ATTACHMENT]
        candidate: ReportCandidate = response.meta[META_CANDIDATE]
        self.crawler.stats.inc_value("nianbaoku/attachments")
        yield {
            "kind": "attachment",
            "profile": self.profile.id,
            "agency": self.profile.agency,
            "url": response.url,
            "filename": attachment.filename,
            "ext": attachment.ext,
            "detail_url": response.meta.get(META_DETAIL_URL),
            "title": candidate.title,
            "list_url": candidate.list_url,
            "stat_year": candidate.stat_year,
            **_capture(response),
        }


def _capture(response: Response) -> dict[str, Any]:
    headers = {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()}
    content_type = response.headers.get(b"Content-Type")
    return {
        "status": response.status,
        "content_type": content_type.decode("latin-1") if content_type else None,
        "headers": headers,
        # a replayed 304 carries the archived bytes for its links only: they are in the archive already
        "body": b"" if response.meta.get(META_REPLAYED) else response.body,
        # a 304 to a conditional request (crawler/middlewares/conditional.py): the old capture stands
        "not_modified": bool(response.meta.get(META_NOT_MODIFIED)),
        "previous_sha256": response.meta.get("nianbaoku_previous_sha256"),
    }


__all__ = ["META_ATTACHMENT", "META_CANDIDATE", "META_DETAIL_URL", "META_RENDER", "META_YEAR", "PortalSpider"]
