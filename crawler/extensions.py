"""Crawl-wide extensions: the crawl-run record and the optional WARC file.

`CrawlRunRecorder` opens a `storage.models.CrawlRun` when the spider opens (its id goes into the stats,
where the pipelines find it) and closes it when the spider closes — after the item pipelines have
flushed — with:

- status ``finished`` when Scrapy's close reason is ``finished``, else ``interrupted`` (Ctrl-C,
  ``CLOSESPIDER_*``, shutdown); a crawl that raised before any request is ``failed``;
- a crawl killed outright (kill -9, power loss) never closes its run, so when a crawl of a profile
  starts, the runs of that profile still ``running`` whose process is gone are closed ``interrupted``
  first (`stale_runs`: the run notes its ``worker_pid``; a run whose pid is alive on this machine is
  left alone). In distributed mode (`crawler.distributed`) runs of other workers are never touched
  here: the frontier coordinator interrupts a worker's run once its heartbeat has stopped;
- counts: report outcomes (new / changed / unchanged / blocked / failed), requests, responses,
  captures, list pages, parse errors;
- errors: the pipelines' entries (``parse:<kind>``, ``store:failed``, ``archive:<Exception>``, with URL and
  reason), one ``blocked:<kind>`` entry per page in the challenge ledger
  (`crawler.middlewares.challenge.blocked_pages`) and ``http:<status>`` entries for pages the portal
  answered with an error status (`crawler.spidermiddlewares.CaptureMiddleware`).

`WarcExport` writes every downloaded response — as it came off the wire, before decompression or any
middleware — as a WARC/1.0 ``response`` record followed by its ``request`` record (warcio 1.8, gzip per
record), with a ``warcinfo`` record first. Challenge pages are in it too: the WARC is the audit trail.

Settings: ``NIANBAOKU_CRAWL_RUN_ENABLED`` (False, or the archive pipeline off: `NotConfigured`),
``NIANBAOKU_WARC_PATH`` (None: no WARC). Stats: ``nianbaoku/warc/records``.
"""

from __future__ import annotations

import io
import logging
import os
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from crawler.pipelines import RUN_ID_KEY, crawl_store, run_errors

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

