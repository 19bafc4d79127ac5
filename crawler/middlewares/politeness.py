"""Fetch like a good citizen: one gate per host with a circuit breaker, Retry-After and back-off pauses.

Government portals are small servers behind touchy WAFs (portals.md §11). Scrapy already spaces
requests per host (``DOWNLOAD_DELAY`` / the spider's ``download_delay``, which the portal spider takes
from the profile's ``fetch.delay_s``; ``DOWNLOAD_SLOTS`` for a ``download_slot`` meta key), keeps
``CONCURRENT_REQUESTS_PER_DOMAIN = 1`` and adapts with AutoThrottle, and its ``RetryMiddleware``
retries 5xx and timeouts a bounded number of times (``RETRY_TIMES``). What it lacks, this adds:

- **A per-host gate.** Every request to a host passes `PolitenessMiddleware.process_request` just
  before it goes out. The gate lets through at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` requests per host
  at a time *and holds the next one until the previous response has been judged*, so the decisions
  below apply to the very next request, not to a queue of requests that slipped past earlier. Holding
  is an async wait (`scrapy.utils.asyncio.sleep` / a Deferred), never a sleep of the reactor.
- **Pauses.** A failure — HTTP status in ``NIANBAOKU_POLITENESS_FAILURE_CODES`` (429, 5xx …), a
  download error from ``RETRY_EXCEPTIONS`` (timeouts, refused connections), or a challenge page
  reported by `crawler.middlewares.challenge` — pauses the host: for ``Retry-After`` seconds when the
  server said so (429/503), else exponential back-off ``NIANBAOKU_BACKOFF_BASE * 2**(attempt-1)``
  capped at ``NIANBAOKU_BACKOFF_MAX``. Scrapy's retry (or the challenge middleware's, for ``rate429``)
  re-schedules the request; the gate holds it until the pause is over. A Retry-After longer than
  ``NIANBAOKU_RETRY_AFTER_MAX`` opens the circuit for that long instead of holding requests for hours.
- **A circuit breaker.** ``NIANBAOKU_BREAKER_THRESHOLD`` consecutive failures on a host open its
  circuit for ``NIANBAOKU_BREAKER_COOLDOWN`` seconds: requests to it are dropped with
  `HostCircuitOpen` (an `IgnoreRequest`) and counted, not sent. After the cool-down one request probes
  the host (half-open): a success closes the circuit, a failure opens it again. Any response whose
  status is not a failure code (200, 304, 404 …) and that reached the engine counts as success.

The decisions are pure and clock-driven (`HostGate`, `retry_after_seconds`, `backoff_delay`,
`failure_pause`), so they are tested without a crawler or a network; the middleware only adapts them.

Settings: ``NIANBAOKU_POLITENESS_ENABLED``, ``NIANBAOKU_BREAKER_THRESHOLD``,
``NIANBAOKU_BREAKER_COOLDOWN``, ``NIANBAOKU_BACKOFF_BASE``, ``NIANBAOKU_BACKOFF_MAX``,
``NIANBAOKU_RETRY_AFTER_MAX``, ``NIANBAOKU_POLITENESS_FAILURE_CODES``; Scrapy's
``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``RETRY_EXCEPTIONS``.

Request meta: ``nianbaoku_politeness`` False lets a request bypass the gate (nothing in the crawler
sets it); ``download_slot`` (Scrapy's) names the host key, as it names Scrapy's downloader slot.

Stats: ``nianbaoku/politeness/failure/<reason>``, ``nianbaoku/politeness/paused/<retry_after|backoff>``,
``nianbaoku/politeness/waited`` (requests held at the gate), ``nianbaoku/politeness/retry_after_over_max``,
``nianbaoku/breaker/opened``, ``nianbaoku/breaker/dropped``, ``nianbaoku/breaker/dropped/<reason>``.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.asyncio import call_later
from scrapy.utils.asyncio import sleep as scrapy_sleep
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from twisted.internet.defer import Deferred

from crawler.middlewares.challenge import challenge_detected

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

META_GATE = "nianbaoku_politeness"
# Set on a request whose failure was already counted from its raw response, so the challenge signal
# for the same response (a 429 is both) does not count it twice.
_META_COUNTED = "_nianbaoku_failure_counted"


# --- pure decisions --------------------------------------------------------------------------------


def host_key(request: Request) -> str:
    """The host a request counts against: Scrapy's ``download_slot`` meta key, else the hostname.

    The same key Scrapy's downloader uses for its slots, so the gate and the download delay agree.
    """
    slot = request.meta.get("download_slot")
    if slot is not None:
        return str(slot)
    return urlparse_cached(request).hostname or ""


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value (delta-seconds or an HTTP-date), or None.

    None when absent or unreadable (the caller falls back to back-off); never negative. `now` is the
    aware current time for the HTTP-date form (default: now, UTC).
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, *, base: float, cap: float) -> float:
    """Exponential back-off before try number ``attempt + 1``: ``base * 2**(attempt-1)``, at most `cap`."""
    if attempt <= 0 or base <= 0:
        return 0.0
    return min(cap, base * 2 ** min(attempt - 1, 30))


@dataclass(frozen=True, slots=True)
class Pause:
    """How a host must rest after a failure: hold requests for `seconds`, or open its circuit."""

    seconds: float
    reason: Literal["retry_after", "backoff"]
    open_circuit: bool = False


def failure_pause(
    retry_after: float | None, attempt: int, *, base: float, cap: float, retry_after_max: float
) -> Pause:
    """The pause after a failure: the server's Retry-After when given, else exponential back-off.

    A Retry-After beyond `retry_after_max` is still honoured, but by opening the host's circuit for
    that long (requests dropped) rather than holding requests in memory.
    """
    if retry_after is not None:
        return Pause(retry_after, "retry_after", open_circuit=retry_after > retry_after_max)
    return Pause(backoff_delay(attempt, base=base, cap=cap), "backoff")


@dataclass(frozen=True, slots=True)
class GateDecision:
    """What to do with a request now: ``go``, ``wait`` `seconds`, or ``drop`` (circuit open)."""

    action: Literal["go", "wait", "drop"]
    seconds: float = 0.0
    reason: str = ""


@dataclass(slots=True)
class HostState:
    """What the gate knows about one host."""

    failures: int = 0
    open_until: float = -math.inf
    not_before: float = -math.inf
    last_reason: str = ""
    opened: int = 0


@dataclass
class HostGate:
    """Per-host circuit breaker and pause clock. Pure: the caller passes ``now`` (monotonic seconds).

    >>> gate = HostGate(threshold=2, cooldown=60)
    >>> gate.record_failure("a.gov.cn", "http_503", now=0), gate.record_failure("a.gov.cn", "http_503", now=1)
    (False, True)
    >>> gate.check("a.gov.cn", now=30).action, gate.check("a.gov.cn", now=61).action
    ('drop', 'go')
    """

    threshold: int
    cooldown: float
    hosts: dict[str, HostState] = field(default_factory=dict)

    def state(self, host: str) -> HostState:
        return self.hosts.setdefault(host, HostState())

    def check(self, host: str, now: float) -> GateDecision:
        """Drop while the circuit is open, wait while the host is paused, else go."""
        st = self.hosts.get(host)
        if st is None:
            return GateDecision("go")
        if now < st.open_until:
            return GateDecision("drop", st.open_until - now, st.last_reason)
        if now < st.not_before:
            return GateDecision("wait", st.not_before - now, st.last_reason)
        return GateDecision("go")

    def record_failure(self, host: str, reason: str, now: float) -> bool:
        """Count a failure; True when it opened the circuit (threshold reached, or a failed probe)."""
        st = self.state(host)
        st.failures += 1
        st.last_reason = reason
        if self.threshold > 0 and st.failures >= self.threshold and now >= st.open_until:
            self.open(host, self.cooldown, reason, now)
            return True
        return False

    def record_success(self, host: str) -> None:
        """A good response closes the circuit and resets the failure count."""
        st = self.hosts.get(host)
        if st is not None:
            st.failures = 0

    def pause(self, host: str, seconds: float, now: float) -> None:
        """Hold requests to `host` for `seconds` from `now` (a longer pause already set wins)."""
        if seconds > 0:
            st = self.state(host)
            st.not_before = max(st.not_before, now + seconds)

    def open(self, host: str, seconds: float, reason: str, now: float) -> None:
        """Open the circuit of `host` for `seconds` (requests dropped until then)."""
        st = self.state(host)
        st.open_until = max(st.open_until, now + seconds)
        st.last_reason = reason
        st.opened += 1


# --- in-flight limit -----------------------------------------------------------------------------


class _HostSlots:
    """At most `concurrency` requests in flight per host; waiters are woken one per release."""

    def __init__(self, concurrency: int):
        self.concurrency = max(1, concurrency)
        self.in_flight: dict[str, int] = {}
        self.waiters: dict[str, deque[Deferred[None]]] = {}

    def try_acquire(self, host: str) -> bool:
        if self.in_flight.get(host, 0) < self.concurrency:
            self.in_flight[host] = self.in_flight.get(host, 0) + 1
            return True
        return False

    def wait(self, host: str) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        self.waiters.setdefault(host, deque()).append(d)
        return d

    def release(self, host: str) -> None:
        self.in_flight[host] = max(0, self.in_flight.get(host, 0) - 1)
        self.wake(host)

    def wake(self, host: str) -> None:
        """Wake the next waiter if there is room: on release, and when a woken waiter went elsewhere."""
        queue = self.waiters.get(host)
        if queue and self.in_flight.get(host, 0) < self.concurrency:
            # Woken on the next turn of the loop, after the response that freed the slot has gone
            # through the remaining middlewares (a challenge is reported before the next request goes).
            call_later(0, queue.popleft().callback, None)


# --- the middleware ------------------------------------------------------------------------------


class HostCircuitOpen(IgnoreRequest):
    """A request to `host` was dropped because the host's circuit is open (it kept failing)."""

    def __init__(self, host: str, url: str, seconds_left: float, reason: str):
        self.host = host
        self.url = url
        self.seconds_left = seconds_left
        self.reason = reason
        super().__init__(
            f"{url} not requested: host {host} failed repeatedly (last: {reason}) and is left alone for "
            f"{seconds_left:.0f} s more (NIANBAOKU_BREAKER_COOLDOWN); check the site by hand if it persists"
        )


