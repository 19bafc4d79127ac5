"""Distributed crawling: N worker processes (on one or many machines) share one frontier in Redis.

Switched on only when ``REDIS_URL`` is set (environment, or ``crawl --redis-url``); without it a crawl
is the ordinary single-process Scrapy crawl. Built on scrapy-redis 0.9.1, with what it lacks for this
project added here:

- **One frontier per profile.** scrapy-redis keys its queue and duplicate filter by spider name, and
  every crawl here runs the one spider ``portal``; `FrontierScheduler` keys them by *profile* under
  ``NIANBAOKU_REDIS_PREFIX`` (`FrontierKeys`), so workers crawling the same profile share a frontier and
  different profiles never mix.
- **Seeded once.** Start requests are ``dont_filter`` (a list page must be fetched even if seen), so
  every worker would enqueue them again; `SeedOnceMiddleware` lets only the first worker of a crawl seed
  the frontier (``SET NX`` on the ``seeded`` key).
- **Nothing lost to a crash.** A request popped by a worker is also written to that worker's
  ``inflight`` hash and removed once its response has been through the spider (or its download failed
  for good). Each worker keeps an ``alive`` key with a short TTL; `FrontierCoordinator` puts the
  in-flight requests of a worker whose key expired (kill -9, lost machine) back into the queue and marks
  that worker's crawl run ``interrupted``. A re-fetch is harmless: identical bytes at a URL do not add a
  capture, identical content does not add a version (`storage.repository`).
- **A report stays on one worker.** The store assembles a detail page and its attachments into one
  version inside one process (`crawler.pipelines.store`), so attachment requests do not go to the shared
  queue: they pass the shared duplicate filter and wait in the worker's own local queue. The detail
  page's in-flight record is kept until all its attachments are done, so a crash re-fetches the page and
  — with the duplicate filter bypassed for them — its attachments, on whichever worker picks it up.
  A reclaimed request is fetched in full, never conditionally (`mark_reclaimed`): the dead worker may
  have archived the page without storing its report, and a 304 would hand back a page with no links.
  An attachment that fails for good (or is filtered) first tells the store pipeline it will not come
  (`attachment_missing`, the store's ``ATTACHMENT_MISSING`` signal), so the report is stored without it
  *before* its page leaves the in-flight record — never a page released while its report still waits.
- **Finish together.** A worker with an empty queue does not close while another worker still has
  requests in flight (they may yield more); the last worker to finish removes the crawl's keys, so the
  next crawl of the profile starts with an empty duplicate filter. A crawl that stops for any other
  reason (Ctrl-C, ``CLOSESPIDER_*``, kill) leaves them: starting it again resumes.
- **Per-host politeness across workers**: `crawler.middlewares.hostlock.RedisHostLock`.

Blobs must be on a directory every worker sees (``NIANBAOKU_DATA_DIR`` on a shared mount); the database
must be one server (``DATABASE_URL``, PostgreSQL — SQLite is one machine's file).

Run N workers: start the same command N times, on any machines that reach Redis, the database and the
blob directory::

    export REDIS_URL=redis://10.0.0.5:6379/0 DATABASE_URL=postgresql+psycopg://... NIANBAOKU_DATA_DIR=/mnt/nbk
    python -m crawler crawl --profile zhenhai --worker     # on each machine, as often as wanted

Settings: ``NIANBAOKU_REDIS_PREFIX`` (key namespace; default ``nianbaoku``),
``NIANBAOKU_REDIS_ALIVE_TTL`` (seconds without a heartbeat after which a worker counts as dead),
``NIANBAOKU_REDIS_HEARTBEAT`` (seconds between heartbeats). Stats: ``nianbaoku/distributed/reclaimed``,
``nianbaoku/distributed/seeded``, ``nianbaoku/distributed/waited_for_peers``.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.scheduler import Scheduler

from crawler.pipelines import FILTERED

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

#: Request meta key: the in-flight fingerprints this request (and the ones it was redirected from) holds.
META_INFLIGHT = "_nianbaoku_inflight"
#: Request meta key of an attachment: the in-flight record of its detail page, shared by its siblings.
META_GROUP = "_nianbaoku_group"
#: Request meta key: this request came back from a dead worker's in-flight record.
META_RECLAIMED = "nianbaoku_reclaimed"
#: The spider's request role key (`spiders.cms.base.META_ROLE`).
META_ROLE = "nianbaoku_role"
#: Request meta key read by `crawler.middlewares.conditional`: False = never ask conditionally.
META_CONDITIONAL = "nianbaoku_conditional"
#: The portal spider's meta keys of an attachment request: the page it was linked from, its list.
META_DETAIL_URL = "nianbaoku_detail_url"
META_LIST_URL = "nianbaoku_list_url"


def distributed_settings(redis_url: str) -> dict[str, Any]:
    """The Scrapy settings that make a crawl one worker of a shared Redis frontier."""
    return {
        "REDIS_URL": redis_url,
        "NIANBAOKU_DISTRIBUTED": True,
        "SCHEDULER": "crawler.distributed.FrontierScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        # Our coordinator decides when the keys go (see the module docstring), never scrapy-redis.
        "SCHEDULER_PERSIST": True,
    }


def worker_id() -> str:
    """A name unique to this worker process: host, pid and a random tail (pids repeat across hosts)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class FrontierKeys:
    """The Redis keys of one profile's crawl under a prefix."""

    prefix: str
    profile: str

    @property
    def base(self) -> str:
        return f"{self.prefix}:{self.profile}"

    @property
    def requests(self) -> str:
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.base}:dupefilter"

    @property
    def seeded(self) -> str:
        return f"{self.base}:seeded"

    @property
    def workers(self) -> str:
        """Hash worker id → crawl run id of every worker that joined and has not finished."""
        return f"{self.base}:workers"

    def alive(self, worker: str) -> str:
        return f"{self.base}:alive:{worker}"

    def inflight(self, worker: str) -> str:
        return f"{self.base}:inflight:{worker}"

    def all_keys(self, workers: list[str]) -> list[str]:
        keys = [self.requests, self.dupefilter, self.seeded, self.workers]
        for w in workers:
            keys += [self.alive(w), self.inflight(w)]
        return keys


