"""Incremental re-crawl: which report URLs the archive already knew before this crawl began.

A 年报 column lists the newest reports first. On a re-crawl, a list page whose every report link is
already archived means the rest of the column is older still: the portal spider stops paging there
(``nianbaoku/list_end/all_known``). The known links on that page are still fetched — conditionally
(`crawler.middlewares.conditional`), so a report revised in place is caught with a 304 for all others.

"Known" is a snapshot: a detail or attachment capture of the URL first fetched *before* this crawl
started, so pages archived during the crawl (a column listing the same link twice) never stop it.

The stop is trusted only after a crawl of the same profile that **read its whole listing**: when the
profile's last crawl before this one was interrupted or failed (killed, Ctrl-C), or one of its *list*
page fetches failed (``download:*`` / ``http:*`` errors with role ``list`` on the run), that run may
have archived the reports of list page 1 and never seen page 2 — stopping at page 1 now would leave the
older reports unfetched for good. Then every link counts as unknown for this crawl (one full pass, stat
``nianbaoku/incremental/untrusted``), and the next crawl, after this one finishes, is incremental again.

`known_urls(crawler)` is what ``NIANBAOKU_KNOWN_URLS`` names; the spider calls it once and then asks
``known(url) -> bool`` per list link. It returns None (no incremental stop) when
``NIANBAOKU_INCREMENTAL`` is False or the crawl does not archive to the store (the archive pipeline is
not in ``ITEM_PIPELINES``, e.g. the spider tests' JSONL harness).

`archived_urls(crawler)` (``NIANBAOKU_ARCHIVED_URLS``, this function by default) answers a different
question: is the last detail/attachment capture of `url` — made before or during this crawl — *stored*,
held by a report version? The spider asks it for the attachment links of an unchanged report page (a
304 replayed from the archive, `crawler.middlewares.conditional`): a stub whose attachment was never
archived (its fetch failed, the crawl was stopped) gets it fetched now; one whose attachments are all
stored costs no request at all. Archived is not enough: a crawl killed between a file's archive and its
report's store leaves a capture no version holds, and a page that counted it as "there" would be stored
without it — the file linked to nothing, for good. Counted as missing, it is requested again
(conditionally: its 304 stands for the archived capture, which the store then links). It is not an
incremental *policy* — switching ``NIANBAOKU_INCREMENTAL`` off does not switch it off — only a fact
about the archive; None when the crawl does not archive to the store.

`capture_stored(session, capture_id)` is that fact for one capture (also used by the conditional
middleware's validator source: a report page no version holds is fetched in full, not replayed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from crawler.pipelines import crawl_store
from storage.models import Capture, CrawlRun, report_version_captures
from storage.repository import url_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from sqlalchemy.orm import Session

    from storage.db import Store

ARCHIVE_PIPELINE = "crawler.pipelines.archive.ArchivePipeline"
KNOWN_KINDS = ("detail", "attachment")

logger = logging.getLogger(__name__)


def store_backed(settings: BaseSettings) -> bool:
    """Whether this crawl archives into the store (the archive pipeline is enabled)."""
    pipelines = settings.getdict("ITEM_PIPELINES")
    return any(
        (key if isinstance(key, str) else f"{key.__module__}.{key.__qualname__}") == ARCHIVE_PIPELINE
        and value is not None
        for key, value in pipelines.items()
    )


def capture_stored(session: Session, capture_id: int) -> bool:
    """Whether a report version holds the capture: its report was stored (a crawl killed between the
    capture's archive and its report's store leaves one that no version holds)."""
    query = select(report_version_captures.c.capture_id).where(
        report_version_captures.c.capture_id == capture_id
    )
    return session.scalars(query.limit(1)).first() is not None


def last_run_listed_all(session: Session, profile: str, before: datetime) -> bool:
    """Whether the last closed crawl run of `profile` started before `before` finished with no failed
    list page (True when there is none: nothing is archived yet, so nothing can stop a crawl wrongly).

    Runs still ``running`` are skipped: in distributed mode they are this crawl's sibling workers; a
    plain crawl's dead run has been closed as interrupted by the time this is asked (when the spider
    opens, `crawler.extensions`)."""
    query = (
        select(CrawlRun)
        .where(CrawlRun.profile == profile, CrawlRun.started_at < before, CrawlRun.status != "running")
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
    )
    run = session.scalars(query.limit(1)).first()
    if run is None:
        return True
    if run.status != "finished":
        return False
    failed = ("download:", "http:")
    return not any(
        isinstance(e, dict) and e.get("role") == "list" and str(e.get("error", "")).startswith(failed)
        for e in run.errors or []
    )


class KnownUrls:
    """``known(url)``: the archive held a detail/attachment capture of `url` before `since` (with
    ``snapshot=False``: at the time of asking, whenever it was made; with ``stored=True``: and the last
    such capture of `url` is held by a report version, see `capture_stored`).

    `profile`, when given (a name or a callable giving it, asked at the first call), makes every URL
    unknown unless that profile's last earlier crawl read its whole listing (see the module docstring).
    It is asked lazily because stale runs are closed as interrupted when the spider opens, after this
    is built."""

    def __init__(
        self,
        store: Store,
        since: datetime | None = None,
        *,
        snapshot: bool = True,
        stored: bool = False,
        profile: str | Callable[[], str | None] | None = None,
        on_untrusted: Callable[[], None] | None = None,
    ):
        self.store = store
        self.since = since or datetime.now(UTC)
        self.snapshot = snapshot
        self.stored = stored
        self.profile = profile
        self.on_untrusted = on_untrusted
        self._trusted: bool | None = None if profile is not None else True

    def trusted(self) -> bool:
        """Whether the archive's answers may stop this crawl (the profile's last crawl finished)."""
        if self._trusted is None:
            name = self.profile() if callable(self.profile) else self.profile
            with self.store.Session() as session:
                self._trusted = name is None or last_run_listed_all(session, name, self.since)
            if not self._trusted:
                logger.warning(
                    "The last crawl of %s did not finish or lost a list page: every list page is read "
                    "this time (no incremental stop), so reports it never reached are fetched now", name
                )
                if self.on_untrusted is not None:
                    self.on_untrusted()
        return self._trusted

    def __call__(self, url: str) -> bool:
        if not self.trusted():
            return False
        query = select(Capture.id).where(
            Capture.url_key == url_key(url), Capture.url == url, Capture.kind.in_(KNOWN_KINDS)
        )
        if self.snapshot:
            query = query.where(Capture.fetched_at < self.since)
        if self.stored:  # the last fetch decides: a file revised, then killed before its store, is due
            query = query.order_by(Capture.last_fetched_at.desc(), Capture.id.desc())
        with self.store.Session() as session:
            found = session.scalars(query.limit(1)).first()
            return found is not None and (not self.stored or capture_stored(session, found))


def known_urls(crawler: Crawler) -> Callable[[str], bool] | None:
    """The spider's known-URL check for this crawl, or None (see the module docstring)."""
    settings = crawler.settings
    if not settings.getbool("NIANBAOKU_INCREMENTAL", True) or not store_backed(settings):
        return None

    def profile() -> str | None:
        return getattr(getattr(crawler.spider, "profile", None), "id", None)

    def untrusted() -> None:
        if crawler.stats is not None:
            crawler.stats.set_value("nianbaoku/incremental/untrusted", 1)

    return KnownUrls(crawl_store(crawler), profile=profile, on_untrusted=untrusted)


def archived_urls(crawler: Crawler) -> Callable[[str], bool] | None:
    """``archived(url)``: the last detail/attachment capture of `url` so far is stored in a report
    version; None when the crawl does not archive to the store (see the module docstring)."""
    if not store_backed(crawler.settings):
        return None
    return KnownUrls(crawl_store(crawler), snapshot=False, stored=True)


__all__ = [
    "KnownUrls",
    "archived_urls",
    "capture_stored",
    "known_urls",
    "last_run_listed_all",
    "store_backed",
]
