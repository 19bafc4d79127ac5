"""The portal spider in one-URL mode: fetch one report page (or file) the way a crawl would.

Why a subclass and not urllib: a spot ``reparse`` of a URL must behave like the crawl that would have
found it — robots.txt, the politeness gate, challenge and encoding middlewares, conditional requests,
then the archive → parse → store pipelines, and the detail page's attachments followed when the page
is only a stub ("详见附件"). So it *is* the portal spider, started at a report page instead of a list:
the URL becomes a `ReportCandidate` of a throw-away profile (`one_url_profile`), which the portal spider
requests as a detail page, or as a file when the URL names one (``.pdf``, ``downfile.jsp``, …).

What the list row would have said is unknown here: the agency and the statistical year come from the
caller (``--agency``, ``--year``) or from the document itself. The items the spider yields are kept on
`SingleUrlSpider.captured`; the pipelines fill them in place (``capture_id``, ``parsed``, …), so the
caller reads what happened to each document after the crawl. A request that fails outright (refused
connection, an error status, DNS) is kept on `SingleUrlSpider.failure` as one line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from spiders.cms.base import ReportCandidate
from spiders.portal import PortalSpider
from spiders.profiles import PortalProfile, profile_from_dict

#: Profile id of one-URL crawls (their crawl runs are recorded under it).
PROFILE_ID = "reparse"


def one_url_profile(url: str) -> PortalProfile:
    """A profile for fetching `url` alone: its host, the house defaults for everything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    return profile_from_dict(
        {
            "id": PROFILE_ID,
            "agency": "(one URL)",  # never stored: items carry the caller's agency (or none)
            "host": parts.netloc,
            "cms": "static",
            "start_urls": [url],
            "status": "unverified",
        },
        source=f"<reparse {url}>",
    )


class SingleUrlSpider(PortalSpider):
    """`PortalSpider` fetching one report URL and its attachments (see the module docstring)."""

    name = "single_url"

    def __init__(
        self,
        url: str,
        agency: str | None = None,
        stat_year: int | None = None,
        profile: PortalProfile | None = None,
        **kwargs: Any,
    ):
        super().__init__(profile=profile or one_url_profile(url), **kwargs)
        self.url = url
        self.agency_hint = agency
        self.year_hint = stat_year
        self.captured: list[dict[str, Any]] = []
        self.failure: str | None = None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # No list page: an empty list_url keeps a page's attachments grouped with it, and makes a URL
        # that names a file a report of its own (the store pipeline's rules for list-linked files).
        candidate = ReportCandidate(
            url=self.url, title="", published_date=None, list_url="", stat_year=self.year_hint
        )
        yield self._candidate_request(candidate).replace(dont_filter=True, errback=self.failed)

    def failed(self, failure: Any) -> None:
        """The target request failed (after retries): keep why, as one line."""
        response = getattr(failure.value, "response", None)
        if response is not None:
            self.failure = f"HTTP {response.status}"
        else:
            self.failure = f"{type(failure.value).__name__}: {failure.value}".strip()

    def _keep(self, out: Any) -> Any:
        if isinstance(out, dict):
            out["agency"] = self.agency_hint
            self.captured.append(out)
        return out

    def parse_detail(self, response: Response, candidate: ReportCandidate | None = None) -> Iterator[Any]:
        for out in super().parse_detail(response, candidate):
            yield self._keep(out)

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        for out in super().parse_attachment(response):
            yield self._keep(out)


__all__ = ["PROFILE_ID", "SingleUrlSpider", "one_url_profile"]