def profile_id(spider: Spider) -> str:
    return getattr(getattr(spider, "profile", None), "id", None) or spider.name


def frontier_keys(settings: BaseSettings, spider: Spider) -> FrontierKeys:
    return FrontierKeys(settings.get("NIANBAOKU_REDIS_PREFIX") or "nianbaoku", profile_id(spider))


class InflightRelease:
    """The completion bookkeeping both crash-safe frontiers share (this Redis one and
    `crawler.jobdir.JobdirScheduler`): a request stays recorded in flight until its output is stored and
    its attachments are done; subclasses say how a record is forgotten (`_forget`)."""

    crawler: Crawler | None

    def _forget(self, ids: list[Any] | None) -> None:
        raise NotImplementedError

    def done(self, request: Request, reason: str) -> None:
        """The request failed for good (`reason`) or was filtered: forget it in flight; an attachment
        also counts as done for its page — once the store was told it will not come."""
        self._forget(request.meta.pop(META_INFLIGHT, None))
        parent = request.meta.pop(META_GROUP, None)
        if parent is not None:
            attachment_missing(self.crawler, request, reason)
            parent.pending -= 1
            self.release(parent)

    def release(self, token: _Pending) -> None:
        """Forget `token`'s request in flight once its output was handed over and everything it is
        waiting for — items through the pipelines, attachments — is done."""
        if token.output_done and token.pending <= 0 and not token.released:
            token.released = True
            self._forget(token.fps)
            if token.parent is not None:
                token.parent.pending -= 1
                self.release(token.parent)