#: Stats keys copied into the run's counts, under the names shown.
COUNT_KEYS = {
    "new": "nianbaoku/store/new",
    "changed": "nianbaoku/store/changed",
    "unchanged": "nianbaoku/store/unchanged",
    "failed": "nianbaoku/store/failed",
    "requests": "downloader/request_count",
    "responses": "downloader/response_count",
    "not_modified": "nianbaoku/archive/not_modified",
    "captures_new": "nianbaoku/archive/new",
    "list_pages": "nianbaoku/list_pages",
    "details": "nianbaoku/details",
    "attachments": "nianbaoku/attachments",
}


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The crawl run's counters from a crawl's stats: outcomes, requests, parse errors (see module)."""
    counts = {name: int(stats.get(key) or 0) for name, key in COUNT_KEYS.items()}
    blocked_pages = sum(int(v) for k, v in stats.items() if k.startswith("nianbaoku/blocked/"))
    counts["blocked"] = blocked_pages + int(stats.get("nianbaoku/store/blocked") or 0)
    counts["parse_errors"] = sum(int(v) for k, v in stats.items() if k.startswith("nianbaoku/parse/error/"))
    return counts


def blocked_errors(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """``blocked:<kind>`` error entries from the challenge ledger."""
    from crawler.middlewares.challenge import LEDGER_KEY

    return [{"error": f"blocked:{kind}", "url": url} for url, kind in stats.get(LEDGER_KEY) or []]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_runs(session: Any, profile: str) -> list[Any]:
    """Runs of `profile` still ``running`` whose process is gone (no ``worker_pid`` alive here)."""
    from sqlalchemy import select

    from storage.models import CrawlRun

    runs = session.scalars(select(CrawlRun).where(CrawlRun.profile == profile, CrawlRun.status == "running"))
    stale = []
    for run in runs:
        pid = (run.counts or {}).get("worker_pid")
        if not (isinstance(pid, int) and pid != os.getpid() and _pid_alive(pid)):
            stale.append(run)
    return stale


def interrupt_runs(session: Any, run_ids: list[int], *, reason: str) -> int:
    """Close the given runs that are still ``running`` as ``interrupted``, with an ``interrupted``
    error entry saying why (their counts are what they were: the process died before writing more)."""
    from storage.models import CrawlRun
    from storage.repository import finish_crawl_run

    closed = 0
    for run_id in run_ids:
        run = session.get(CrawlRun, run_id)
        if run is None or run.status != "running":
            continue
        finish_crawl_run(session, run, status="interrupted", errors=[{"error": "interrupted", "url": None,
                                                                      "reason": reason}])
        logger.warning("Crawl run #%s of %s was left running (%s): marked interrupted", run_id,
                       run.profile, reason)
        closed += 1
    return closed


def list_end_errors(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """``list:max_pages``: paging stopped at the profile's ``pagination.max_pages`` — the list may go on
    (or never end: a broken pager). Other list ends (last page, stub, all seen) are normal."""
    n = int(stats.get("nianbaoku/list_end/max_pages") or 0)
    if not n:
        return []
    return [{"error": "list:max_pages", "url": None,
             "reason": f"paging stopped {n}× at pagination.max_pages; the list may be longer or never end"}]


class CrawlRunRecorder:
    """Opens and closes the crawl run of each spider; see the module docstring."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from crawler.incremental import store_backed

        if not crawler.settings.getbool("NIANBAOKU_CRAWL_RUN_ENABLED", True):
            raise NotConfigured("NIANBAOKU_CRAWL_RUN_ENABLED is False")
        if not store_backed(crawler.settings):
            raise NotConfigured  # no message: nothing of this crawl goes to the store, nothing to warn of
        o = cls(crawler)
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def spider_opened(self, spider: Spider) -> None:
        from storage.repository import start_crawl_run, update_crawl_run

        profile = getattr(getattr(spider, "profile", None), "id", None) or spider.name
        store = crawl_store(self.crawler)
        distributed = self.crawler.settings.getbool("NIANBAOKU_DISTRIBUTED")

        def start(session: Any) -> int:
            if not distributed:
                interrupt_runs(session, [r.id for r in stale_runs(session, profile)], reason="process gone")
            run = start_crawl_run(session, profile)
            update_crawl_run(session, run, counts={"worker_pid": os.getpid()})
            return run.id

        self.run_id = store.run(start)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value(RUN_ID_KEY, self.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        from storage.models import CrawlRun
        from storage.repository import finish_crawl_run

        if self.run_id is None:
            return
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        status = "finished" if reason == "finished" else "interrupted"
        errors = run_errors(self.crawler.stats) + blocked_errors(stats) + list_end_errors(stats)
        counts = run_counts(stats)

        def finish(session: Any) -> None:
            run = session.get(CrawlRun, self.run_id)
            finish_crawl_run(session, run, status=status, counts=counts, errors=errors)

        crawl_store(self.crawler).run(finish)
        logger.info("Crawl run #%s %s: %s", self.run_id, status, counts)


# --- WARC ------------------------------------------------------------------------------------------


def _headers(headers: Any, *, drop: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    out = []
    for key, values in headers.items():
        name = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if name.lower() in drop:
            continue
        for value in values if isinstance(values, list | tuple) else [values]:
            out.append((name, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return out


def write_exchange(writer: Any, request: Request, response: Response) -> int:
    """Write `response` (as downloaded) and then `request` as WARC records; returns records written.

    ``Transfer-Encoding`` is renamed ``X-Archive-Orig-Transfer-Encoding`` (the body is already
    de-chunked, so a reader must not try again), the usual convention of web archives.
    """
    from warcio.statusandheaders import StatusAndHeaders

    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    protocol = getattr(response, "protocol", None) or "HTTP/1.1"
    resp_headers = _headers(response.headers, drop=("transfer-encoding",))
    resp_headers += [
        ("X-Archive-Orig-Transfer-Encoding", value)
        for name, value in _headers(response.headers)
        if name.lower() == "transfer-encoding"
    ]
    http = StatusAndHeaders(f"{response.status} {reason}", resp_headers, protocol=protocol)
    body = response.body or b""
    record = writer.create_warc_record(
        response.url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
    )
    writer.write_record(record)

    parts = urlparse_cached(request)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    req_headers = _headers(request.headers)
    if not any(k.lower() == "host" for k, _ in req_headers):
        req_headers.insert(0, ("Host", parts.netloc))
    req_http = StatusAndHeaders(
        f"{request.method} {target} {protocol}", req_headers, protocol=protocol, is_http_request=True
    )
    req_body = request.body or b""
    req_record = writer.create_warc_record(
        request.url,
        "request",
        payload=io.BytesIO(req_body),
        length=len(req_body),
        http_headers=req_http,
        warc_headers_dict={"WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID")},
    )
    writer.write_record(req_record)
    return 2


class WarcExport:
    """Writes every downloaded response and its request to ``NIANBAOKU_WARC_PATH``; see module."""

    def __init__(self, path: Path, crawler: Crawler | None = None):
        from warcio.warcwriter import WARCWriter

        self.path = path
        self.crawler = crawler
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "ab")  # noqa: SIM115 - closed on engine_stopped
        self.writer = WARCWriter(self.fh, gzip=True)
        info = self.writer.create_warcinfo_record(
            path.name,
            {
                "software": "nianbaoku (Scrapy, warcio)",
                "format": "WARC File Format 1.0",
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        self.writer.write_record(info)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("NIANBAOKU_WARC_PATH")
        if not path:
            raise NotConfigured  # off unless asked for (--warc): no warning on every crawl
        o = cls(Path(path), crawler)
        crawler.signals.connect(o.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(o.close, signal=signals.engine_stopped)
        return o

    def response_downloaded(self, response: Response, request: Request, spider: Spider | None = None) -> None:
        written = write_exchange(self.writer, request, response)
        self.fh.flush()  # several crawls of one process may append to the same file: whole records only
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("nianbaoku/warc/records", written)

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.close()


__all__ = [
    "CrawlRunRecorder",
    "WarcExport",
    "blocked_errors",
    "interrupt_runs",
    "list_end_errors",
    "run_counts",
    "stale_runs",
    "write_exchange",
]
