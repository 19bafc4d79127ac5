"""Engines, sessions and the `Store` handle: how the rest of the code reaches the database and archive.

SQLite is the default (``<data dir>/nianbaoku.sqlite``, resolved by `crawler.config.resolve`); any
SQLAlchemy URL works otherwise (PostgreSQL as ``postgresql+psycopg://…``).

SQLite is tuned for several writers on one machine (a crawl and a reparse at once):

- WAL journal, so readers never block the writer and the writer never blocks readers;
- ``foreign_keys=ON`` (off by default in SQLite) and ``busy_timeout`` of `SQLITE_BUSY_TIMEOUT_S`;
- every transaction starts with ``BEGIN IMMEDIATE`` (the pysqlite "begin event" recipe from the
  SQLAlchemy docs): the write lock is taken up front, waiting on the busy timeout, instead of a read
  transaction failing with "database is locked" when it later tries to write;
- `Store.run` retries a unit of work a bounded number of times if "locked" still surfaces.

JSON is written as real UTF-8 (``ensure_ascii=False``), so Chinese text is readable in the raw column.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crawler.config import StoreConfig, resolve
from storage.blobs import BlobStore

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_S = 60
"""How long a SQLite writer waits for another's lock before giving up (the brief asks ≥ 30 s)."""
LOCKED_RETRIES = 3
"""Extra attempts `Store.run` makes when SQLite still reports "database is locked"."""

T = TypeVar("T")


def _json_dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _enable_wal(cursor: Any) -> None:
    """Switch the database file to WAL (a persistent property of the file, so usually a no-op read).

    Converting a new file needs an exclusive lock, and SQLite does not always run the busy handler for
    it: two processes creating one store at the same moment could see "database is locked" here. So
    the switch is retried, with back-off, for as long as the busy timeout would have waited.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not ("locked" in str(exc) or "busy" in str(exc)) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _install_sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")  # durable in WAL mode except on power loss
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_store_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` with the store's serializer and per-backend tuning (see module docstring).

    Extra keyword arguments go to `sqlalchemy.create_engine` (e.g. ``poolclass=NullPool``).
    """
    options: dict[str, Any] = {"json_serializer": _json_dumps}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
    elif url.startswith("postgresql") and "poolclass" not in kwargs:
        options.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
    options.update(kwargs)
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _install_sqlite_events(engine)
    return engine


def make_sessionmaker(bind: Any) -> sessionmaker[Session]:
    """The one `sessionmaker` of a store; ``expire_on_commit=False`` so returned rows stay readable."""
    return sessionmaker(bind=bind, expire_on_commit=False)


def is_locked_error(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's "database is locked"/"busy" (worth retrying), not a real failure."""
    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)


@dataclass
class Store:
    """An open store: the engine, its session factory and the blob archive.

    Units of work open their own session (``with store.Session() as s, s.begin(): …``) or go through
    `run`, which also retries on SQLite lock contention.
    """

    config: StoreConfig
    engine: Engine
    Session: sessionmaker[Session]
    blobs: BlobStore
    _closed: bool = field(default=False, repr=False)

    def run(self, work: Callable[[Session], T], *, retries: int = LOCKED_RETRIES) -> T:
        """Run ``work(session)`` in one transaction and commit; retry whole if SQLite was locked.

        `work` must be safe to repeat (it is, if it only touches the session it is given).
        """
        for attempt in range(retries + 1):
            try:
                with self.Session() as session, session.begin():
                    return work(session)
            except OperationalError as exc:
                if attempt == retries or not is_locked_error(exc):
                    raise
                logger.warning("store locked, retrying unit of work (attempt %d of %d)", attempt + 1, retries)
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Release pooled connections (the blob archive holds none)."""
        if not self._closed:
            self.engine.dispose()
            self._closed = True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prepare_location(config: StoreConfig) -> None:
    """Create the directory a SQLite file will live in (SQLite creates the file, not its folders)."""
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def display_url(url: str) -> str:
    """The URL as it may be printed: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


def open_store(config: StoreConfig | None = None, upgrade: bool = True) -> Store:
    """Open the store described by `config` (default: `crawler.config.resolve()`).

    With ``upgrade=True`` a new store (no schema yet) is migrated to the newest revision, and an
    existing one is checked: if it is behind the code, `storage.errors.StoreOutdated` tells the user
    to run ``python -m crawler db upgrade`` (an existing archive is never migrated behind their back).
    With ``upgrade=False`` nothing is checked or created.
    """
    from storage import migrate  # alembic is imported only when a store is opened

    config = config or resolve()
    prepare_location(config)
    engine = create_store_engine(config.database_url)
    try:
        if upgrade:
            migrate.ensure_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(
        config=config, engine=engine, Session=make_sessionmaker(engine), blobs=BlobStore(config.blob_dir)
    )