class FrontierScheduler(InflightRelease, Scheduler):
    """scrapy-redis's scheduler with per-profile keys and an in-flight record per worker (see module)."""

    def __init__(self, server: Any, **kwargs: Any):
        super().__init__(server, **kwargs)
        self.worker = worker_id()
        self.keys: FrontierKeys | None = None
        self.settings: BaseSettings | None = None
        self.local: deque[Request] = deque()  # this worker's attachments (see the module docstring)
        self.crawler: Crawler | None = None

    def __len__(self) -> int:
        return super().__len__() + len(self.local)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        o = super().from_crawler(crawler)
        o.settings = crawler.settings
        o.crawler = crawler
        crawler.nianbaoku_frontier = o  # type: ignore[attr-defined]  # found by the coordinator
        return o

    def open(self, spider: Spider) -> None:
        from scrapy_redis.dupefilter import RFPDupeFilter

        assert self.settings is not None
        self.keys = frontier_keys(self.settings, spider)
        self.queue_key = self.keys.requests
        self.df = RFPDupeFilter(self.server, key=self.keys.dupefilter, debug=False)
        super().open(spider)

    def enqueue_request(self, request: Request) -> bool:
        if request.meta.get(META_ROLE) != "attachment":
            return super().enqueue_request(request)
        if not request.dont_filter and self.df.request_seen(request):
            self.done(request, FILTERED)  # fetched elsewhere already: it does not hold its page any more
            return False
        self.local.append(request)
        return True

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        request = super().next_request()
        if request is not None:
            assert self.keys is not None
            fp = self.df.request_fingerprint(request)
            self.server.hset(self.keys.inflight(self.worker), fp, self.queue._encode_request(request))
            request.meta[META_INFLIGHT] = [*request.meta.get(META_INFLIGHT, ()), fp]
        return request

    def _forget(self, fps: list[str] | None) -> None:
        if fps and self.keys is not None:
            self.server.hdel(self.keys.inflight(self.worker), *fps)

    def reclaim(self, worker: str) -> int:
        """Put a dead worker's in-flight requests back in the queue (bypassing the duplicate filter)."""
        assert self.keys is not None
        key = self.keys.inflight(worker)
        entries = self.server.hgetall(key)
        for encoded in entries.values():
            request = self.queue._decode_request(encoded)
            request.meta.pop(META_INFLIGHT, None)
            self.queue.push(mark_reclaimed(request))
        self.server.delete(key)
        return len(entries)


def mark_reclaimed(request: Request) -> Request:
    """Mark `request` as handed back from a dead process's in-flight record, to be fetched *in full*.

    Why unconditional: the dead process may have fetched and archived the page (a capture row, and its
    ``ETag``) but died before the report was stored — its group waits in memory for the attachments.
    Asked conditionally, the portal answers ``304 Not Modified`` with no body: the spider finds no
    attachment links in it, the page is stored as a report of its own, and its attachments are never
    requested again (or, if one was archived before the crash, it stays linked to no version). The full
    page costs one download; identical bytes add no capture (`storage.repository`). Its attachments,
    requested again with the duplicate filter bypassed, may still be asked conditionally: a 304 for one
    stands for its archived capture, which the store links to the page's version.
    """
    request.meta[META_RECLAIMED] = True
    request.meta[META_CONDITIONAL] = False
    return request


def _frontier(crawler: Crawler) -> FrontierScheduler | None:
    return getattr(crawler, "nianbaoku_frontier", None)


def attachment_missing(crawler: Crawler | None, request: Request, reason: str) -> None:
    """Tell the store pipeline that attachment `request` will yield no item (`reason`: ``"filtered"``,
    ``"http:404"``, ``"download:<kind>"``…), so it stores the page's report without it now.

    Called before the attachment counts as done for its page: the page must not leave the in-flight
    record while its report still waits in the store for this file — a kill then would leave the page
    archived, its report never stored and nothing to fetch it again. Synchronous (Scrapy signal)."""
    if crawler is None or request.meta.get(META_ROLE) != "attachment":
        return
    from crawler.pipelines.store import ATTACHMENT_MISSING

    crawler.signals.send_catch_log(
        ATTACHMENT_MISSING,
        url=request.url,
        detail_url=request.meta.get(META_DETAIL_URL),
        list_url=request.meta.get(META_LIST_URL),
        reason=reason,
    )


