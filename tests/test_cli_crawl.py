"""The ``crawl`` and ``demo`` commands, and ``scrapy crawl portal`` with the same pipelines, as a user runs
them: in a subprocess, against a tmp store (``NIANBAOKU_DATA_DIR``) and local replica portals only."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.config import resolve
from storage.db import open_store
from storage.models import Capture, CrawlRun, ParseResult, Report
from tests.replica.server import ReplicaServer
from tests.replica.sites import SiteSpec

ROOT = Path(__file__).resolve().parents[1]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "NIANBAOKU_DATA_DIR": str(data_dir), **extra}
    env.pop("DATABASE_URL", None)
    return env


def _run(args: list[str], env: dict[str, str], timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _free_ports(n: int) -> int:
    """A first port p with p … p+n-1 all free right now (the demo binds consecutive ports)."""
    for _ in range(50):
        first = random.randint(20000, 40000)
        socks = []
        try:
            for port in range(first, first + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    pytest.skip("no run of free local ports for the demo")


def _counts(data_dir: Path) -> dict[str, int]:
    with open_store(resolve(data_dir=data_dir)) as store, store.Session() as s:
        return {
            "reports": s.scalar(select(func.count(Report.id))),
            "parsed": s.scalar(select(func.count(ParseResult.id))),
            "runs": s.scalar(select(func.count(CrawlRun.id))),
            "lists": s.scalar(select(func.count(Capture.id)).where(Capture.kind == "list")),
        }


def test_crawl_needs_a_profile_or_all(tmp_path):
    proc = _run([sys.executable, "-m", "crawler", "crawl"], _env(tmp_path))
    assert proc.returncode == 2 and "--profile" in proc.stderr and "Traceback" not in proc.stderr
    proc = _run([sys.executable, "-m", "crawler", "crawl", "--profile", "no-such-portal"], _env(tmp_path))
    assert proc.returncode == 2 and "no profile 'no-such-portal'" in proc.stderr
    replica_dir = str(ROOT / "tests/replica/profiles")
    args = ["crawl", "--profile", "replica-trs", "--profiles-dir", replica_dir]
    proc = _run([sys.executable, "-m", "crawler", *args], _env(tmp_path))
    assert proc.returncode == 2 and "placeholders" in proc.stderr


@pytest.mark.slow
def test_scrapy_crawl_portal_uses_the_same_pipelines(tmp_path):
    data_dir = tmp_path / "data"
    spec = SiteSpec("static", "static", years=(2023, 2024), non_reports=2, other_column=2, full_files=1)
    with ReplicaServer([spec]) as replica:
        args = [
            sys.executable, "-m", "scrapy", "crawl", "portal",
            "-a", "profile=replica-static", "-a", f"profiles_dir={ROOT / 'tests/replica/profiles'}",
            "-a", f"base={replica.base('static')}", "-a", f"base_oss={replica.oss.base}",
            "-s", "NIANBAOKU_POLITENESS_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING",
        ]  # fmt: skip
        proc = _run(args, _env(data_dir))
        assert proc.returncode == 0, proc.stderr[-3000:]
        reports = len(replica.site("static").reports)
    counts = _counts(data_dir)
    assert counts["reports"] == reports and counts["parsed"] == reports
    assert counts["runs"] == 1 and counts["lists"] >= 1


@pytest.mark.slow
def test_demo_crawls_every_family_and_a_second_demo_finds_them_unchanged(tmp_path):
    data_dir = tmp_path / "data"
    env = _env(data_dir, NIANBAOKU_DEMO_PORT=str(_free_ports(10)), COLUMNS="160")
    first = _run([sys.executable, "-m", "crawler", "demo", "--no-progress"], env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "crawl summary" in first.stdout and "replica-gkmlpt" in first.stdout
    assert "nianbaoku store" in first.stdout  # the status table follows
    counts = _counts(data_dir)
    assert counts["reports"] >= 9 * 4 and counts["parsed"] == counts["reports"] and counts["runs"] == 9
    second = _run([sys.executable, "-m", "crawler", "demo", "--no-progress"], env)
    assert second.returncode == 0, second.stderr[-3000:]
    total = next(line for line in second.stdout.splitlines() if line.strip("│ ").startswith("total"))
    cells = [c.strip() for c in total.strip("│").split("│")]
    new, changed, unchanged = (int(c) for c in cells[2:5])
    assert (new, changed) == (0, 0) and unchanged == counts["reports"]
    assert _counts(data_dir)["reports"] == counts["reports"]
