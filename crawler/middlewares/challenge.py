"""Challenge pages never reach the spider: classify every response, count it, record it, stop.

A WAF or anti-bot page (瑞数 412, 加速乐 521, a 200 saying 访问异常 …, see portals.md §11) is not content.
Passed on, it would be archived and parsed as a report, or its links followed; retried, it only
escalates the block. So `ChallengeMiddleware` runs `parsers.challenge.classify_challenge` on each
response and, for a challenge:

- counts it (``nianbaoku/challenge/<kind>``) and sends the `challenge_detected` signal, which the
  circuit breaker of `crawler.middlewares.politeness` listens to;
- if the kind means "slower" rather than "no" (``rate429``, see ``NIANBAOKU_CHALLENGE_RETRY_KINDS``)
  and the request still has retries left (Scrapy's ``RETRY_TIMES`` / ``max_retry_times`` meta),
  returns a retry — the politeness gate holds it until the host's Retry-After or back-off has passed;
- otherwise raises `BlockedByChallenge` (an `IgnoreRequest`: Scrapy drops it quietly, the spider never
  sees the page), counts ``nianbaoku/blocked/<kind>`` and appends ``(url, kind)`` to the run's ledger,
  read with `blocked_pages(crawler.stats)`. The crawl run reports these as ``blocked:<kind>``.

Settings: ``NIANBAOKU_CHALLENGE_ENABLED``, ``NIANBAOKU_CHALLENGE_RETRY_KINDS``,
``NIANBAOKU_CHALLENGE_LEDGER_MAX`` (see crawler/settings.py). ``RETRY_TIMES`` bounds the retries.

Request meta keys:

``nianbaoku_challenge_check``        False: pass this response on unclassified (a render tier that
                                     deals with challenges itself)
``nianbaoku_challenge_retry_kinds``  list of kinds to retry for this request (overrides the setting)
``nianbaoku_challenge``              set on the request to the kind found (also for retried ones)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from parsers.challenge import classify_challenge

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

META_CHECK = "nianbaoku_challenge_check"
META_RETRY_KINDS = "nianbaoku_challenge_retry_kinds"
META_KIND = "nianbaoku_challenge"

#: Stats key of the run ledger: a list of ``(url, kind)`` pairs, oldest first.
LEDGER_KEY = "nianbaoku/blocked_pages"

#: Sent for every challenge response, before it is retried or blocked. Receivers get ``request``,
#: ``response``, ``kind`` and ``retrying`` (whether a retry was scheduled). The circuit breaker counts
#: it as a host failure; a crawl-run recorder may list it.
challenge_detected = object()


class BlockedByChallenge(IgnoreRequest):
    """The response to `url` was a `kind` challenge page; it was dropped, not parsed or retried."""

    def __init__(self, kind: str, url: str, status: int | None = None):
        self.kind = kind
        self.url = url
        self.status = status
        shown = f"HTTP {status} " if status is not None else ""
        super().__init__(
            f"blocked:{kind}: {url} answered with a {shown}{kind} challenge page instead of content; "
            "it is recorded in the run report and not retried (a profile with fetch.render may pass it)"
        )


def response_challenge(response: Response) -> str | None:
    """The challenge kind of a Scrapy response, or None: `classify_challenge` on its bytes."""
    return classify_challenge(response.body, status=response.status, headers=response.headers)


def challenge_retry_request(
    request: Request,
    kind: str,
    *,
    spider: Spider,
    retry_kinds: Iterable[str] | None = None,
) -> Request | None:
    """A retry of `request` after a `kind` challenge, or None when it must be blocked instead.

    `retry_kinds` names the kinds worth retrying; when None it comes from the request's
    ``nianbaoku_challenge_retry_kinds`` meta key, then the ``NIANBAOKU_CHALLENGE_RETRY_KINDS`` setting.
    The number of retries is Scrapy's (``max_retry_times`` meta, then ``RETRY_TIMES``), shared with
    retries for other reasons, so a request is never tried more than RETRY_TIMES + 1 times in all. Stats
    go to ``retry/reason_count/challenge_<kind>``. Example::

        challenge_retry_request(request, "rate429", spider=spider)  # a copy, or None when exhausted
    """
    if retry_kinds is None:
        retry_kinds = request.meta.get(META_RETRY_KINDS)
    if retry_kinds is None:
        retry_kinds = spider.crawler.settings.getlist("NIANBAOKU_CHALLENGE_RETRY_KINDS")
    if kind not in set(retry_kinds):
        return None
    return get_retry_request(request, spider=spider, reason=f"challenge_{kind}")


def record_blocked(stats: StatsCollector, url: str, kind: str, limit: int | None = None) -> None:
    """Count a blocked page under ``nianbaoku/blocked/<kind>`` and add it to the run ledger.

    The ledger keeps the first `limit` pages (all when None); later ones only raise the counters and
    ``nianbaoku/blocked_pages_unlisted``, so a crawl of a fully blocked portal cannot bloat the stats.
    """
    stats.inc_value(f"nianbaoku/blocked/{kind}")
    ledger = stats.get_value(LEDGER_KEY)
    if ledger is None:
        ledger = []
        stats.set_value(LEDGER_KEY, ledger)
    if limit is None or len(ledger) < limit:
        ledger.append((url, kind))
    else:
        stats.inc_value("nianbaoku/blocked_pages_unlisted")


def blocked_pages(stats: StatsCollector) -> list[tuple[str, str]]:
    """The ``(url, kind)`` pairs blocked so far in this crawl (the ``blocked:<kind>`` run report)."""
    return [(url, kind) for url, kind in stats.get_value(LEDGER_KEY) or []]


class ChallengeMiddleware:
    """Downloader middleware wrapping `classify_challenge`; see the module docstring."""

    crawler: Crawler

    def __init__(self, stats: StatsCollector, *, ledger_max: int | None = None):
        self.stats = stats
        self.ledger_max = ledger_max
        self._warned: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NIANBAOKU_CHALLENGE_ENABLED"):
            raise NotConfigured("NIANBAOKU_CHALLENGE_ENABLED is False")
        assert crawler.stats is not None
        ledger_max = settings.getint("NIANBAOKU_CHALLENGE_LEDGER_MAX", 0) or None
        o = cls(crawler.stats, ledger_max=ledger_max)
        o.crawler = crawler
        return o

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get(META_CHECK, True) is False:
            return response
        kind = response_challenge(response)
        if kind is None:
            return response
        request.meta[META_KIND] = kind
        self.stats.inc_value(f"nianbaoku/challenge/{kind}")
        spider = self.crawler.spider
        assert spider is not None
        retry = challenge_retry_request(request, kind, spider=spider)
        self.crawler.signals.send_catch_log(
            signal=challenge_detected, request=request, response=response, kind=kind,
            retrying=retry is not None,
        )
        if retry is not None:
            logger.info("Challenge %s on %s: retrying after the host's back-off", kind, request.url)
            return retry
        record_blocked(self.stats, request.url, kind, self.ledger_max)
        self._log_blocked(request, response, kind)
        raise BlockedByChallenge(kind, request.url, response.status)

    def _log_blocked(self, request: Request, response: Response, kind: str) -> None:
        """Warn once per (host, kind); later pages of the same block go to DEBUG."""
        host = urlparse_cached(request).netloc
        first = (host, kind) not in self._warned
        self._warned.add((host, kind))
        logger.log(
            logging.WARNING if first else logging.DEBUG,
            "blocked:%s — %s answered HTTP %d with a challenge page; not parsed, not retried%s",
            kind, request.url, response.status,
            " (further blocks of this host are logged at DEBUG)" if first else "",
        )


__all__ = [
    "LEDGER_KEY",
    "META_CHECK",
    "META_KIND",
    "META_RETRY_KINDS",
    "BlockedByChallenge",
    "ChallengeMiddleware",
    "blocked_pages",
    "challenge_detected",
    "challenge_retry_request",
    "record_blocked",
    "response_challenge",
]