@dataclass(eq=False)
class _Pending:
    """What one response still waits for before its request may leave the in-flight record: its items
    (until they are through the item pipelines — stored) and its attachment requests."""

    fps: list[str] | None = None
    pending: int = 0
    output_done: bool = False
    released: bool = False
    parent: _Pending | None = None


class SeedOnceMiddleware:
    """Spider middleware: only the first worker of a crawl seeds the shared frontier with start requests;
    a request leaves the worker's in-flight record only once what its response yielded is stored."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.items: dict[int, tuple[Any, _Pending]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAOKU_DISTRIBUTED"):
            raise NotConfigured
        o = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(o.item_done, signal=signal)
        return o

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        frontier = _frontier(self.crawler)
        if frontier is not None and frontier.keys is not None:
            if not frontier.server.set(frontier.keys.seeded, frontier.worker, nx=True):
                logger.info("Frontier of %s already seeded: joining it", frontier.keys.profile)
                return
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("nianbaoku/distributed/seeded", 1)
        async for item in start:
            yield item

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        from scrapy import Request

        request = response.request
        token = _Pending()
        items = 0
        async for item in result:
            if isinstance(item, Request):
                if item.meta.get(META_ROLE) == "attachment":
                    if request is not None and request.meta.get(META_RECLAIMED):
                        item = item.replace(dont_filter=True)  # its first fetch died with its worker
                    token.pending += 1
                    item.meta[META_GROUP] = token
            elif item is not None:
                items += 1
                token.pending += 1
                self.items[id(item)] = (item, token)
            yield item
        if not items and request is not None and META_GROUP in request.meta:
            # an attachment that gave no item: an error status (Scrapy's HttpError middleware turns its
            # exception into empty output, so it ends here, not in process_spider_exception)
            why = f"http:{response.status}" if response.status >= 400 else "no_item"
            attachment_missing(self.crawler, request, why)
        self._output_done(request, token)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        from scrapy.spidermiddlewares.httperror import HttpError

        request = response.request
        if request is not None and META_GROUP in request.meta:  # an attachment that gave no item
            why = f"http:{response.status}" if isinstance(exception, HttpError) else type(exception).__name__
            attachment_missing(self.crawler, request, why)
        self._output_done(request, _Pending())

    def _output_done(self, request: Request | None, token: _Pending) -> None:
        frontier = _frontier(self.crawler)
        if frontier is None or request is None:
            return
        token.fps = request.meta.pop(META_INFLIGHT, None)
        token.parent = request.meta.pop(META_GROUP, None)
        token.output_done = True
        frontier.release(token)

    def item_done(self, item: Any, **kwargs: Any) -> None:
        """Signal receiver (scraped, dropped or failed): the item is through the pipelines."""
        entry = self.items.pop(id(item), None)
        frontier = _frontier(self.crawler)
        if entry is not None and frontier is not None:
            token = entry[1]
            token.pending -= 1
            frontier.release(token)


class InflightDoneMiddleware:
    """Downloader middleware (below Retry): a download that failed for good is done with too."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAOKU_DISTRIBUTED"):
            raise NotConfigured
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        from scrapy.exceptions import IgnoreRequest

        from crawler.middlewares.failures import classify

        frontier = _frontier(self.crawler)
        if frontier is not None:
            why = "ignored" if isinstance(exception, IgnoreRequest) else f"download:{classify(exception)}"
            frontier.done(request, why)


