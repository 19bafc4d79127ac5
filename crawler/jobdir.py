"""Crash-safe resume of a single-machine crawl: ``crawl --jobdir DIR`` (Scrapy's ``JOBDIR``), no Redis.

Why not Scrapy's own JOBDIR queues: they survive a *graceful* stop only. Scrapy writes the priority
state of its disk queues (``requests.queue/active.json``), queuelib's queue headers and the buffered
``requests.seen`` file when the spider closes; after ``kill -9`` (OOM killer, power loss) the next run
finds no queue state but a partly written duplicate filter, so it re-seeds the crawl and *filters out*
the pages it had queued — their reports are silently never fetched. A crawl of this project is long
(hours, politely slow) and must survive that.

`JobdirScheduler` keeps the same two things — the frontier and the duplicate filter — in one SQLite file,
``<JOBDIR>/frontier.sqlite`` (WAL journal), where every change is its own committed transaction: a
request's fingerprint and its pickled form are written together, so nothing is ever "seen" without being
queued. It works like the Redis frontier of `crawler.distributed`, reusing its completion tracking:

- **In flight until stored.** A request handed to the downloader stays in the file (marked in flight)
  until what its response yielded is through the item pipelines — stored — and its attachments are done
  (`crawler.distributed.SeedOnceMiddleware` / `InflightDoneMiddleware` decide when; this scheduler's
  `release`/`done` forget it). When a crawl starts on a JOBDIR, the requests left in flight by a
  crawl that died go back in the queue, marked reclaimed: a detail page is fetched again — in full, not
  conditionally (`crawler.distributed.mark_reclaimed`: the dead run may have archived the page without
  storing its report, and a 304 has no links) — and its attachments with it (duplicate filter bypassed
  for them). A re-fetch is harmless: identical bytes add no capture, identical content no version
  (`storage.repository`).
- **A failed attachment is settled first.** An attachment that fails for good (404, download error)
  or is filtered tells the store pipeline before it counts as done for its page
  (`crawler.distributed.attachment_missing`): the report is stored without it, then the page leaves
  the file — never a page gone from the frontier while its report still waits to be stored.
- **A report stays in one process.** Attachment requests pass the duplicate filter but wait in memory
  (their detail page is in flight in the file until they are done), so a report is never half fetched
  by one run and half by the next — which would store it as two different versions.
- **Seeded once.** Start requests are ``dont_filter`` (a list page must be fetched even if seen): they
  are enqueued by the first run of a JOBDIR only; a resumed run continues from the file.
- **Cleared when finished.** A crawl that closes ``finished`` deletes the file, so the next crawl with
  the same JOBDIR (a scheduled re-crawl) starts with an empty duplicate filter. Any other close (Ctrl-C,
  SIGTERM, ``CLOSESPIDER_*``) keeps it: start the same command again to resume.

The crawl run of the killed process is closed ``interrupted`` when the next crawl of the profile starts
(`crawler.extensions.stale_runs`), as without a JOBDIR.

Requests must be picklable (Scrapy's rule for JOBDIR): callbacks are spider methods and meta holds
plain data. One that is not stays in memory (stat ``scheduler/unserializable``) — lost on a crash, like
every request of a crawl without a JOBDIR.

Without ``JOBDIR`` (or in distributed mode, where ``SCHEDULER`` is the Redis one) `JobdirScheduler`
is Scrapy's default scheduler, unchanged. Stats: ``nianbaoku/jobdir/resumed`` (requests found queued at
start), ``nianbaoku/jobdir/reclaimed`` (of which left in flight by a dead run), ``nianbaoku/jobdir/seeded``.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.core.scheduler import BaseScheduler, Scheduler
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir
from scrapy.utils.misc import load_object
from scrapy.utils.request import request_from_dict

from crawler.distributed import (
    FILTERED,
    META_INFLIGHT,
    META_ROLE,
    InflightDoneMiddleware,
    InflightRelease,
    SeedOnceMiddleware,
    mark_reclaimed,
)

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

#: The frontier file inside the JOBDIR.
FRONTIER_FILE = "frontier.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (fp TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    priority INTEGER NOT NULL,
    inflight INTEGER NOT NULL DEFAULT 0,
    reclaimed INTEGER NOT NULL DEFAULT 0,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_next ON requests (inflight, priority DESC, id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def jobdir_enabled(settings: BaseSettings) -> bool:
    """The crawl persists its frontier through `JobdirScheduler` (a JOBDIR, not distributed)."""
    if not settings.get("JOBDIR") or settings.getbool("NIANBAOKU_DISTRIBUTED"):
        return False
    scheduler = settings.get("SCHEDULER")
    cls = load_object(scheduler) if isinstance(scheduler, str) else scheduler
    return _is_jobdir_scheduler(cls)


def _is_jobdir_scheduler(obj: Any) -> bool:
    """`obj` is `JobdirScheduler` or a subclass, or an instance of one — by its MRO: Scrapy's scheduler
    metaclass makes ``isinstance``/``issubclass`` true for *any* class with a scheduler's methods."""
    cls = obj if isinstance(obj, type) else type(obj)
    return JobdirScheduler in cls.__mro__


