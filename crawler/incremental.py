"""Incremental re-crawl: which report URLs the archive already knew before this crawl began.

A 年报 column lists the newest reports first. On a re-crawl, a list page whose every report link is
already archived means the rest of the column is older still: the portal spider stops paging there
(``nianbaoku/list_end/all_known``). The known links on that page are still fetched — conditionally
(`crawler.middlewares.conditional`), so a report revised in place is caught with a 304 for all others.

"Known" is a snapshot: a detail or attachment capture of the URL first fetched *before* this crawl
started, so pages archived during the crawl (a column listing the same link twice) never stop it.

`known_urls(crawler)` is what ``NIANBAOKU_KNOWN_URLS`` names; the spider calls it once and then asks
``known(url) -> bool`` per list link. It returns None (no incremental stop) when
``NIANBAOKU_INCREMENTAL`` is False or the crawl does not archive to the store (the archive pipeline is
not in ``ITEM_PIPELINES``, e.g. the spider tests' JSONL harness).

`archived_urls(crawler)` (``NIANBAOKU_ARCHIVED_URLS``, this function by default) answers a different
question: does the archive hold *any* detail/attachment capture of `url`, including one made earlier in
this crawl? The spider asks it for the attachment links of an unchanged report page (a 304 replayed
from the archive, `crawler.middlewares.conditional`): a stub whose attachment was never archived (its
fetch failed, the crawl was stopped) gets it fetched now; one whose attachments are all archived costs
no request at all. It is not an incremental *policy* — switching ``NIANBAOKU_INCREMENTAL`` off does not
switch it off — only a fact about the archive; None when the crawl does not archive to the store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from crawler.pipelines import crawl_store
from storage.models import Capture
from storage.repository import url_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from storage.db import Store

ARCHIVE_PIPELINE = "crawler.pipelines.archive.ArchivePipeline"
KNOWN_KINDS = ("detail", "attachment")


def store_backed(settings: BaseSettings) -> bool:
    """Whether this crawl archives into the store (the archive pipeline is enabled)."""
    pipelines = settings.getdict("ITEM_PIPELINES")
    return any(
        (key if isinstance(key, str) else f"{key.__module__}.{key.__qualname__}") == ARCHIVE_PIPELINE
        and value is not None
        for key, value in pipelines.items()
    )


class KnownUrls:
    """``known(url)``: the archive held a detail/attachment capture of `url` before `since` (with
    ``snapshot=False``: at the time of asking, whenever it was made)."""

    def __init__(self, store: Store, since: datetime | None = None, *, snapshot: bool = True):
        self.store = store
        self.since = since or datetime.now(UTC)
        self.snapshot = snapshot

    def __call__(self, url: str) -> bool:
        query = select(Capture.id).where(
            Capture.url_key == url_key(url), Capture.url == url, Capture.kind.in_(KNOWN_KINDS)
        )
        if self.snapshot:
            query = query.where(Capture.fetched_at < self.since)
        with self.store.Session() as session:
            found = session.scalars(query.limit(1)).first()
        return found is not None


def known_urls(crawler: Crawler) -> Callable[[str], bool] | None:
    """The spider's known-URL check for this crawl, or None (see the module docstring)."""
    settings = crawler.settings
    if not settings.getbool("NIANBAOKU_INCREMENTAL", True) or not store_backed(settings):
        return None
    return KnownUrls(crawl_store(crawler))


def archived_urls(crawler: Crawler) -> Callable[[str], bool] | None:
    """``archived(url)``: any detail/attachment capture of `url` so far; None when the crawl does not
    archive to the store (see the module docstring)."""
    if not store_backed(crawler.settings):
        return None
    return KnownUrls(crawl_store(crawler), snapshot=False)


__all__ = ["KnownUrls", "archived_urls", "known_urls", "store_backed"]
