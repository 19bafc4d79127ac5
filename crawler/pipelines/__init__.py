"""Item pipelines: archive ─► parse ─► store. What happens to the bytes a spider captured.

=========  =====  ==============================================================================
module     order  job
=========  =====  ==============================================================================
archive    100    every captured response (list page, detail page, attachment) → blob + capture row,
                  *before* anything interprets it; a 304 adds nothing and points at the capture it
                  equals (`ArchivePipeline`)
parse      200    detail pages and attachments → `parsers.report.parse` (pure, in a worker thread);
                  a parse error is recorded and the item goes on; a challenge page is never a report
                  (`ParsePipeline`)
store      300    a detail page and its attachments → one report version, the better-filled parse
                  recorded on it; outcomes new / changed / unchanged / blocked / failed counted
                  (`StorePipeline`)
=========  =====  ==============================================================================

Why this order (``ITEM_PIPELINES`` in crawler/settings.py): bytes are archived before anything reads
them (architecture.md, "Rules of the house"), so a parser crash or a store error can never lose a fetch,
and a parse can always be redone from the archive; the store step needs both the capture rows and the
parse results.

Keys the pipelines add to an item (the spider's keys are listed in `spiders.portal`):

``capture_id``   id of the `storage.models.Capture` holding the bytes (archive)
``sha256``       digest of the bytes (archive)
``archived``     ``new`` (bytes not seen at this URL before), ``same`` (identical bytes again) or
                 ``not_modified`` (304: nothing fetched, the previous capture stands) (archive)
``parsed``       the ``ParseResult.to_dict()`` of the document, or None (parse)
``parse_error``  ``{"kind": ..., "reason": ...}`` when the document could not be parsed (parse)

The pipelines share one open store per crawl (`crawl_store`) and report errors for the crawl run through
the crawl's stats (`record_error`), which `crawler.extensions.CrawlRunRecorder` writes to the run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from crawler.config import StoreConfig
    from storage.db import Store

logger = logging.getLogger(__name__)

#: Stats key holding the id of this crawl's `CrawlRun` (set by `crawler.extensions.CrawlRunRecorder`).
RUN_ID_KEY = "nianbaoku/crawl_run_id"
#: Stats key of the run's error entries (``{"error": ..., "url": ...}``), written to the run at close.
ERRORS_KEY = "nianbaoku/run_errors"
#: How many error entries a run keeps in full; later ones only count ``nianbaoku/run_errors_unlisted``.
ERRORS_MAX = 1000

#: Item kinds the pipelines handle; anything else passes through untouched.
CAPTURED_KINDS = ("list", "detail", "attachment", "other")

_STORES: WeakKeyDictionary[Crawler, Store] = WeakKeyDictionary()


def store_config(settings: BaseSettings) -> StoreConfig:
    """The store a crawl writes to: ``NIANBAOKU_DATA_DIR`` / ``DATABASE_URL`` when set above the
    project defaults (command line, spider), else `crawler.config.resolve()` (environment, defaults) —
    the same store the conditional-request middleware reads validators from."""
    from crawler.config import resolve

    def explicit(name: str) -> Any:
        priority = settings.getpriority(name)
        return settings.get(name) if priority is not None and priority > 20 else None  # 20 = "project"

    return resolve(data_dir=explicit("NIANBAOKU_DATA_DIR"), database_url=explicit("DATABASE_URL"))


def crawl_store(crawler: Crawler) -> Store:
    """The store of this crawl, opened (and if new, created) on first use and closed when the engine
    stops. Pipelines and extensions share it, so one crawl holds one connection pool."""
    store = _STORES.get(crawler)
    if store is None:
        from storage.db import open_store

        store = open_store(store_config(crawler.settings))
        _STORES[crawler] = store

        def close() -> None:
            opened = _STORES.pop(crawler, None)
            if opened is not None:
                opened.close()

        crawler.signals.connect(close, signal=signals.engine_stopped, weak=False)
    return store


def run_id(stats: StatsCollector | None) -> int | None:
    """The id of the crawl run being recorded, or None when no run is recorded."""
    return stats.get_value(RUN_ID_KEY) if stats is not None else None


def record_error(stats: StatsCollector | None, url: str | None, error: str, **extra: Any) -> None:
    """Add an error entry to the crawl run (``{"error": error, "url": url, ...}``), capped at
    `ERRORS_MAX` entries so a portal that fails everywhere cannot bloat the run row."""
    if stats is None:
        return
    errors = stats.get_value(ERRORS_KEY)
    if errors is None:
        errors = []
        stats.set_value(ERRORS_KEY, errors)
    if len(errors) < ERRORS_MAX:
        errors.append({"error": error, "url": url, **extra})
    else:
        stats.inc_value("nianbaoku/run_errors_unlisted")


def run_errors(stats: StatsCollector) -> list[dict[str, Any]]:
    """The error entries recorded so far (copies)."""
    return [dict(e) for e in stats.get_value(ERRORS_KEY) or []]


#: The reason an attachment request does not arrive when it was filtered as already seen (not a failure):
#: the frontiers (`crawler.distributed`, `crawler.jobdir`) send it, the store pipeline reads it.
FILTERED = "filtered"


__all__ = [
    "CAPTURED_KINDS",
    "ERRORS_KEY",
    "FILTERED",
    "RUN_ID_KEY",
    "crawl_store",
    "record_error",
    "run_errors",
    "run_id",
    "store_config",
]