class JobdirScheduler(InflightRelease, BaseScheduler):
    """The crash-safe JOBDIR frontier (see the module docstring)."""

    def __init__(self, crawler: Crawler, path: Path):
        self.crawler = crawler
        self.path = path
        self.stats: StatsCollector | None = crawler.stats
        self.fingerprinter = crawler.request_fingerprinter
        self.fifo = "fifo" in str(crawler.settings.get("SCHEDULER_DISK_QUEUE") or "").lower()
        self.db: sqlite3.Connection | None = None
        self.spider: Spider | None = None
        self.local: deque[Request] = deque()  # attachments, and requests that cannot be pickled
        self.queued = 0  # rows waiting in the file (not in flight)
        self.resumed_below = 0  # rows with an id up to this one were queued by an earlier run
        self.seeded = False
        self.logged_unserializable = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        directory = job_dir(crawler.settings)
        if not directory or crawler.settings.getbool("NIANBAOKU_DISTRIBUTED"):
            return Scheduler.from_crawler(crawler)  # no JOBDIR: Scrapy's scheduler, in memory
        o = cls(crawler, Path(directory) / FRONTIER_FILE)
        crawler.nianbaoku_frontier = o  # type: ignore[attr-defined]  # found by the middlewares
        return o

    # --- life cycle ----------------------------------------------------------------------------

    def open(self, spider: Spider) -> None:
        self.spider = spider
        # autocommit: each statement (or explicit BEGIN … COMMIT) is durable once it returns
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # a killed process loses nothing committed
        self.db.executescript(_SCHEMA)
        reclaimed = self.db.execute(
            "UPDATE requests SET inflight = 0, reclaimed = 1 WHERE inflight = 1"
        ).rowcount
        self.queued = int(self.db.execute("SELECT count(*) FROM requests").fetchone()[0])
        self.resumed_below = int(self.db.execute("SELECT coalesce(max(id), 0) FROM requests").fetchone()[0])
        self.seeded = self.db.execute("SELECT 1 FROM state WHERE key = 'seeded'").fetchone() is not None
        self._claim(getattr(getattr(spider, "profile", None), "id", None) or spider.name)
        if self.stats is not None:
            self.stats.set_value("nianbaoku/jobdir/resumed", self.queued)
            self.stats.set_value("nianbaoku/jobdir/reclaimed", reclaimed)
        if self.seeded:
            logger.info("Resuming crawl from %s: %d requests queued (%d left in flight by the last run)",
                        self.path, self.queued, reclaimed)

    def _claim(self, crawl: str) -> None:
        """A JOBDIR holds one crawl: resuming profile A's frontier in a crawl of profile B would fetch A's
        pages as B's reports and filter B's by A's fingerprints."""
        assert self.db is not None
        self.db.execute("INSERT OR IGNORE INTO state (key, value) VALUES ('crawl', ?)", (crawl,))
        owner = self.db.execute("SELECT value FROM state WHERE key = 'crawl'").fetchone()[0]
        if owner != crawl:
            self.db.close()
            self.db = None
            raise ValueError(f"JOBDIR {self.path.parent} holds the unfinished crawl of {owner!r}, "
                             f"not {crawl!r}: give each profile its own --jobdir")

    def close(self, reason: str) -> None:
        if self.db is None:
            return
        self.db.close()
        self.db = None
        if reason == "finished":  # done: the next crawl with this JOBDIR starts afresh
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            logger.info("Crawl stopped (%s): its frontier is kept in %s; run it again to resume",
                        reason, self.path)

    def mark_seeded(self) -> None:
        """All start requests are in the file: a later run of this JOBDIR must not enqueue them again."""
        assert self.db is not None
        self.db.execute("INSERT OR REPLACE INTO state (key, value) VALUES ('seeded', '1')")
        self.seeded = True

    # --- queue ---------------------------------------------------------------------------------

    def has_pending_requests(self) -> bool:
        return len(self) > 0

    def __len__(self) -> int:
        return self.queued + len(self.local)

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def _encode(self, request: Request) -> bytes | None:
        try:
            return pickle.dumps(request.to_dict(spider=self.spider), protocol=4)
        except (ValueError, pickle.PicklingError, AttributeError, TypeError) as exc:
            if not self.logged_unserializable:
                logger.warning("Request %s cannot be saved in the JOBDIR (%s): kept in memory only; "
                               "further ones are only counted (scheduler/unserializable)", request, exc)
                self.logged_unserializable = True
            self._inc("scheduler/unserializable")
            return None

    def enqueue_request(self, request: Request) -> bool:
        assert self.db is not None
        fp = None if request.dont_filter else self.fingerprinter.fingerprint(request).hex()
        attachment = request.meta.get(META_ROLE) == "attachment"
        data = None if attachment else self._encode(request)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            new = fp is None or self.db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (fp,)).rowcount
            if not new:
                self.db.execute("COMMIT")
                self._inc("dupefilter/filtered")
                self.done(request, FILTERED)  # filtered: it holds its detail page no longer
                return False
            if data is not None:
                self.db.execute(
                    "INSERT INTO requests (priority, data) VALUES (?, ?)", (request.priority, data)
                )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        if data is None:
            self.local.append(request)
            self._inc("scheduler/enqueued/memory")
        else:
            self.queued += 1
            self._inc("scheduler/enqueued/disk")
        self._inc("scheduler/enqueued")
        return True

    def next_request(self) -> Request | None:
        assert self.db is not None
        if self.local:
            self._inc("scheduler/dequeued/memory")
            self._inc("scheduler/dequeued")
            return self.local.popleft()
        if not self.queued:
            return None
        order = "id ASC" if self.fifo else "id DESC"  # Scrapy's default order is LIFO within a priority
        row = self.db.execute(
            "SELECT id, reclaimed, data FROM requests WHERE inflight = 0"
            f" ORDER BY priority DESC, {order} LIMIT 1"
        ).fetchone()
        if row is None:
            self.queued = 0
            return None
        row_id, reclaimed, data = row
        self.db.execute("UPDATE requests SET inflight = 1 WHERE id = ?", (row_id,))
        self.queued -= 1
        request = request_from_dict(pickle.loads(data), spider=self.spider)  # our own file, written above
        if row_id <= self.resumed_below:
            request.meta.pop(META_INFLIGHT, None)  # rows of a dead run, not ours
        if reclaimed:
            mark_reclaimed(request)  # left in flight by a dead run: fetched again in full
        request.meta[META_INFLIGHT] = [*request.meta.get(META_INFLIGHT, ()), row_id]
        self._inc("scheduler/dequeued/disk")
        self._inc("scheduler/dequeued")
        return request

    # --- completion (called by the middlewares of crawler.distributed) -------------------------

    def _forget(self, ids: list[Any] | None) -> None:
        if ids and self.db is not None:
            rows = [(i,) for i in ids if isinstance(i, int)]
            self.db.executemany("DELETE FROM requests WHERE id = ?", rows)


class JobdirOutputMiddleware(SeedOnceMiddleware):
    """Spider middleware: seed a JOBDIR once; keep a request in flight until its output is stored.

    The completion tracking is `SeedOnceMiddleware`'s; only the seeding differs (a flag in the file).
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        if not jobdir_enabled(crawler.settings):
            raise NotConfigured
        o = cls(crawler)
        from scrapy import signals

        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(o.item_done, signal=signal)
        return o

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        frontier = getattr(self.crawler, "nianbaoku_frontier", None)
        if not _is_jobdir_scheduler(frontier):
            async for item in start:
                yield item
            return
        if frontier.seeded:
            logger.info("JOBDIR already seeded: continuing from its queue")
            return
        async for item in start:
            yield item
        frontier.mark_seeded()
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("nianbaoku/jobdir/seeded", 1)


class JobdirDoneMiddleware(InflightDoneMiddleware):
    """Downloader middleware (below Retry): a download that failed for good is done with too."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        if not jobdir_enabled(crawler.settings):
            raise NotConfigured
        return cls(crawler)


__all__ = [
    "FRONTIER_FILE",
    "JobdirDoneMiddleware",
    "JobdirOutputMiddleware",
    "JobdirScheduler",
    "jobdir_enabled",
]
