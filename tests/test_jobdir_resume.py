"""Resume of a single-machine crawl through its JOBDIR (`crawler.jobdir`), without Redis.

The end-to-end tests run ``python -m crawler crawl --jobdir DIR`` as a real process against a slow replica
portal with a SQLite store, stop it half-way — ``kill -9``, or a graceful SIGINT/SIGTERM — and start the
same command again: every report ends up stored exactly once, the stopped run says ``interrupted``, and
the resumed run does not fetch again what the first one had finished (the replica counts hits per path).
The scheduler's own rules (duplicate filter, in-flight rows reclaimed, file cleared when finished) are
tested in-process first.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.core.scheduler import Scheduler
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from crawler.config import PROJECT_ROOT, resolve
from crawler.distributed import FILTERED as FRONTIER_FILTERED
from crawler.distributed import META_INFLIGHT, META_RECLAIMED, _Pending
from crawler.jobdir import FRONTIER_FILE, JobdirScheduler, jobdir_enabled
from crawler.middlewares.conditional import wants_conditional
from crawler.pipelines.archive import archive_item
from storage.db import Store, open_store
from storage.models import Capture, CrawlRun, Report, report_version_captures
from tests.cli import run_crawler
from tests.replica.server import ReplicaServer, Req, Resp, Site
from tests.replica.sites import SiteSpec, agency_names
from tests.replica.workers import FAST, bind_profile, start_worker, worker_env
from tests.test_distributed import pg_database, redis_prefix, store_facts  # noqa: F401 - fixtures

# --- the scheduler in-process ------------------------------------------------------------------------


class _Spider(scrapy.Spider):
    name = "jobdir-test"

    def parse(self, response: Any, **kwargs: Any) -> None:  # a spider method: requests can be pickled
        return None


def _scheduler(jobdir: Path | None) -> Any:
    settings = {"SCHEDULER": "crawler.jobdir.JobdirScheduler"}
    if jobdir is not None:
        settings["JOBDIR"] = str(jobdir)
    crawler = get_crawler(_Spider, settings)
    crawler.spider = _Spider()
    scheduler = JobdirScheduler.from_crawler(crawler)
    if type(scheduler) is JobdirScheduler:  # (isinstance is duck-typed for schedulers)
        scheduler.open(crawler.spider)
    return scheduler


def _req(spider_url: str, **kw: Any) -> scrapy.Request:
    return scrapy.Request(spider_url, callback=_Spider().parse, **kw)


def test_without_jobdir_it_is_scrapys_scheduler() -> None:
    assert type(_scheduler(None)) is Scheduler
    assert not jobdir_enabled(get_crawler(_Spider, {"SCHEDULER": "crawler.jobdir.JobdirScheduler"}).settings)


def test_a_killed_run_leaves_its_frontier_and_in_flight_requests_come_back(tmp_path: Path) -> None:
    first = _scheduler(tmp_path)
    assert first.enqueue_request(_req("http://a.test/1"))
    assert first.enqueue_request(_req("http://a.test/2", priority=5))
    assert not first.enqueue_request(_req("http://a.test/1"))  # the duplicate filter
    assert first.enqueue_request(_req("http://a.test/1", dont_filter=True))
    taken = first.next_request()
    assert taken is not None and taken.url == "http://a.test/2"  # priority first
    assert taken.meta[META_INFLIGHT]
    assert len(first) == 2
    first.db.close()  # no close(): the process died (kill -9)

    second = _scheduler(tmp_path)
    assert len(second) == 3  # the two queued, and the one left in flight
    assert not second.enqueue_request(_req("http://a.test/2"))  # still seen after the "crash"
    again = second.next_request()
    assert again is not None and again.url == "http://a.test/2" and again.meta.get(META_RECLAIMED)
    # fetched in full: the dead run may have archived it without storing its report (a 304 has no links)
    assert not wants_conditional(again, None) and wants_conditional(_req("http://a.test/2"), None)
    assert again.meta[META_INFLIGHT] == [taken.meta[META_INFLIGHT][-1]]
    token = _Pending(fps=again.meta[META_INFLIGHT], output_done=True)
    second.release(token)  # its output is stored: it leaves the file
    urls = sorted(r.url for r in iter(second.next_request, None))
    assert urls == ["http://a.test/1", "http://a.test/1"]
    second.close("shutdown")
    assert (tmp_path / FRONTIER_FILE).exists()  # kept for the next run: those two are still in flight

    third = _scheduler(tmp_path)
    assert len(third) == 2 and third.stats.get_value("nianbaoku/jobdir/reclaimed") == 2
    third.close("finished")
    assert not (tmp_path / FRONTIER_FILE).exists()  # finished: the next crawl starts afresh
    fresh = _scheduler(tmp_path)
    assert len(fresh) == 0 and fresh.enqueue_request(_req("http://a.test/1"))


def test_a_jobdir_holds_one_crawl(tmp_path: Path) -> None:
    first = _scheduler(tmp_path)
    assert first.enqueue_request(_req("http://a.test/1"))
    first.close("shutdown")
    crawler = get_crawler(_Spider, {"SCHEDULER": "crawler.jobdir.JobdirScheduler", "JOBDIR": str(tmp_path)})
    other = JobdirScheduler.from_crawler(crawler)
    spider = _Spider(name="another-profile")
    with pytest.raises(ValueError, match="holds the unfinished crawl of 'jobdir-test'"):
        other.open(spider)


def test_attachments_wait_in_memory_and_unpicklable_requests_too(tmp_path: Path) -> None:
    first = _scheduler(tmp_path)
    assert first.enqueue_request(_req("http://a.test/f.pdf", meta={"nianbaoku_role": "attachment"}))
    assert first.enqueue_request(scrapy.Request("http://a.test/lambda", callback=lambda r: None))
    assert first.stats.get_value("scheduler/unserializable") == 1
    assert len(first) == 2
    first.db.close()
    second = _scheduler(tmp_path)
    assert len(second) == 0  # nothing of them in the file…
    assert not second.enqueue_request(_req("http://a.test/f.pdf"))  # …but the filter remembers them


def test_jobdir_option_is_documented_and_holds_one_crawl(tmp_path: Path) -> None:
    assert "--jobdir" in run_crawler(tmp_path, "crawl", "--help").stdout
    refused = run_crawler(tmp_path, "crawl", "--all", "--jobdir", str(tmp_path / "job"))
    assert refused.returncode == 2 and "one directory holds one crawl" in refused.stderr
    assert not (tmp_path / "job").exists()


# --- crawls in real processes ------------------------------------------------------------------------

SETTINGS = {"CONCURRENT_REQUESTS": "4", "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}


def _start(profile: str, profiles: Path, env: dict[str, str], log: Path, jobdir: Path) -> subprocess.Popen:
    """``python -m crawler crawl --profile P --jobdir DIR`` with the replica-fast settings."""
    cmd = [sys.executable, "-m", "crawler", "crawl", "--profile", profile, "--profiles-dir", str(profiles),
           "--jobdir", str(jobdir), "--no-progress", "--log-level", "INFO"]
    for k, v in {**FAST, **SETTINGS}.items():
        cmd += ["--set", f"{k}={v}"]
    fh = open(log, "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)


def _reports(store: Store) -> int:
    with store.Session() as s:
        return int(s.scalar(select(func.count(Report.id))) or 0)


def _frontier(jobdir: Path) -> tuple[int, int, int]:
    """(seen fingerprints, queued requests, requests in flight) in the JOBDIR's frontier file."""
    db = sqlite3.connect(jobdir / FRONTIER_FILE)
    try:
        seen = db.execute("SELECT count(*) FROM seen").fetchone()[0]
        queued, inflight = db.execute(
            "SELECT count(*) - coalesce(sum(inflight), 0), coalesce(sum(inflight), 0) FROM requests"
        ).fetchone()
        return int(seen), int(queued), int(inflight)
    finally:
        db.close()


