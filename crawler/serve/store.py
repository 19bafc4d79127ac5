"""Read-only access to a SQLite store for the web pages: the engine, the check before serving, blobs.

Why a separate engine rather than `storage.db.open_store`: the store's engine starts every transaction
with ``BEGIN IMMEDIATE`` (the write lock) and migrates new stores; a browser must do neither. Here the
file is opened with SQLite's ``mode=ro`` URI (or ``immutable=1`` when asked), and every connection also
sets ``PRAGMA query_only``. ``mode=ro`` still reads the WAL, so a crawl writing at the same time is seen
as it commits; ``immutable=1`` skips locking and the WAL altogether, which is only correct for a store
nothing writes to and whose WAL has been checkpointed — `check_servable` refuses it otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, make_url, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from storage.models import Capture


class NotServable(Exception):
    """The configured store cannot be browsed (not SQLite, missing, outdated, or unsafe to open
    immutable); the message says what and why, in one line."""


@dataclass(frozen=True, slots=True)
class ServedStore:
    """Where a served store lives: the SQLite file and the blob archive, and how the file is opened."""

    db_path: Path
    blob_dir: Path
    immutable: bool = False

    @property
    def name(self) -> str:
        """The database name Datasette gives the file (its stem)."""
        return self.db_path.stem


def sqlite_path(database_url: str) -> Path:
    """The file of a ``sqlite:///…`` URL; `NotServable` for any other backend (whose stores ``serve``
    snapshots into SQLite, `storage.snapshot`) or an in-memory store."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise NotServable(
            f"Datasette serves SQLite files and the store is on {url.get_backend_name()} "
            f"({url.render_as_string(hide_password=True)}); `python -m crawler serve` copies such a store "
            "into a SQLite snapshot first (storage.snapshot)"
        )
    if not url.database or url.database == ":memory:":
        raise NotServable("an in-memory SQLite store cannot be served: point DATABASE_URL at a file")
    return Path(url.database)


def _wal_in_use(db_path: Path) -> bool:
    wal = db_path.with_name(db_path.name + "-wal")
    return wal.is_file() and wal.stat().st_size > 0


def read_only_engine(db_path: Path, *, immutable: bool = False) -> Engine:
    """An engine that can only read `db_path` (see the module docstring)."""
    mode = "immutable=1" if immutable else "mode=ro"
    url = f"sqlite:///file:{quote(str(db_path.resolve()))}?{mode}&uri=true"
    engine = create_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _query_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")

    return engine


def check_servable(served: ServedStore) -> str:
    """Check the store can be browsed as it is; return its schema revision. Raises `NotServable`."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage import migrate

    if not served.db_path.is_file():
        raise NotServable(
            f"no store at {served.db_path}: crawl or import something first (e.g. `python -m crawler demo`)"
        )
    if served.immutable and _wal_in_use(served.db_path):
        raise NotServable(
            f"{served.db_path.name}-wal holds changes not yet in the database file, which immutable mode "
            "would not see; serve without --immutable (or checkpoint the store first)"
        )
    engine = read_only_engine(served.db_path, immutable=served.immutable)
    try:
        revision = migrate.current(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise NotServable(f"{served.db_path} could not be read as a store: {reason}") from exc
    finally:
        engine.dispose()
    newest = migrate.head()
    if revision != newest:
        raise NotServable(
            f"the store at {served.db_path} is at schema revision {revision or '(none)'}, the code expects "
            f"{newest}; run `python -m crawler db upgrade` first"
        )
    return revision


class Reader:
    """Sessions on the served store, read-only; one per request, run in a worker thread."""

    def __init__(self, served: ServedStore) -> None:
        self.served = served
        self.engine = read_only_engine(served.db_path, immutable=served.immutable)
        self.Session: sessionmaker[Session] = sessionmaker(bind=self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()


def capture_for_blob(session: Session, sha256: str) -> Capture | None:
    """A capture whose bytes are `sha256` (the first one recorded): it names the content type and file."""
    return session.scalars(
        select(Capture).where(Capture.sha256 == sha256).order_by(Capture.id).limit(1)
    ).first()
