"""Alembic, configured in code: upgrade, downgrade and inspect the store's schema without an alembic.ini.

The migration scripts live in ``storage/migrations/`` (``env.py`` + ``versions/``). Every function takes a
*target*: an `Engine`, a `Connection` (used as is, inside the caller's transaction), a database URL or a
`StoreConfig`. With an engine or URL the work runs in one transaction that first takes a lock —
``BEGIN IMMEDIATE`` on SQLite (see `storage.db`), an advisory lock on PostgreSQL — so two processes
opening a new store at once migrate it once, not twice.

For the ``alembic`` command line, ``storage/alembic.ini`` points at the same scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.pool import NullPool

from crawler.config import StoreConfig
from storage.errors import StoreError, StoreOutdated

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PG_MIGRATION_LOCK = 0x6E62_6B75  # "nbku": advisory lock key serialising concurrent migrations

Target = Engine | Connection | str | StoreConfig


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic `Config` for the store's scripts, bound to `url` and/or an open `connection`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision the code knows."""
    rev = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if rev is None:  # pragma: no cover - the initial revision ships with the code
        raise StoreError(f"no migration scripts found in {MIGRATIONS_DIR}")
    return rev


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
    # SQLite: the transaction already began with BEGIN IMMEDIATE (storage.db), which is the lock.


@contextmanager
def _connection(target: Target) -> Iterator[Connection]:
    """A connection inside a locked transaction (committed on success), or the caller's own."""
    if isinstance(target, Connection):
        yield target
        return
    if isinstance(target, Engine):
        with target.begin() as connection:
            _lock(connection)
            yield connection
        return
    from storage.db import create_store_engine

    url = target.database_url if isinstance(target, StoreConfig) else target
    engine = create_store_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            _lock(connection)
            yield connection
    finally:
        engine.dispose()


def upgrade(target: Target, rev: str = "head") -> None:
    """Migrate the schema up to `rev` (default: the newest)."""
    with _connection(target) as connection:
        command.upgrade(alembic_config(connection=connection), rev)


def downgrade(target: Target, rev: str) -> None:
    """Migrate the schema down to `rev` (``base`` removes every table of the store)."""
    with _connection(target) as connection:
        command.downgrade(alembic_config(connection=connection), rev)


def current(target: Target) -> str | None:
    """The schema revision the database is at, or None for a database the store never migrated."""
    with _connection(target) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_current(target: Target) -> str:
    """Create a new store at head; check an existing one is at head. Returns the revision.

    Raises `StoreOutdated` for a store behind (or ahead of) the code — migrating someone's archive is
    a decision for ``python -m crawler db upgrade``, not a side effect — and `StoreError` for a
    database that holds tables but was never migrated by this code.
    """
    newest = head()
    with _connection(target) as connection:
        rev = MigrationContext.configure(connection).get_current_revision()
        if rev == newest:
            return rev
        url = connection.engine.url.render_as_string(hide_password=True)
        if rev is None:
            # `downgrade base` leaves an empty alembic_version table: that is still a new store.
            tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
            if tables:
                raise StoreError(
                    f"the database at {url} already holds tables ({', '.join(sorted(tables)[:5])}…) but no "
                    "nianbaoku schema revision; point DATABASE_URL at an empty database"
                )
            command.upgrade(alembic_config(connection=connection), "head")
            return newest
        script = ScriptDirectory.from_config(alembic_config())
        known = any(s.revision == rev for s in script.walk_revisions())
        raise StoreOutdated(url, rev, newest, known=known)