def _tail(path: Path, n: int = 4000) -> str:
    return path.read_text(errors="replace")[-n:]


def _stop_resume(tmp_path: Path, stop: signal.Signals) -> dict[str, Any]:
    """Crawl a slow replica, stop the crawl with `stop` once a third of its reports are stored, start it
    again with the same JOBDIR; return what the tests assert on."""
    spec = SiteSpec("trs", "trs", agencies=agency_names(5), years=(2015, 2024), seed=25, full_files=2)
    data_dir, profiles, jobdir = tmp_path / "data", tmp_path / "profiles", tmp_path / "job"
    url = f"sqlite:///{data_dir / 'nianbaoku.sqlite'}"
    data_dir.mkdir()
    store = open_store(resolve(data_dir=data_dir, database_url=url))
    try:
        with ReplicaServer([spec]) as replica:
            site = replica.site("trs")
            site.delay = 0.15  # slow portal: the crawl is still going when it is stopped
            expected = len(site.reports)
            pid = bind_profile(replica, "trs", profiles)
            env = worker_env(database_url=url, data_dir=data_dir)

            first = _start(pid, profiles, env, tmp_path / "first.log", jobdir)
            deadline = time.monotonic() + 180
            while _reports(store) < expected // 3:
                assert first.poll() is None, _tail(tmp_path / "first.log")
                assert time.monotonic() < deadline, "the first crawl stored too little in time"
                time.sleep(0.2)
            os.kill(first.pid, stop)
            code1 = first.wait(timeout=120)
            time.sleep(1.0)  # requests the replica was still sleeping on (its delay) are logged now
            hits_first = len(site.requests)
            stored_at_stop = _reports(store)
            frontier_at_stop = _frontier(jobdir)

            second = _start(pid, profiles, env, tmp_path / "second.log", jobdir)
            code2 = second.wait(timeout=240)
            assert code2 == 0, _tail(tmp_path / "second.log")
            paths = [p for m, p in site.requests if m == "GET" and p != "/robots.txt"]
            first_paths = [p for m, p in site.requests[:hits_first] if m == "GET" and p != "/robots.txt"]
        facts = store_facts(store)
        with store.Session() as s:
            first_run = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).first()
            first_errors = list(first_run.errors or []) if first_run is not None else []
            linked = select(report_version_captures.c.capture_id)
            unlinked = s.scalars(  # a page or file of a report that no version holds: half a report
                select(Capture.url).where(
                    Capture.kind.in_(("detail", "attachment")), Capture.id.not_in(linked)
                )
            ).all()
    finally:
        store.close()
    return {
        "expected": expected, "code1": code1, "stored_at_stop": stored_at_stop, "facts": facts,
        "frontier_at_stop": frontier_at_stop, "paths": paths, "first_paths": first_paths,
        "first_errors": first_errors, "jobdir": jobdir, "unlinked": unlinked,
        "second_log": (tmp_path / "second.log").read_text(errors="replace"),
    }


