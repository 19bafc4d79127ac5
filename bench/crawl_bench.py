"""Crawl benchmark: pages per minute of one crawl process on a large replica portal, beside
``scrapy bench`` on the same machine, and the crawl's peak memory.

Run (Redis on 127.0.0.1:6379 for the frontier of `bench.scale_bench.crawl`)::

    .venv/bin/python bench/crawl_bench.py                   # 5,000 reports, SQLite store in a temp dir
    .venv/bin/python bench/crawl_bench.py --reports 500     # a quick look
    .venv/bin/python bench/crawl_bench.py --db-url postgresql+psycopg://postgres@127.0.0.1:5432/x

The crawl is `bench.scale_bench.crawl` with one worker (the replica-fast settings of ``demo``, eight
requests in flight to the one host) and ``scrapy bench`` is `bench.scale_bench.scrapy_bench` — imported,
not copied, so both benchmarks measure the same thing. Figures: reports stored, responses, wall seconds
(process start-up included), pages per minute (responses / wall), ``scrapy bench`` pages per minute (its
best logged rate: Scrapy's ceiling with no parsing and no store), their ratio, and the crawl process's
peak resident memory (``VmHWM``). Prints a table; writes nothing else and asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale_bench import YEARS, crawl, scrapy_bench  # noqa: E402
from storage import migrate  # noqa: E402
from tests.replica.server import ReplicaServer  # noqa: E402
from tests.replica.sites import SiteSpec, agency_names  # noqa: E402


def big_spec(reports: int) -> SiteSpec:
    """A TRS replica with about `reports` reports (agencies × the ten years of `YEARS`)."""
    agencies = max(1, reports // (YEARS[1] - YEARS[0] + 1))
    return SiteSpec("big", "trs", agencies=agency_names(agencies), years=YEARS, seed=42, full_files=0,
                    non_reports=20, other_column=10)


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v:>10}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=5000, help="reports in the replica (multiple of 10)")
    ap.add_argument("--bench-seconds", type=int, default=20, help="length of the scrapy bench run")
    ap.add_argument("--db-url", help="PostgreSQL store URL (default: SQLite in a temp dir)")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="nbk-crawlbench-"))
    data = work / "data"
    db_url = args.db_url or f"sqlite:///{data / 'nianbaoku.sqlite'}"
    try:
        data.mkdir(parents=True)
        migrate.upgrade(db_url)
        with ReplicaServer([big_spec(args.reports)]) as replica:
            n_reports = len(replica.site("big").reports)
            print(f"replica: {n_reports} reports at {replica.base('big')}; store {db_url}", file=sys.stderr)
            run = crawl(replica, 1, db_url, data, work, "w1")
        bench_rate = scrapy_bench(args.bench_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratio = f"{run.pages_per_min / bench_rate:.1%}" if bench_rate else "-"
    print(table([
        ("replica reports", str(n_reports)),
        ("reports stored", str(run.reports)),
        ("responses", str(run.responses)),
        ("wall s", f"{run.wall:.1f}"),
        ("pages/min", f"{run.pages_per_min:,.0f}"),
        ("scrapy bench pages/min", f"{bench_rate:,.0f}" if bench_rate else "-"),
        ("ratio", ratio),
        ("peak RSS MB", f"{max(run.peak_rss_mb or [0.0]):.1f}"),
    ]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