class PolitenessMiddleware:
    """Downloader middleware: the host gate, pauses and circuit breaker of the module docstring."""

    crawler: Crawler

    def __init__(
        self,
        stats: StatsCollector,
        *,
        threshold: int = 3,
        cooldown: float = 600.0,
        backoff_base: float = 5.0,
        backoff_max: float = 300.0,
        retry_after_max: float = 600.0,
        failure_codes: Iterable[int] = (429, 500, 502, 503, 504, 522, 524, 408),
        failure_exceptions: tuple[type[BaseException], ...] = (),
        concurrency: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = scrapy_sleep,
    ):
        self.stats = stats
        self.gate = HostGate(threshold=threshold, cooldown=cooldown)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.failure_codes = frozenset(int(c) for c in failure_codes)
        self.failure_exceptions = failure_exceptions
        self.clock = clock
        self.sleep = sleep
        self.slots = _HostSlots(concurrency)
        self._held: dict[Request, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.getbool("NIANBAOKU_POLITENESS_ENABLED"):
            raise NotConfigured("NIANBAOKU_POLITENESS_ENABLED is False")
        assert crawler.stats is not None
        exceptions = tuple(
            load_object(e) if isinstance(e, str) else e for e in s.getlist("RETRY_EXCEPTIONS")
        )
        o = cls(
            crawler.stats,
            threshold=s.getint("NIANBAOKU_BREAKER_THRESHOLD"),
            cooldown=s.getfloat("NIANBAOKU_BREAKER_COOLDOWN"),
            backoff_base=s.getfloat("NIANBAOKU_BACKOFF_BASE"),
            backoff_max=s.getfloat("NIANBAOKU_BACKOFF_MAX"),
            retry_after_max=s.getfloat("NIANBAOKU_RETRY_AFTER_MAX"),
            failure_codes=[int(c) for c in s.getlist("NIANBAOKU_POLITENESS_FAILURE_CODES")],
            failure_exceptions=exceptions,
            concurrency=s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") or 1,
        )
        o.crawler = crawler
        crawler.signals.connect(o.challenge_detected, signal=challenge_detected)
        crawler.signals.connect(o.response_received, signal=signals.response_received)
        return o

    # --- requests ----------------------------------------------------------------------------------

    async def process_request(self, request: Request) -> None:
        if request.meta.get(META_GATE, True) is False:
            return None
        request.meta.pop(_META_COUNTED, None)  # a retry copies the meta of the try it repeats
        host = host_key(request)
        waited = False
        while True:
            decision = self.gate.check(host, self.clock())
            if decision.action == "drop":
                self.slots.wake(host)  # this request may have been woken to go next: pass the turn on
                self.stats.inc_value("nianbaoku/breaker/dropped")
                self.stats.inc_value(f"nianbaoku/breaker/dropped/{decision.reason or 'unknown'}")
                logger.debug("Dropped %s: circuit of %s open %.0f s more", request.url, host,
                             decision.seconds)
                raise HostCircuitOpen(host, request.url, decision.seconds, decision.reason)
            if decision.action == "wait":
                self.slots.wake(host)
                if not waited:
                    self.stats.inc_value("nianbaoku/politeness/waited")
                    waited = True
                await self.sleep(decision.seconds)
                continue
            if self.slots.try_acquire(host):
                break
            if not waited:
                self.stats.inc_value("nianbaoku/politeness/waited")
                waited = True
            await maybe_deferred_to_future(self.slots.wait(host))
        self._held[request] = host
        return None

    def _release(self, request: Request) -> None:
        host = self._held.pop(request, None)
        if host is not None:
            self.slots.release(host)

    # --- outcomes ----------------------------------------------------------------------------------

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status in self.failure_codes:
            retry_after = retry_after_seconds(response.headers.get(b"Retry-After"))
            self.failure(request, f"http_{response.status}", retry_after)
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if self.failure_exceptions and isinstance(exception, self.failure_exceptions):
            self.failure(request, type(exception).__name__)
        self._release(request)
        return None

    def challenge_detected(self, request: Request, response: Response, kind: str, retrying: bool = False,
                           **kwargs: Any) -> None:
        """Signal receiver: a challenge page is a host failure (counted once per response)."""
        if not request.meta.get(_META_COUNTED):
            retry_after = retry_after_seconds(response.headers.get(b"Retry-After"))
            self.failure(request, f"challenge_{kind}", retry_after)
        self._release(request)

    def response_received(self, response: Response, request: Request, **kwargs: Any) -> None:
        """Signal receiver: a response that reached the engine and is not a failure closes the circuit."""
        if response.status not in self.failure_codes:
            self.gate.record_success(host_key(request))

    def failure(self, request: Request, reason: str, retry_after: float | None = None) -> None:
        """Count a failure of `request`'s host, pause the host and maybe open its circuit."""
        request.meta[_META_COUNTED] = reason
        host = host_key(request)
        now = self.clock()
        self.stats.inc_value(f"nianbaoku/politeness/failure/{reason}")
        pause = failure_pause(retry_after, request.meta.get("retry_times", 0) + 1, base=self.backoff_base,
                              cap=self.backoff_max, retry_after_max=self.retry_after_max)
        if pause.open_circuit:
            self.stats.inc_value("nianbaoku/politeness/retry_after_over_max")
            self.gate.open(host, pause.seconds, f"{reason}_retry_after", now)
            self._log_open(host, f"it asked to wait {pause.seconds:.0f} s (Retry-After)", pause.seconds)
        elif pause.seconds > 0:
            self.stats.inc_value(f"nianbaoku/politeness/paused/{pause.reason}")
            self.gate.pause(host, pause.seconds, now)
        if self.gate.record_failure(host, reason, now):
            st = self.gate.state(host)
            self._log_open(host, f"{st.failures} consecutive failures, last {reason}", self.gate.cooldown)

    def _log_open(self, host: str, why: str, seconds: float) -> None:
        self.stats.inc_value("nianbaoku/breaker/opened")
        logger.warning(
            "Circuit open for host %s (%s): its requests are dropped for %.0f s, then one probe is sent. "
            "If this repeats, the portal is blocking us — see the blocked:<kind> report",
            host, why, seconds,
        )


__all__ = [
    "META_GATE",
    "GateDecision",
    "HostCircuitOpen",
    "HostGate",
    "HostState",
    "Pause",
    "PolitenessMiddleware",
    "backoff_delay",
    "failure_pause",
    "host_key",
    "retry_after_seconds",
]