def _assert_resumed(r: dict[str, Any], *, max_refetched: int) -> None:
    facts = r["facts"]
    assert r["stored_at_stop"] < r["expected"], "the crawl finished before it could be stopped"
    seen, queued, _inflight = r["frontier_at_stop"]
    assert seen > 0 and queued > 0, r["frontier_at_stop"]  # the frontier outlived the process
    assert "Resuming crawl" in r["second_log"]
    # every report once, nothing stored twice, the store consistent
    assert facts["reports"] == r["expected"]
    assert facts["versions"] == r["expected"]
    assert facts["dup_captures"] == [] and facts["missing_blobs"] == []
    assert r["unlinked"] == []  # every page and attachment fetched belongs to its report's version
    (_, status1, _), (_, status2, counts2) = facts["runs"]
    assert (status1, status2) == ("interrupted", "finished")
    # resumed, not restarted: pages the first run had finished were not fetched again
    first = Counter(r["first_paths"])
    second = r["paths"][len(r["first_paths"]):]
    refetched = sorted({p for p in second if p in first})
    assert len(refetched) <= max_refetched, f"{len(refetched)} pages fetched again: {refetched}"
    print(f"reports {r['expected']}, stored at stop {r['stored_at_stop']}, frontier at stop "
          f"{r['frontier_at_stop']}, pages {len(set(r['paths']))}, first run {len(r['first_paths'])}, "
          f"second run {len(second)} (of which fetched before: {len(refetched)}), "
          f"second run's requests {counts2['requests']}")
    assert len(second) == len(set(second))  # and nothing twice within the resumed run
    # the second run's own count agrees (it also fetched robots.txt, which the paths leave out)
    assert len(second) <= counts2["requests"] <= len(second) + 2
    assert not (r["jobdir"] / FRONTIER_FILE).exists()  # finished: cleared for the next crawl


