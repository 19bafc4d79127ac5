"""Distributed mode (`crawler.distributed`, `crawler.middlewares.hostlock`): two worker processes share
one Redis frontier and one PostgreSQL store — every report collected once, nothing fetched twice.

Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (skipped with the reason otherwise;
failed under ``CI=true``). Each test uses its own Redis key prefix (removed afterwards) and its own
throw-away database.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from crawler.config import resolve
from crawler.distributed import FrontierKeys, distributed_settings
from storage import migrate
from storage.db import Store, open_store
from storage.models import Capture, CrawlRun, Report, ReportVersion
from tests import pg
from tests.replica.server import ReplicaServer
from tests.replica.sites import SiteSpec, agency_names
from tests.replica.workers import bind_profile, delete_prefix, require_redis, start_worker, worker_env

pytestmark = pytest.mark.postgres


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    url = require_redis()
    prefix = f"nbk-test-{secrets.token_hex(4)}"
    try:
        yield url, prefix
    finally:
        delete_prefix(url, prefix)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A throw-away PostgreSQL database migrated to head (worker processes commit for real)."""
    base = pg.require_postgres()
    url = pg.create_database(base)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        pg.drop_database(url)


def store_facts(store: Store) -> dict[str, object]:
    """What the tests assert on: counts, duplicates, blob presence."""
    with store.Session() as s:
        dup_captures = s.execute(
            select(Capture.url, Capture.sha256).group_by(Capture.url, Capture.sha256).having(func.count() > 1)
        ).all()
        refetched = s.scalars(
            select(Capture.url).where(Capture.kind.in_(("detail", "attachment")), Capture.fetch_count > 1)
        ).all()
        shas = s.scalars(select(Capture.sha256)).all()
        return {
            "reports": s.scalar(select(func.count(Report.id))),
            "versions": s.scalar(select(func.count(ReportVersion.id))),
            "dup_captures": dup_captures,
            "refetched": refetched,
            "missing_blobs": [sha for sha in shas if not store.blobs.exists(sha)],
            "runs": s.execute(
                select(CrawlRun.id, CrawlRun.status, CrawlRun.counts).order_by(CrawlRun.id)
            ).all(),
        }


def test_distributed_settings_switch_the_scheduler_and_filter() -> None:
    settings = distributed_settings("redis://example:6379/0")
    assert settings["SCHEDULER"] == "crawler.distributed.FrontierScheduler"
    assert settings["DUPEFILTER_CLASS"].startswith("scrapy_redis.")
    assert settings["NIANBAOKU_DISTRIBUTED"] is True and settings["SCHEDULER_PERSIST"] is True


def test_frontier_keys_are_per_profile() -> None:
    a, b = FrontierKeys("p", "zhenhai"), FrontierKeys("p", "jiangbei")
    assert a.requests != b.requests and a.dupefilter != b.dupefilter
    assert a.inflight("w1") == "p:zhenhai:inflight:w1" and a.requests.startswith("p:")


def test_worker_without_redis_is_a_clear_error(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from crawler.config import PROJECT_ROOT

    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", "--profile", "x", "--worker"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr and "Traceback" not in result.stderr


def test_two_workers_collect_every_report_once(
    tmp_path: Path, redis_prefix: tuple[str, str], pg_database: str
) -> None:
    redis_url, prefix = redis_prefix
    spec = SiteSpec("trs", "trs", agencies=agency_names(6), years=(2015, 2024), seed=15, full_files=2)
    data_dir = tmp_path / "shared-data"  # the shared blob directory of both workers
    profiles = tmp_path / "profiles"
    with ReplicaServer([spec]) as replica:
        site = replica.site("trs")
        site.delay = 0.03  # slow enough that both workers get a share of the frontier
        pid = bind_profile(replica, "trs", profiles)
        env = worker_env(database_url=pg_database, data_dir=data_dir, redis_url=redis_url, prefix=prefix)
        # CONCURRENT_REQUESTS 2: a worker pulls only what it can send, the rest stays shared in Redis.
        settings = {"CONCURRENT_REQUESTS": "2", "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
                    "NIANBAOKU_REDIS_HEARTBEAT": "0.5"}
        workers = [
            start_worker(pid, profiles, env, tmp_path / f"worker{i}.log", worker=True, settings=settings)
            for i in range(2)
        ]
        codes = [w.wait(timeout=240) for w in workers]
        logs = "\n".join((tmp_path / f"worker{i}.log").read_text(errors="replace") for i in range(2))
        assert codes == [0, 0], logs[-4000:]
        expected = len(site.reports)
        # The Redis host lease: two workers × two slots, never more than two requests at the portal.
        assert site.max_in_flight <= 2
        fetched = [path for method, path in site.requests if method == "GET" and path != "/robots.txt"]

    store = open_store(resolve(data_dir=data_dir, database_url=pg_database))
    try:
        facts = store_facts(store)
    finally:
        store.close()
    assert facts["reports"] == expected
    assert facts["versions"] == expected  # one version each: no report stored twice
    assert facts["dup_captures"] == [] and facts["refetched"] == []
    assert facts["missing_blobs"] == []
    assert len(fetched) == len(set(fetched)), "a page was fetched by both workers"
    runs = facts["runs"]
    assert [status for _, status, _ in runs] == ["finished", "finished"]
    assert all(counts["responses"] > 0 for _, _, counts in runs), "one worker did nothing"
    # The last worker to finish removed the frontier: the next crawl starts afresh.
    keys = FrontierKeys(prefix, pid)
    client = redis.Redis.from_url(redis_url)
    assert not client.exists(keys.requests, keys.dupefilter, keys.seeded, keys.workers)