class FrontierCoordinator:
    """Extension: heartbeat, reclaiming dead workers' requests, closing together, cleaning up."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        s = crawler.settings
        self.ttl = s.getfloat("NIANBAOKU_REDIS_ALIVE_TTL", 10.0)
        self.interval = s.getfloat("NIANBAOKU_REDIS_HEARTBEAT", 2.0)
        self.loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAOKU_DISTRIBUTED"):
            raise NotConfigured
        o = cls(crawler)
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(o.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    @property
    def frontier(self) -> FrontierScheduler:
        frontier = _frontier(self.crawler)
        if frontier is None or frontier.keys is None:
            raise RuntimeError("distributed mode needs SCHEDULER = crawler.distributed.FrontierScheduler")
        return frontier

    def spider_opened(self, spider: Spider) -> None:
        from twisted.internet import task

        from crawler.pipelines import RUN_ID_KEY

        f = self.frontier
        assert f.keys is not None and self.crawler.stats is not None
        run = self.crawler.stats.get_value(RUN_ID_KEY)
        f.server.hset(f.keys.workers, f.worker, "" if run is None else str(run))
        self.heartbeat()
        self.loop = task.LoopingCall(self.heartbeat)
        self.loop.start(self.interval, now=False)

    def heartbeat(self) -> None:
        """Say this worker is alive; reclaim the work of workers that are not."""
        f = self.frontier
        assert f.keys is not None
        f.server.set(f.keys.alive(f.worker), "1", px=int(self.ttl * 1000))
        for raw, run in f.server.hgetall(f.keys.workers).items():
            worker = raw.decode() if isinstance(raw, bytes) else str(raw)
            if worker == f.worker or f.server.exists(f.keys.alive(worker)):
                continue
            n = f.reclaim(worker)
            f.server.hdel(f.keys.workers, worker)
            run_id = int(run) if run not in (b"", "", None) else None
            logger.warning("Worker %s is gone: %d in-flight requests back in the queue, run #%s interrupted",
                           worker, n, run_id)
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("nianbaoku/distributed/reclaimed", n)
            if run_id is not None:
                self._interrupt(run_id)

    def _interrupt(self, run_id: int) -> None:
        from crawler.extensions import interrupt_runs
        from crawler.pipelines import crawl_store

        crawl_store(self.crawler).run(lambda s: interrupt_runs(s, [run_id], reason="worker gone"))

    def peers_busy(self) -> bool:
        """Another worker still has requests in flight (or the queue is not empty)."""
        f = self.frontier
        assert f.keys is not None
        if len(f.queue):
            return True
        for raw in f.server.hkeys(f.keys.workers):
            worker = raw.decode() if isinstance(raw, bytes) else str(raw)
            if worker != f.worker and f.server.hlen(f.keys.inflight(worker)):
                return True
        return False

    def spider_idle(self, spider: Spider) -> None:
        self.heartbeat()
        if self.peers_busy():
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("nianbaoku/distributed/waited_for_peers")
            raise DontCloseSpider

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        f = self.frontier
        assert f.keys is not None
        if reason != "finished":
            return  # keep the frontier (and our in-flight record, reclaimed once our key expires): resume
        f.server.delete(f.keys.inflight(f.worker), f.keys.alive(f.worker))
        f.server.hdel(f.keys.workers, f.worker)
        if not f.server.hlen(f.keys.workers) and not len(f.queue):
            f.server.delete(f.keys.requests, f.keys.dupefilter, f.keys.seeded, f.keys.workers)
            logger.info("Last worker of %s finished: frontier keys removed", f.keys.profile)


def redis_client(settings: BaseSettings) -> Any:
    """The Redis client of the settings (``REDIS_URL``), as scrapy-redis builds it."""
    return get_redis_from_settings(settings)


__all__ = [
    "FILTERED",
    "FrontierCoordinator",
    "FrontierKeys",
    "FrontierScheduler",
    "InflightDoneMiddleware",
    "SeedOnceMiddleware",
    "attachment_missing",
    "distributed_settings",
    "frontier_keys",
    "mark_reclaimed",
    "redis_client",
    "worker_id",
]