def test_kill_9_then_resume_from_the_jobdir(tmp_path: Path) -> None:
    r = _stop_resume(tmp_path, signal.SIGKILL)
    assert r["code1"] == -signal.SIGKILL
    _, _, inflight = r["frontier_at_stop"]
    assert inflight > 0  # what the killed process had taken is still in the file: it comes back
    assert {"error": "interrupted", "url": None, "reason": "process gone"} in r["first_errors"]
    # What was in flight at the kill (≤ 4 requests in the downloader, plus detail pages held until
    # their attachments were stored, re-fetched with them) may be fetched twice; nothing else.
    _assert_resumed(r, max_refetched=16)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_graceful_stop_then_resume_from_the_jobdir(tmp_path: Path, stop: signal.Signals) -> None:
    r = _stop_resume(tmp_path, stop)
    assert r["code1"] == 1  # the CLI says the crawl did not finish
    _assert_resumed(r, max_refetched=16)


# --- the kill forced between a page's archive and its report's store ----------------------------------

#: The TRS replica's report files (``…/YYYYMM/P0<date><key>.pdf``).
_ATTACHMENT = re.compile(r"/P0\d+\.\w+$")


class HoldAttachments:
    """Replica fault: a request for an attachment is held (its server thread waits) until `released`.

    The crawl then has detail pages archived — capture rows with their ``ETag`` — whose reports cannot be
    stored (their groups wait for the held files), with those pages in flight in the frontier: the state
    a kill lands in at random in the end-to-end tests above, made certain.
    """

    def __init__(self) -> None:
        self.released = threading.Event()
        self.held: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, site: Site, req: Req) -> Resp | None:
        if not _ATTACHMENT.search(req.path):
            return None
        with self.lock:
            self.held.append(req.raw or req.path)
        self.released.wait(timeout=300)
        return Resp(0, stream=lambda handler: None)  # its client was killed meanwhile: no answer


def unlinked_captures(store: Store, kinds: tuple[str, ...] = ("detail", "attachment")) -> list[str]:
    """URLs of archived pages and files that no report version holds."""
    with store.Session() as s:
        linked = select(report_version_captures.c.capture_id)
        return list(s.scalars(select(Capture.url).where(Capture.kind.in_(kinds), Capture.id.not_in(linked))))


def _archive_as_the_dead_run(store: Store, site: Site, path: str) -> None:
    """Archive one file as the killed run would have just before the kill: its capture row and blob
    (with the portal's ``ETag``), no report version — the reported intermittent symptom's state."""
    url = f"{site.base}{path}"
    with urllib.request.urlopen(url, timeout=60) as resp:
        body = resp.read()
        headers = {k: [v] for k, v in resp.headers.items()}
        item = {"url": url, "kind": "attachment", "body": body, "status": resp.status, "headers": headers,
                "content_type": resp.headers.get("Content-Type")}

    def archive(session: Any) -> None:
        first_run = session.scalars(select(CrawlRun.id).order_by(CrawlRun.id)).first()
        archive_item(session, store.blobs, item, crawl_run_id=first_run)

    store.run(archive)


