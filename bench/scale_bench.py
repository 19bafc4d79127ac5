"""Scale benchmark: a large replica portal crawled by 1 and by 2 worker processes (Redis frontier,
PostgreSQL store, shared blob directory). Writes ``bench/RESULTS.md``; asserts nothing.

Run (Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 needed)::

    .venv/bin/python bench/scale_bench.py                    # the full 10,000-report replica
    .venv/bin/python bench/scale_bench.py --reports 1000     # what fits in a few minutes

Figures, per run (each run gets a fresh throw-away database, a fresh blob directory and its own Redis
key prefix):

- **pages per minute** — responses of all workers / wall time from the first worker's start to the last
  worker's exit (process start-up included: that is what an operator waits for), beside
  ``scrapy bench`` on the same machine (Scrapy's own link-following spider against its local server:
  the ceiling of the framework with no parsing and no store);
- **peak memory per worker** — ``VmHWM`` (peak resident set) of each worker process, polled;
- **store size per report** — PostgreSQL ``pg_database_size`` plus the blob directory, over reports;
- **second crawl** — the 1-worker store crawled again, nothing changed: its requests as a fraction of the
  first crawl's (conditional requests and incremental paging at work);
- **reparse** — ``python -m crawler reparse --all`` on the 1-worker store: reports per second.

The replica runs in this process (stdlib threaded HTTP server, one host) with no delay; the crawl uses
the replica-fast settings of ``demo`` (no download delay, no AutoThrottle, politeness gate off) with
``CONCURRENT_REQUESTS_PER_DOMAIN`` 8 and the Redis host lease on, so both runs send at most 8 requests
at a time to the one host — two workers win by overlapping parsing and storing, not by hitting the
portal harder.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from storage import migrate  # noqa: E402
from storage.models import Capture, CrawlRun, Report, ReportVersion  # noqa: E402
from tests import pg  # noqa: E402
from tests.replica.server import ReplicaServer  # noqa: E402
from tests.replica.sites import SiteSpec, agency_names  # noqa: E402
from tests.replica.workers import bind_profile, delete_prefix, start_worker, worker_env  # noqa: E402

REDIS_URL = os.environ.get("NIANBAOKU_TEST_REDIS") or "redis://127.0.0.1:6379/0"
YEARS = (2015, 2024)  # ten reports per agency
CRAWL_SETTINGS = {"CONCURRENT_REQUESTS_PER_DOMAIN": "8", "CONCURRENT_REQUESTS": "16",
                  "LOGSTATS_INTERVAL": "600"}


@dataclass
class Run:
    workers: int
    wall: float = 0.0
    responses: int = 0
    requests: int = 0
    reports: int = 0
    versions: int = 0
    duplicate_captures: int = 0  # captures beyond the first of one (URL, bytes): should stay 0
    peak_rss_mb: list[float] = field(default_factory=list)
    db_bytes: int = 0
    blob_bytes: int = 0

    @property
    def pages_per_min(self) -> float:
        return self.responses / self.wall * 60 if self.wall else 0.0

    @property
    def bytes_per_report(self) -> float:
        return (self.db_bytes + self.blob_bytes) / self.reports if self.reports else 0.0


def _peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(m.group(1)) / 1024 if m else None


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def crawl(replica: ReplicaServer, n_workers: int, db_url: str, data_dir: Path, work: Path, tag: str) -> Run:
    """One crawl of the replica by `n_workers` processes; returns the measured run."""
    profiles = work / "profiles"
    pid = bind_profile(replica, "big", profiles, profile_id="replica-trs")
    path = profiles / f"{pid}.yaml"  # the shipped replica profile pages 20 deep; this list is longer
    path.write_text(re.sub(r"max_pages: \d+", "max_pages: 5000", path.read_text(encoding="utf-8")),
                    encoding="utf-8")
    prefix = f"nbk-bench-{secrets.token_hex(4)}"
    env = worker_env(database_url=db_url, data_dir=data_dir, redis_url=REDIS_URL, prefix=prefix)
    run = Run(n_workers)
    peaks: dict[int, float] = {}
    started = time.monotonic()
    procs = [start_worker(pid, profiles, env, work / f"{tag}-{i}.log", worker=True, settings=CRAWL_SETTINGS)
             for i in range(n_workers)]

    def poll() -> None:
        while any(p.poll() is None for p in procs):
            for p in procs:
                value = _peak_rss_mb(p.pid)
                if value is not None:
                    peaks[p.pid] = max(peaks.get(p.pid, 0.0), value)
            time.sleep(0.5)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    codes = [p.wait() for p in procs]
    run.wall = time.monotonic() - started
    poller.join()
    delete_prefix(REDIS_URL, prefix)
    if any(codes):
        print(f"warning: {tag}: worker exit codes {codes} (see {work}/{tag}-*.log)", file=sys.stderr)
    run.peak_rss_mb = [round(peaks.get(p.pid, 0.0), 1) for p in procs]
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.connect() as conn:
        query = select(CrawlRun.counts).order_by(CrawlRun.id.desc()).limit(n_workers)
        runs = conn.execute(query).scalars().all()
        run.responses = sum(int(c.get("responses") or 0) for c in runs)
        run.requests = sum(int(c.get("requests") or 0) for c in runs)
        run.reports = int(conn.execute(select(func.count(Report.id))).scalar() or 0)
        run.versions = int(conn.execute(select(func.count(ReportVersion.id))).scalar() or 0)
        distinct = select(Capture.url, Capture.sha256).distinct().subquery()
        n_captures = int(conn.execute(select(func.count(Capture.id))).scalar() or 0)
        n_distinct = int(conn.execute(select(func.count()).select_from(distinct)).scalar() or 0)
        run.duplicate_captures = n_captures - n_distinct
        if engine.dialect.name == "postgresql":  # crawl_bench.py also runs it on SQLite
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
            run.db_bytes = int(size or 0)
    engine.dispose()
    run.blob_bytes = _dir_bytes(data_dir / "blobs")
    return run


def scrapy_bench(seconds: int) -> float | None:
    """Pages per minute of ``scrapy bench`` (its best logged rate) on this machine."""
    out = subprocess.run(
        [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}",
         "-s", "LOGSTATS_INTERVAL=2"],
        cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=seconds + 120,
    )
    rates = [int(r) for r in re.findall(r"at (\d+) pages/min", out.stderr + out.stdout)]
    return float(max(rates)) if rates else None


def reparse_all(db_url: str, data_dir: Path, reports: int) -> tuple[float, int] | None:
    """Time ``reparse --all`` as after a parser upgrade: every stored parse is relabelled as made by an
    old parser version first (otherwise there is nothing to re-parse). Returns (seconds, re-parsed)."""
    from parsers.report import PARSER_VERSION

    engine = create_engine(db_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("UPDATE parse_results SET parser_version = '0.0.0-bench'"))
    env = worker_env(database_url=db_url, data_dir=data_dir)
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "crawler", "reparse", "--all", "--no-progress"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    elapsed = time.monotonic() - started
    if out.returncode not in (0, 1):
        print(f"warning: reparse --all exited {out.returncode}: {out.stderr[-500:]}", file=sys.stderr)
        return None
    with engine.connect() as conn:
        query = text("SELECT count(DISTINCT version_id) FROM parse_results WHERE parser_version = :v")
        done = conn.execute(query, {"v": PARSER_VERSION}).scalar()
    engine.dispose()
    return elapsed, int(done or 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=10_000, help="reports in the replica (multiple of 10)")
    ap.add_argument("--bench-seconds", type=int, default=20, help="length of the scrapy bench run")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = ap.parse_args(argv)

    agencies = max(1, args.reports // (YEARS[1] - YEARS[0] + 1))
    spec = SiteSpec("big", "trs", agencies=agency_names(agencies), years=YEARS, seed=42, full_files=0,
                    non_reports=20, other_column=10)
    base = pg.base_url()
    work = Path(tempfile.mkdtemp(prefix="nbk-scale-"))
    runs: dict[int, Run] = {}
    second: Run | None = None
    reparse: tuple[float, int] | None = None
    dbs: list[str] = []
    try:
        with ReplicaServer([spec]) as replica:
            n_reports = len(replica.site("big").reports)
            print(f"replica: {n_reports} reports at {replica.base('big')}", file=sys.stderr)
            for n in (1, 2):
                db = pg.create_database(base, prefix="nianbaoku_bench")
                dbs.append(db)
                migrate.upgrade(db)
                data = work / f"data-{n}"
                runs[n] = crawl(replica, n, db, data, work, f"w{n}")
                print(f"{n} worker(s): {runs[n]}", file=sys.stderr)
                if n == 1:
                    second = crawl(replica, 1, db, data, work, "again")
                    print(f"second crawl: {second}", file=sys.stderr)
                    reparse = reparse_all(db, data, runs[1].reports)
        bench_rate = scrapy_bench(args.bench_seconds)
    finally:
        for db in dbs:
            pg.drop_database(db)
        shutil.rmtree(work, ignore_errors=True)

    write_results(args, n_reports, runs, second, reparse, bench_rate)
    print(args.out.read_text())
    return 0


def write_results(args, n_reports: int, runs: dict[int, Run], second: Run | None,
                  reparse: tuple[float, int] | None, bench_rate: float | None) -> None:
    cmd = ".venv/bin/python bench/scale_bench.py"
    if args.reports != 10_000:
        cmd += f" --reports {args.reports}"
    cpus = os.cpu_count()
    lines = [
        "# Scale benchmark (`bench/scale_bench.py`)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on this machine ({cpus} CPUs, shared"
        " with other work), with:",
        "",
        "```",
        cmd,
        "```",
        "",
        f"Replica: one TRS portal on 127.0.0.1, **{n_reports} reports** (plus companion pages and small"
        " PDF/DOCX attachments), no delay. Workers: `python -m crawler crawl --worker` (Redis frontier on"
        " 127.0.0.1:6379, PostgreSQL 127.0.0.1:5432, shared blob directory), replica-fast settings,"
        " `CONCURRENT_REQUESTS_PER_DOMAIN=8` held across workers by the Redis host lease.",
        "",
        "| workers | wall s | responses | pages/min (all workers) | peak RSS per worker MB | reports stored |"
        " versions | duplicate captures | store bytes/report (PG + blobs) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, r in sorted(runs.items()):
        lines.append(
            f"| {n} | {r.wall:.1f} | {r.responses} | {r.pages_per_min:.0f} | "
            f"{', '.join(f'{m:.0f}' for m in r.peak_rss_mb)} | {r.reports} | {r.versions} | "
            f"{r.duplicate_captures} | {r.bytes_per_report:,.0f} |"
        )
    lines.append("")
    lines.append(f"- `scrapy bench` on the same machine: **{bench_rate:.0f} pages/min**"
                 if bench_rate else "- `scrapy bench`: no rate could be read")
    if second is not None and runs.get(1):
        frac = second.requests / runs[1].requests if runs[1].requests else 0
        lines.append(f"- second (unchanged) crawl, 1 worker: {second.requests} requests vs {runs[1].requests}"
                     f" first time = **{frac:.1%}** of the first crawl's requests ({second.wall:.1f} s)")
    if reparse is not None:
        elapsed, n = reparse
        lines.append(f"- `reparse --all` on the 1-worker store: {n} reports in {elapsed:.1f} s ="
                     f" **{n / elapsed:.1f} reports/s** (process start-up included)")
    if n_reports < 10_000:
        lines += ["", f"Only {n_reports} reports were run here (the full 10,000-report run does not fit the"
                  " time available on this shared machine); the full run is"
                  " `.venv/bin/python bench/scale_bench.py`."]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
