"""Fault injection (`tests.replica.faults`): a portal that times out, resets, drips, truncates, bursts
5xx, loops redirects, pages forever, offers a 2 GiB file and changes a page under us — the crawl
finishes, every fault is on the crawl run with a reason, and every other report is collected.

Runs the real ``crawl`` command in a subprocess against a SQLite store in the test's tmp dir (no
PostgreSQL or Redis needed).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.config import resolve
from crawler.middlewares.failures import classify
from storage.db import open_store
from storage.models import Capture, CrawlRun, Report, ReportVersion
from tests.replica.families import trs_detail_path
from tests.replica.faults import HUGE_SIZE, KINDS, FaultPlan, trs_plan
from tests.replica.server import ReplicaServer
from tests.replica.sites import SiteSpec, agency_names
from tests.replica.workers import bind_profile, start_worker, worker_env


def test_classify_names_the_usual_failures() -> None:
    from twisted.internet.error import TimeoutError as TxTimeout

    assert classify(TxTimeout("took longer than 2.0 seconds")) == "timeout"
    assert classify(RuntimeError("Cancelling download: larger than download max size (1024)")) == "too_large"
    assert classify(ValueError("odd")) == "ValueError"


def test_plan_places_every_kind() -> None:
    with ReplicaServer([SiteSpec("trs", "trs", agencies=agency_names(3), years=(2016, 2024), seed=5)]) as r:
        plan = trs_plan(r.site("trs"))
    kinds = set(plan.faults.values()) | {"changed", "endless_list"}
    assert kinds == set(KINDS)
    assert len(plan.lost_keys) == 6


def test_plan_needs_a_big_enough_site() -> None:
    with ReplicaServer([SiteSpec("trs", "trs", years=(2023, 2024), seed=5)]) as r, pytest.raises(ValueError):
        trs_plan(r.site("trs"))


def test_crawl_survives_every_fault(tmp_path: Path) -> None:
    spec = SiteSpec("trs", "trs", agencies=agency_names(3), years=(2016, 2024), seed=5, full_files=1)
    data_dir = tmp_path / "data"
    profiles = tmp_path / "profiles"
    with ReplicaServer([spec]) as replica:
        site = replica.site("trs")
        plan: FaultPlan = trs_plan(site, timeout=2.0)
        site.faults = plan
        pid = bind_profile(replica, "trs", profiles)
        env = worker_env(database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}", data_dir=data_dir)
        settings = {"DOWNLOAD_TIMEOUT": "2", "RETRY_TIMES": "1", "REDIRECT_MAX_TIMES": "5",
                    "CONCURRENT_REQUESTS_PER_DOMAIN": "8"}
        started = time.monotonic()
        proc = start_worker(pid, profiles, env, tmp_path / "crawl.log", settings=settings)
        code = proc.wait(timeout=240)
        elapsed = time.monotonic() - started
        log = (tmp_path / "crawl.log").read_text(errors="replace")
        expected = len(site.reports) - len(plan.lost_keys)
        urls = {kind: f"{site.base}{path}" for path, kind in plan.faults.items()}
        lost_urls = {kind: f"{site.base}{trs_detail_path(site.by_key[k])}" for k in plan.lost_keys
                     for path, kind in plan.faults.items() if path == trs_detail_path(site.by_key[k])}
    assert code == 0, log[-4000:]
    assert plan.hits["huge"] >= 1 and plan.hits["endless_list"] >= 1
    assert elapsed < 200

    store = open_store(resolve(data_dir=data_dir))
    try:
        with store.Session() as s:
            reports = s.scalar(select(func.count(Report.id)))
            versions = s.scalar(select(func.count(ReportVersion.id)))
            biggest = s.scalar(select(func.max(Capture.size)))
            run = s.scalars(select(CrawlRun)).one()
            status, errors = run.status, run.errors
    finally:
        store.close()

    assert status == "finished"
    assert reports == expected  # everything but the six pages that never came through
    assert versions == reports  # the page changed between list and detail is stored once
    assert biggest < HUGE_SIZE // 100  # the 2 GiB file was refused, not downloaded

    by_url: dict[str, set[str]] = {}
    for e in errors:
        by_url.setdefault(e.get("url") or "", set()).add(e["error"])
    assert "download:timeout" in by_url[lost_urls["timeout"]]
    assert "download:timeout" in by_url[lost_urls["slow_drip"]]
    assert "download:connection_lost" in by_url[lost_urls["reset"]]
    assert "download:truncated" in by_url[lost_urls["truncated"]]
    assert "http:503" in by_url[lost_urls["burst_5xx"]]
    assert "download:redirect_loop" in by_url[lost_urls["redirect_loop"]]
    assert "download:too_large" in by_url[urls["huge"]]
    assert "list:max_pages" in by_url[""]
    unexplained = [e for e in errors if not (e.get("reason") or e["error"].startswith("http:"))]
    assert unexplained == []