def kill_between_archive_and_store(
    tmp_path: Path, *, database_url: str, start: Callable[[str, Path], subprocess.Popen]
) -> dict[str, Any]:
    """Kill -9 a crawl while detail pages are archived and their reports not stored (attachments held
    by the replica; one of them archived as if the kill came a moment later), resume it; return what
    the tests assert on. ``start(profile_id, log)`` starts one crawl of the replica's profile (bound in
    ``tmp_path/profiles``). Shared by the JOBDIR and the Redis tests."""
    spec = SiteSpec("trs", "trs", agencies=agency_names(3), years=(2017, 2024), seed=25, full_files=2)
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    store = open_store(resolve(data_dir=data_dir, database_url=database_url))
    hold = HoldAttachments()
    try:
        with ReplicaServer([spec]) as replica:
            site = replica.site("trs")
            site.faults = hold
            expected = len(site.reports)
            with_files = sum(1 for it in site.reports if it.attachment)
            pid = bind_profile(replica, "trs", tmp_path / "profiles")
            first = start(pid, tmp_path / "first.log")
            deadline = time.monotonic() + 180
            try:
                while not (hold.held and unlinked_captures(store, ("detail",))):
                    assert first.poll() is None, _tail(tmp_path / "first.log")
                    assert time.monotonic() < deadline, "no page was archived with its file held in time"
                    time.sleep(0.2)
                time.sleep(1.0)  # margin: other pages of the moment reach the archive too
            finally:
                first.kill()
                first.wait(timeout=60)
            pages_at_kill = unlinked_captures(store, ("detail",))
            held = list(hold.held)
            hold.released.set()
            site.faults = None
            _archive_as_the_dead_run(store, site, held[0])

            second = start(pid, tmp_path / "second.log")
            code2 = second.wait(timeout=300)
            assert code2 == 0, _tail(tmp_path / "second.log")
        facts = store_facts(store)
        with store.Session() as s:
            linked_files = set(s.scalars(
                select(Capture.url).where(
                    Capture.kind == "attachment",
                    Capture.id.in_(select(report_version_captures.c.capture_id)),
                )
            ))
        unlinked = unlinked_captures(store)
    finally:
        hold.released.set()
        store.close()
    return {"expected": expected, "with_files": with_files, "facts": facts, "unlinked": unlinked,
            "linked_files": linked_files, "held": [f"{site.base}{p}" for p in held],
            "pages_at_kill": pages_at_kill}


def assert_every_report_whole(r: dict[str, Any]) -> None:
    """Each report once, with its file: nothing fetched left unlinked, nothing stored twice."""
    assert r["pages_at_kill"], "the kill did not land between a page's archive and its report's store"
    facts = r["facts"]
    assert facts["reports"] == r["expected"] and facts["versions"] == r["expected"]
    assert facts["dup_captures"] == [] and facts["missing_blobs"] == []
    assert r["unlinked"] == []  # the file archived before the kill belongs to its report's version
    assert set(r["held"]) <= r["linked_files"]  # the files held at the kill were fetched and linked
    assert len(r["linked_files"]) == r["with_files"]  # and every report's file is in its version
    print(f"reports {r['expected']} ({r['with_files']} with a file), pages archived but not stored at "
          f"the kill {len(r['pages_at_kill'])}, files held {len(r['held'])}")


def test_kill_9_between_a_pages_archive_and_its_report_then_resume(tmp_path: Path) -> None:
    """The interleaving behind the intermittent loss, forced. A detail page archived by the killed run
    (its capture carries an ``ETag``) comes back from the JOBDIR in flight; asked conditionally it got a
    304 with no body — no attachment links — and was stored as a report without its file, leaving the
    file archived before the kill linked to no version (or never fetched at all). Reclaimed requests are
    now fetched in full (`crawler.distributed.mark_reclaimed`)."""
    data_dir, jobdir = tmp_path / "data", tmp_path / "job"
    url = f"sqlite:///{data_dir / 'nianbaoku.sqlite'}"
    env = worker_env(database_url=url, data_dir=data_dir)
    profiles = tmp_path / "profiles"
    r = kill_between_archive_and_store(
        tmp_path, database_url=url, start=lambda pid, log: _start(pid, profiles, env, log, jobdir)
    )
    assert_every_report_whole(r)


