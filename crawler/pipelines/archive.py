"""Archive first: every captured response becomes a capture in the blob store before anything reads it.

`ArchivePipeline` takes the spider's capture items (``kind`` list / detail / attachment / other, with
``body``, ``status``, ``headers``, ``content_type``, ``url``) and calls `archive_item`, one short unit of
work per item:

- a response with bytes → `storage.repository.store_capture` (bytes to the blob archive, then the row);
  identical bytes from the same URL re-use the row (``archived = "same"``), new bytes add one
  (``archived = "new"``);
- a 304 to a conditional request (``not_modified`` on the item, set from the conditional middleware's
  meta) stores nothing: the capture it equals (``previous_sha256``) is looked up and only its
  ``last_fetched_at`` moves (``archived = "not_modified"``). A 304 whose capture is gone from the
  archive cannot be used (`ArchiveError`): the item is dropped and the run records why.

The item gets ``capture_id``, ``sha256`` and ``archived``; list items end their journey here (parse and
store ignore them).

Settings: ``NIANBAOKU_ARCHIVE_ENABLED`` (False: `NotConfigured`); the store: `crawler.pipelines.crawl_store`.
Stats: ``nianbaoku/archive/status_count/<status>``, ``nianbaoku/archive/<archived>``,
``nianbaoku/archive/error/<ExceptionName>``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured
from sqlalchemy import select

from crawler.pipelines import CAPTURED_KINDS, crawl_store, record_error, run_id
from storage.models import Capture, CrawlRun
from storage.repository import last_capture, store_capture, url_key

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from sqlalchemy.orm import Session

    from storage.blobs import BlobStore
    from storage.db import Store

logger = logging.getLogger(__name__)


class ArchiveError(Exception):
    """A captured item could not be archived; says which URL and why."""

    def __init__(self, url: str, why: str):
        self.url = url
        self.why = why
        super().__init__(f"{url}: {why}")


@dataclass(frozen=True, slots=True)
class Archived:
    """Where an item's bytes ended up: the capture row, its digest, and ``new``/``same``/``not_modified``."""

    capture_id: int
    sha256: str
    archived: str


def _previous_capture(session: Session, url: str, sha256: str | None) -> Capture | None:
    if sha256:
        found = session.scalars(
            select(Capture)
            .where(Capture.url_key == url_key(url), Capture.sha256 == sha256, Capture.url == url)
            .order_by(Capture.id.desc())
            .limit(1)
        ).first()
        if found is not None:
            return found
    return last_capture(session, url)


def archive_item(
    session: Session,
    blobs: BlobStore,
    item: dict[str, Any],
    *,
    crawl_run_id: int | None = None,
    fetched_at: datetime | None = None,
) -> Archived:
    """Archive one captured item (see the module docstring); raises `ArchiveError` for a 304 without
    a capture to stand for it, or an item without a URL."""
    url = item.get("url")
    if not url:
        raise ArchiveError("<no url>", "a captured item must carry the URL it was fetched from")
    fetched_at = fetched_at or datetime.now(UTC)
    if item.get("not_modified"):
        previous = _previous_capture(session, url, item.get("previous_sha256"))
        if previous is None:
            raise ArchiveError(
                url,
                "answered 304 Not Modified but the archive holds no capture of it (was the store "
                "replaced between crawls?); it will be fetched in full next time",
            )
        previous.last_fetched_at = max(previous.last_fetched_at, fetched_at)
        session.flush()
        return Archived(previous.id, previous.sha256, "not_modified")
    run = session.get(CrawlRun, crawl_run_id) if crawl_run_id is not None else None
    capture = store_capture(
        session,
        blobs,
        item.get("body") or b"",
        url=url,
        final_url=item.get("final_url") or url,
        status=item.get("status"),
        headers=item.get("headers"),
        content_type=item.get("content_type"),
        fetched_at=fetched_at,
        crawl_run=run,
        kind=item.get("kind") or "other",
    )
    return Archived(capture.id, capture.sha256, "new" if capture.fetch_count == 1 else "same")


class ArchivePipeline:
    """Item pipeline wrapping `archive_item`; see the module docstring."""

    def __init__(self, store: Store, stats: StatsCollector | None = None):
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAOKU_ARCHIVE_ENABLED", True):
            raise NotConfigured("NIANBAOKU_ARCHIVE_ENABLED is False")
        return cls(crawl_store(crawler), crawler.stats)

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, dict) or item.get("kind") not in CAPTURED_KINDS:
            return item
        self._inc(f"nianbaoku/archive/status_count/{item.get('status')}")
        try:
            done = self.store.run(
                lambda s: archive_item(s, self.store.blobs, item, crawl_run_id=run_id(self.stats))
            )
        except Exception as exc:  # the run goes on; the reason is recorded with the URL
            name = type(exc).__name__
            self._inc(f"nianbaoku/archive/error/{name}")
            record_error(self.stats, item.get("url"), f"archive:{name}", reason=str(exc)[:500])
            logger.error("Could not archive %s: %s", item.get("url"), exc)
            raise DropItem(f"not archived: {exc}") from exc
        item["capture_id"], item["sha256"], item["archived"] = done.capture_id, done.sha256, done.archived
        self._inc(f"nianbaoku/archive/{done.archived}")
        return item


__all__ = ["ArchiveError", "ArchivePipeline", "Archived", "archive_item"]
