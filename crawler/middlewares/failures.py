"""Put download failures on the crawl run: what failed, at which URL, and why.

Scrapy logs a download that failed for good (timeouts, connection resets, truncated bodies, a response
over ``DOWNLOAD_MAXSIZE``) and a redirect loop it gave up on, but neither reaches the crawl run. These two
middlewares add them as error entries (`crawler.pipelines.record_error`), so a crawl that finished
still says which pages it could not get:

- `DownloadFailureRecorder` (545, below Retry at 550, so it sees only what Retry gave up on):
  ``download:<kind>`` with the exception's message; `classify` names the kind (``timeout``,
  ``connection_lost``, ``truncated``, ``too_large``, ``dns``, ``refused``, else the exception class).
  Requests *dropped on purpose* (`IgnoreRequest`: robots.txt, an open circuit) are not failures here.
- `RedirectLoopRecorder` (605, between Redirect at 600 and the politeness gate): a redirect answer to a
  request that already followed ``REDIRECT_MAX_TIMES`` redirects is ``download:redirect_loop``.

Stats: ``nianbaoku/download_failed/<kind>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

from crawler.middlewares.conditional import META_ROLE  # the portal spider's request role
from crawler.pipelines import record_error

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def classify(exception: BaseException) -> str:
    """A short, stable name for why a download failed."""
    name = type(exception).__name__
    text = str(exception)
    if "max size" in text or "larger than download max size" in text:
        return "too_large"
    if "timeout" in name.lower() or "took longer than" in text:
        return "timeout"
    if "DataLoss" in name or "PotentialDataLoss" in text or "data loss" in text.lower():
        return "truncated"  # fewer bytes than Content-Length said (or a reset mid-body)
    if any(w in name or w in text for w in ("ConnectionLost", "ResponseNeverReceived", "ConnectionDone")):
        return "connection_lost"
    if "connection reset" in text.lower():
        return "connection_lost"
    if "DNSLookupError" in name:
        return "dns"
    if "ConnectionRefused" in name:
        return "refused"
    return name


class DownloadFailureRecorder:
    """Downloader middleware: a download failed for good → ``download:<kind>`` on the crawl run."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest):
            return None
        kind = classify(exception)
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"nianbaoku/download_failed/{kind}")
        reason = f"{type(exception).__name__}: {exception}"[:500]
        role = {"role": request.meta[META_ROLE]} if request.meta.get(META_ROLE) else {}
        record_error(stats, request.url, f"download:{kind}", reason=reason, **role)
        return None


class RedirectLoopRecorder:
    """Downloader middleware: the redirect Scrapy will refuse to follow → ``download:redirect_loop``."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status in REDIRECT_STATUSES and request.meta.get("redirect_times", 0) >= self.max_times:
            stats = self.crawler.stats
            if stats is not None:
                stats.inc_value("nianbaoku/download_failed/redirect_loop")
            chain = request.meta.get("redirect_urls") or []
            record_error(stats, (chain[0] if chain else request.url), "download:redirect_loop",
                         reason=f"still redirecting after {self.max_times} redirects (last: {request.url})")
        return response


__all__ = ["DownloadFailureRecorder", "RedirectLoopRecorder", "classify"]