# --- an attachment that fails for good: its report is stored before its page is done ----------------


def test_a_missing_attachment_completes_its_group_at_once(store: Store) -> None:
    """`ATTACHMENT_MISSING` settles one linked file: a group waiting for nothing else is stored then and
    there (not at close), a failure goes on the run at the page's URL, a filtered duplicate does not;
    told before its page arrives, the group is stored as soon as the page does."""
    from crawler.pipelines import run_errors
    from crawler.pipelines.store import ATTACHMENT_MISSING as SIGNAL
    from crawler.pipelines.store import FILTERED
    from tests.test_pipeline_store import DETAIL, PDF_URL, Chain, detail, report_html

    chain = Chain(store)
    page = detail(report_html("宁波市镇海区人力资源和社会保障局", 2022, 5), attachments=(PDF_URL,))
    chain.feed(page)
    assert len(chain.store.groups) == 1  # waiting for its file
    stored = chain.store.attachment_missing(
        url=PDF_URL, detail_url=DETAIL, list_url=page["list_url"], reason="http:404", signal=SIGNAL
    )
    assert stored is not None and stored.outcome == "new" and chain.store.groups == {}
    with store.Session() as s:
        kinds = sorted(c.kind for c in s.scalars(select(Capture)))
    assert kinds == ["detail"] and _reports(store) == 1
    assert chain.stats.get_value("nianbaoku/store/attachment_missing") == 1
    assert [e for e in run_errors(chain.stats) if e["error"] == "store:attachment_missing"] == [
        {"error": "store:attachment_missing", "url": DETAIL, "reason": f"{PDF_URL}: http:404"}
    ]
    # a word that comes after its report was stored changes nothing: an empty group, never stored
    assert chain.store.attachment_missing(url=PDF_URL, detail_url=DETAIL, reason="http:404") is None

    other = "http://portal.gov.cn/art/2023/1/21/art_1_2.html"
    early = Chain(store)
    assert early.store.attachment_missing(url=PDF_URL, detail_url=other, reason=FILTERED) is None
    assert run_errors(early.stats) == []  # a duplicate is no failure
    assert FILTERED == FRONTIER_FILTERED  # the frontiers' word for it (crawler.distributed)
    out = early.feed(detail(report_html("宁波市镇海区财政局", 2022, 6), attachments=(PDF_URL,), url=other))
    assert out["stored"] in ("new", "changed") and early.store.groups == {}  # stored on arrival
    # a file linked straight from a list has no page waiting for it; a group of nothing is never stored
    assert early.store.attachment_missing(url=PDF_URL, detail_url="http://l", list_url="http://l") is None
    early.store.attachment_missing(url=PDF_URL, detail_url="http://portal.gov.cn/gone.html", reason="x")
    early.close()
    chain.close()
    assert early.stats.get_value("nianbaoku/store/flushed_at_close") is None
    assert chain.stats.get_value("nianbaoku/store/flushed_at_close") is None
    assert chain.stats.get_value("nianbaoku/store/blocked") is None


class FailDocx:
    """Replica fault: every ``.docx`` report file answers 404; the first ``.pdf`` one is held (its server
    thread waits until `released`), so the crawl cannot finish — what is stored meanwhile is stored
    before the spider closes. Other files are served."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.held: list[str] = []
        self.failed: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, site: Site, req: Req) -> Resp | None:
        if not _ATTACHMENT.search(req.path):
            return None
        if req.path.endswith(".docx"):
            with self.lock:
                self.failed.append(req.path)
            return Resp(404, b"not found")
        with self.lock:
            if self.held or self.released.is_set():
                return None
            self.held.append(req.path)
        self.released.wait(timeout=300)
        return Resp(0, stream=lambda handler: None)  # its client was killed meanwhile: no answer


def _frontier_urls(jobdir: Path) -> list[str]:
    """The URLs of the requests in the JOBDIR's frontier file (queued or in flight)."""
    import pickle

    db = sqlite3.connect(jobdir / FRONTIER_FILE)
    try:
        return [pickle.loads(data)["url"] for (data,) in db.execute("SELECT data FROM requests")]
    finally:
        db.close()


