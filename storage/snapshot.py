"""A read-only SQLite snapshot of a store, so ``serve`` (Datasette reads SQLite only) can browse a
PostgreSQL store.

How: a new SQLite file is created at the code's schema head by the same Alembic migrations as any store
(`storage.migrate`), then every table of the models is copied into it row by row, in batches, in
foreign-key order (`Base.metadata.sorted_tables`). The rows are read and written through the models'
column types, so values arrive exactly as the store returns them (aware UTC times, decoded JSON, floats
bit for bit) and are stored the way a SQLite store stores them — the snapshot *is* a SQLite store, and
everything that serves one serves it.

Consistency: the whole copy reads in one transaction — ``REPEATABLE READ, READ ONLY`` on PostgreSQL,
a deferred ``BEGIN`` on SQLite — so a crawl committing meanwhile never leaves a version without its
parse result in the snapshot. The time printed is the transaction's start (PostgreSQL ``now()``).

Safety: the copy is written to a temporary file next to the target, checked (row counts equal the
source's in the same transaction), made read-only (mode 0444) and moved into place with `os.replace`;
a server still serving the previous snapshot keeps its open file until it stops. The snapshot has no
WAL (rollback journal, nothing left to checkpoint), so it is safe to open as an immutable file.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from storage import migrate, queries
from storage.db import create_store_engine, display_url
from storage.errors import StoreError
from storage.models import Base
from storage.types import utcnow

SNAPSHOT_NAME = "serve-snapshot.sqlite"
"""The snapshot's file name in the data directory (``serve --snapshot PATH`` puts it elsewhere)."""
BATCH = 2000
"""Rows read and inserted per step: the memory the copy holds at once."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A finished snapshot: where it is, what it copied, and when the copied state was current."""

    path: Path
    source: str
    """The source store's URL, password masked."""
    taken_at: datetime
    revision: str
    rows: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _json_dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)  # as the store writes JSON (storage.db)


def _source_engine(url: str) -> Engine:
    """An engine that reads the source without taking any lock a writer would wait for.

    The store's own SQLite engine begins with ``BEGIN IMMEDIATE`` (the write lock); here SQLite gets a
    plain deferred ``BEGIN`` (pysqlite's own transaction handling switched off, the SQLAlchemy recipe),
    which still makes every read of the copy see one state of the file.
    """
    if not url.startswith("sqlite"):
        return create_store_engine(url, poolclass=NullPool)
    engine = create_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA query_only = ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


@contextmanager
def _consistent_read(engine: Engine) -> Iterator[tuple[Connection, datetime]]:
    """A connection inside one read-only transaction, and the moment its view of the data is from."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(text("SET TRANSACTION READ ONLY"))
                taken_at = connection.execute(text("SELECT now()")).scalar_one().astimezone(UTC)
            else:
                taken_at = utcnow()
            yield connection, taken_at


def _target_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool, json_serializer=_json_dumps)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # A throw-away file until it is renamed into place: no need to survive a power cut mid-copy.
        dbapi_connection.execute("PRAGMA synchronous = OFF")
        dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # the source enforced them already

    return engine


def take_snapshot(
    source_url: str,
    path: Path,
    *,
    batch: int = BATCH,
    on_start: Callable[[dict[str, int]], None] | None = None,
    on_rows: Callable[[str, int], None] | None = None,
) -> Snapshot:
    """Copy the store at `source_url` into a new read-only SQLite file at `path` (replacing it).

    `on_start(rows per table)` is called once the source is counted, `on_rows(table, n)` after each
    batch — for a progress bar. Raises `StoreError` when the source is not at the code's schema head
    (``db upgrade`` first) or the copy does not match the source's counts; SQLAlchemy errors when the
    source cannot be read.
    """
    started = time.monotonic()
    path = path.resolve()
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    source = _source_engine(source_url)
    target = None
    try:
        with _consistent_read(source) as (reading, taken_at):
            revision = migrate.current(reading)
            newest = migrate.head()
            if revision != newest:
                raise StoreError(
                    f"the store at {display_url(source_url)} is at schema revision {revision or '(none)'}, "
                    f"the code expects {newest}; run `python -m crawler db upgrade` first"
                )
            session = Session(bind=reading)
            tables = Base.metadata.sorted_tables
            expected = {table.name: queries.table_row_count(session, table) for table in tables}
            if on_start:
                on_start(expected)
            path.parent.mkdir(parents=True, exist_ok=True)
            target = _target_engine(partial)
            migrate.upgrade(target)
            copied = dict.fromkeys(expected, 0)
            with target.begin() as writing:
                for table in tables:
                    rows: list[dict[str, Any]] = []
                    for row in queries.iter_table_rows(session, table, batch=batch):
                        rows.append(dict(row))
                        if len(rows) >= batch:
                            writing.execute(table.insert(), rows)
                            copied[table.name] += len(rows)
                            if on_rows:
                                on_rows(table.name, len(rows))
                            rows = []
                    if rows:
                        writing.execute(table.insert(), rows)
                        copied[table.name] += len(rows)
                        if on_rows:
                            on_rows(table.name, len(rows))
            if copied != expected:
                raise StoreError(f"the snapshot copied {copied} rows but the store holds {expected}")
        with target.begin() as writing:
            writing.exec_driver_sql("ANALYZE")  # query plans for Datasette's facets and counts
        target.dispose()
        target = None
        partial.chmod(0o444)
        os.replace(partial, path)
    finally:
        if target is not None:
            target.dispose()
        source.dispose()
        partial.unlink(missing_ok=True)
    return Snapshot(
        path=path,
        source=display_url(source_url),
        taken_at=taken_at,
        revision=revision,
        rows=copied,
        seconds=time.monotonic() - started,
    )
