"""Spider middleware: list pages become captures too, and error answers reach the crawl run.

The portal spider yields capture items for detail pages and attachments; `CaptureMiddleware` adds one for
every list response it hands the spider (``kind: list``) and for a ``report_urls`` page the spider did
not take as a report (``kind: other``), so *every* response of a crawl is archived (architecture.md:
bytes before interpretation) — a list page is evidence of what a portal listed on a day, and the input a
broken list adapter can be re-run on. The spider stays unaware (no store, no extra callbacks).

It also sees the `HttpError` of a page the portal answered with an error status (404, 500 after
retries…), which Scrapy otherwise only logs, and records ``http:<status>`` with the URL for the crawl run.

Order (``SPIDER_MIDDLEWARES``): above Scrapy's HttpErrorMiddleware (50), so it sees the error first.
Settings: ``NIANBAOKU_LIST_CAPTURES_ENABLED`` (False: `NotConfigured`).
Stats: ``nianbaoku/captured/<kind>``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.pipelines import record_error

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

META_ROLE = "nianbaoku_role"


def capture_item(response: Response, kind: str) -> dict[str, Any]:
    """A capture item of `response` in the portal spider's shape (``kind``, ``url``, bytes, HTTP context)."""
    headers = {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()}
    content_type = response.headers.get(b"Content-Type")
    return {
        "kind": kind,
        "profile": response.meta.get("nianbaoku_profile"),
        "url": response.url,
        "status": response.status,
        "content_type": content_type.decode("latin-1") if content_type else None,
        "headers": headers,
        "body": response.body,
    }


class CaptureMiddleware:
    """Spider middleware adding list-page captures and recording error answers; see module docstring."""

    def __init__(self, stats: StatsCollector | None = None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAOKU_LIST_CAPTURES_ENABLED", True):
            raise NotConfigured("NIANBAOKU_LIST_CAPTURES_ENABLED is False")
        return cls(crawler.stats)

    def _kind(self, response: Response) -> str | None:
        role = response.meta.get(META_ROLE)
        return "list" if role == "list" else "other" if role == "report_page" else None

    def _own(self, response: Response, kind: str) -> dict[str, Any]:
        if self.stats is not None:
            self.stats.inc_value(f"nianbaoku/captured/{kind}")
        return capture_item(response, kind)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        kind = self._kind(response)
        if kind == "list":
            yield self._own(response, kind)
            yield from result
        elif kind == "other":
            out = list(result)
            if not any(isinstance(o, dict) and o.get("url") == response.url for o in out):
                yield self._own(response, kind)
            yield from out
        else:
            yield from result

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        kind = self._kind(response)
        if kind == "other":
            out = [o async for o in result]
            if not any(isinstance(o, dict) and o.get("url") == response.url for o in out):
                yield self._own(response, kind)
            for o in out:
                yield o
            return
        if kind == "list":
            yield self._own(response, kind)
        async for o in result:
            yield o

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        if isinstance(exception, HttpError):
            meta = response.request.meta if response.request is not None else {}
            role = {"role": meta[META_ROLE]} if meta.get(META_ROLE) else {}
            record_error(self.stats, response.url, f"http:{response.status}", **role)
        return None


__all__ = ["CaptureMiddleware", "capture_item"]