def _pages_stored_alone(store: Store, linking: str = "") -> dict[str, str]:
    """{page URL: page path} of the versions made of one detail page and nothing else (and whose page
    bytes contain `linking`: ``".docx"`` for the pages of the failing files)."""
    from urllib.parse import urlsplit

    from storage.models import ReportVersion

    with store.Session() as s:
        pages = [
            version.captures[0]
            for version in s.scalars(select(ReportVersion))
            if [c.kind for c in version.captures] == ["detail"]
        ]
        found = [(c.url, c.sha256) for c in pages]
    return {
        url: urlsplit(url).path for url, sha in found if linking.encode() in store.blobs.get(sha)
    }


def fail_for_good_then_kill(
    tmp_path: Path,
    *,
    database_url: str,
    start: Callable[[str, Path], subprocess.Popen],
    frontier_urls: Callable[[], list[str]],
) -> dict[str, Any]:
    """Crawl a replica whose ``.docx`` files answer 404 while one ``.pdf`` is held (the crawl cannot
    finish); once every docx report is stored from its page alone, kill -9 the crawl, release the pdf
    and crawl again. ``start(profile_id, log)`` starts one crawl of the replica's profile (bound in
    ``tmp_path/profiles``); ``frontier_urls()`` lists what the frontier holds (queued or in flight).
    Shared by the JOBDIR and the Redis tests."""
    spec = SiteSpec("trs", "trs", agencies=agency_names(3), years=(2017, 2024), seed=25, full_files=2)
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    store = open_store(resolve(data_dir=data_dir, database_url=database_url))
    fault = FailDocx()
    try:
        with ReplicaServer([spec]) as replica:
            site = replica.site("trs")
            site.faults = fault
            expected = len(site.reports)
            docx = sum(1 for it in site.reports if it.attachment == "docx")
            no_file = sum(1 for it in site.reports if it.attachment is None)
            assert docx >= 2
            pid = bind_profile(replica, "trs", tmp_path / "profiles")
            first = start(pid, tmp_path / "first.log")
            deadline = time.monotonic() + 180
            try:  # every docx report stored from its page alone, while a pdf is held: before close
                while len(_pages_stored_alone(store, ".docx")) < docx or not fault.held:
                    assert first.poll() is None, _tail(tmp_path / "first.log")
                    assert time.monotonic() < deadline, (
                        f"reports of failed files not stored while the crawl ran: {fault.failed} failed, "
                        f"{len(_pages_stored_alone(store, '.docx'))} stored alone"
                    )
                    time.sleep(0.2)
                time.sleep(0.5)  # margin: the frontier is written right after the store
                running = first.poll() is None  # still running: nothing was flushed at close
            finally:
                first.kill()
                first.wait(timeout=60)
            alone = _pages_stored_alone(store, ".docx")
            left = frontier_urls()
            hits_first = len(site.requests)
            fault.released.set()

            second = start(pid, tmp_path / "second.log")
            assert second.wait(timeout=300) == 0, _tail(tmp_path / "second.log")
            second_paths = {p for m, p in site.requests[hits_first:] if m == "GET"}
        facts = store_facts(store)
        unlinked = unlinked_captures(store)
        final_alone = _pages_stored_alone(store)
    finally:
        fault.released.set()
        store.close()
    return {"expected": expected, "docx": docx, "no_file": no_file, "running": running, "alone": alone,
            "left": left, "second_paths": second_paths, "facts": facts, "unlinked": unlinked,
            "final_alone": final_alone}


