"""Two OS processes writing into one SQLite store at once: nothing lost, no "database is locked".

Both workers open the *same new* store at the same moment (so they also race to create its schema),
then write captures, agencies, reports and versions in many short transactions, without the retry
helper (`Store.run`): WAL + busy timeout + ``BEGIN IMMEDIATE`` alone must keep "locked" from surfacing.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import func, select

from crawler.config import resolve
from storage.db import open_store
from storage.models import Agency, Capture, Report, ReportVersion
from storage.repository import record_version, store_capture, upsert_agency

UNITS = 60
YEARS = 6
SHARED_URL = "http://www.example.gov.cn/col/col1/index.html"


def _writer(data_dir: str, worker: int, barrier) -> list[str]:
    """Write `UNITS` units of work; return the errors met (empty if all went well)."""
    errors: list[str] = []
    barrier.wait(30)
    try:
        store = open_store(resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir}/nianbaoku.sqlite"))
    except Exception as exc:  # report, don't hide: the test asserts on this list
        return [f"open: {type(exc).__name__}: {exc}"]
    with store:
        for i in range(UNITS):
            try:
                with store.Session() as s, s.begin():
                    store_capture(
                        s, store.blobs, b"<html>shared list page</html>", url=SHARED_URL, kind="list"
                    )
                    body = f"<html>worker {worker} report {i}</html>".encode()
                    cap = store_capture(
                        s, store.blobs, body, url=f"http://www.example.gov.cn/art/{worker}/{i}.html"
                    )
                    agency = upsert_agency(s, "示例市人民政府", aliases=[f"别名{worker}"])
                    record_version(
                        s, agency=agency, stat_year=2015 + i % YEARS, scope="agency", captures=[cap]
                    )
            except Exception as exc:
                errors.append(f"unit {i}: {type(exc).__name__}: {exc}")
    return errors


def test_two_processes_write_one_sqlite_store(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(2)
        with ctx.Pool(2) as pool:
            pending = [pool.apply_async(_writer, (str(data_dir), w, barrier)) for w in (1, 2)]
            errors = [e for p in pending for e in p.get(timeout=300)]
    assert errors == []

    with open_store(
        resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir}/nianbaoku.sqlite")
    ) as store:
        with store.Session() as s:
            assert s.scalar(select(func.count(Capture.id))) == 2 * UNITS + 1
            shared = s.scalars(select(Capture).where(Capture.url == SHARED_URL)).one()
            assert shared.fetch_count == 2 * UNITS  # every visit counted, none lost
            agency = s.scalars(select(Agency)).one()
            assert sorted(agency.aliases) == ["别名1", "别名2"]
            assert s.scalar(select(func.count(Report.id))) == YEARS
            assert s.scalar(select(func.count(ReportVersion.id))) == 2 * UNITS
            current = s.execute(
                select(ReportVersion.report_id, func.count())
                .where(ReportVersion.is_current)
                .group_by(ReportVersion.report_id)
            ).all()
            assert len(current) == YEARS and all(n == 1 for _, n in current)
        assert len(list(store.blobs.iter_all())) == 2 * UNITS + 1
