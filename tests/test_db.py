"""storage.db and storage.types: SQLite tuning, write locking, the retry helper, aware timestamps."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError, StatementError

from storage.db import Store, create_store_engine, is_locked_error
from storage.models import CrawlRun


def test_sqlite_connections_are_tuned(sqlite_store: Store) -> None:
    with sqlite_store.engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 60_000}


def test_sqlite_transactions_take_the_write_lock_up_front(sqlite_store: Store) -> None:
    """BEGIN IMMEDIATE: while one unit of work is open, another writer cannot even begin."""
    path = sqlite_store.engine.url.database
    with sqlite_store.Session() as s, s.begin():
        s.execute(select(1))  # nothing written yet, but the transaction has begun
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            assert other.execute("SELECT count(*) FROM agencies").fetchone() == (0,)  # readers still read
        finally:
            other.close()


def test_foreign_keys_are_enforced(sqlite_store: Store) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"), sqlite_store.Session() as s, s.begin():
        s.execute(
            text(
                "INSERT INTO reports (agency_id, stat_year, scope, created_at) "
                "VALUES (999, 2023, 'agency', '2024-01-01')"
            )
        )


def test_run_retries_a_locked_unit_of_work_and_nothing_else(sqlite_store: Store) -> None:
    calls: list[int] = []

    def flaky(session):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))
        return session.scalar(select(1))

    assert sqlite_store.run(flaky) == 1 and len(calls) == 2

    def broken(session):
        calls.append(1)
        raise OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table: nope"))

    calls.clear()
    with pytest.raises(OperationalError, match="no such table"):
        sqlite_store.run(broken)
    assert len(calls) == 1
    assert is_locked_error(OperationalError("x", {}, sqlite3.OperationalError("database is locked")))
    assert not is_locked_error(ValueError("locked"))


def test_naive_datetimes_are_refused_and_aware_ones_come_back_utc(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.Session() as s, s.begin():
        s.add(
            CrawlRun(
                profile="p", started_at=datetime(2024, 1, 1, 8, 0), status="running", counts={}, errors=[]
            )
        )
    with store.Session() as s, s.begin():
        s.add(CrawlRun(profile="p", started_at=datetime(2024, 1, 1, 8, 0, tzinfo=UTC), status="running"))
    with store.Session() as s:
        run = s.scalars(select(CrawlRun)).one()
        assert run.started_at == datetime(2024, 1, 1, 8, 0, tzinfo=UTC) and run.started_at.tzinfo is not None
        assert run.counts == {} and run.errors == []  # JSON defaults


def test_postgres_engines_get_a_pool() -> None:
    engine = create_store_engine("postgresql+psycopg://u@127.0.0.1:1/db")
    try:
        assert engine.pool.size() == 5 and engine.pool._pre_ping
    finally:
        engine.dispose()