def assert_nothing_to_redo(r: dict[str, Any]) -> None:
    """Reports of failed files stored during the crawl, their pages out of the frontier at the kill and
    not fetched again; in the end every report once, nothing unlinked."""
    assert r["running"], "the first crawl had closed: its groups may have been flushed at close"
    assert len(r["alone"]) == r["docx"]
    assert not set(r["alone"]) & set(r["left"]), "a page stored already is still in the frontier"
    redone = sorted(p for p in r["alone"].values() if p in r["second_paths"])
    assert redone == [], f"pages stored before the kill fetched again: {redone}"
    facts = r["facts"]
    assert facts["reports"] == r["expected"] and facts["versions"] == r["expected"]
    assert facts["dup_captures"] == [] and facts["missing_blobs"] == []
    assert r["unlinked"] == []
    assert len(r["final_alone"]) == r["docx"] + r["no_file"]  # the pdf reports are whole
    print(f"reports {r['expected']}, docx failing {r['docx']}, stored alone before the kill "
          f"{len(r['alone'])}, frontier entries at the kill {len(r['left'])}, second run paths "
          f"{len(r['second_paths'])}")


def test_an_attachment_failing_for_good_stores_its_report_before_the_page_is_done(tmp_path: Path) -> None:
    """Hole: a 404 marked the file done in the frontier, so its page left the frontier while the report
    waited in the store pipeline until close; a kill then left the page archived, never stored and not
    fetched again. Now the store is told first: the report is stored from the page alone while the crawl
    still runs, its page leaves the frontier only after that, and a kill leaves nothing of it to redo."""
    data_dir, jobdir, profiles = tmp_path / "data", tmp_path / "job", tmp_path / "profiles"
    url = f"sqlite:///{data_dir / 'nianbaoku.sqlite'}"
    env = worker_env(database_url=url, data_dir=data_dir)
    r = fail_for_good_then_kill(
        tmp_path, database_url=url, start=lambda pid, log: _start(pid, profiles, env, log, jobdir),
        frontier_urls=lambda: _frontier_urls(jobdir),
    )
    assert_nothing_to_redo(r)


def _redis_frontier_urls(redis_url: str, prefix: str) -> list[str]:
    """The URLs queued in, or in flight from, the Redis frontiers under `prefix` (scrapy-redis pickles)."""
    import pickle

    import redis

    client = redis.Redis.from_url(redis_url)
    urls = []
    for key in client.scan_iter(f"{prefix}:*"):
        name = key.decode()
        if ":inflight:" in name:
            urls += [pickle.loads(v)["url"] for v in client.hvals(key)]
        elif name.endswith(":requests"):
            urls += [pickle.loads(v)["url"] for v in client.zrange(key, 0, -1)]
    return urls


def test_an_attachment_failing_for_good_on_a_redis_worker(
    tmp_path: Path, redis_prefix: tuple[str, str], pg_database: str  # noqa: F811 - fixtures
) -> None:
    """The same on the Redis frontier: the 404's report is stored before its page leaves the worker's
    in-flight record, so the worker that takes over after the kill has nothing of it to redo."""
    redis_url, prefix = redis_prefix
    data_dir, profiles = tmp_path / "data", tmp_path / "profiles"
    settings = {"CONCURRENT_REQUESTS": "4", "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
                "NIANBAOKU_REDIS_ALIVE_TTL": "2", "NIANBAOKU_REDIS_HEARTBEAT": "0.5"}
    env = worker_env(database_url=pg_database, data_dir=data_dir, redis_url=redis_url, prefix=prefix)
    r = fail_for_good_then_kill(
        tmp_path, database_url=pg_database,
        start=lambda pid, log: start_worker(pid, profiles, env, log, worker=True, settings=settings),
        frontier_urls=lambda: _redis_frontier_urls(redis_url, prefix),
    )
    assert_nothing_to_redo(r)
