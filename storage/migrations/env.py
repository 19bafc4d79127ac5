"""Alembic environment: the generic template, plus the store's metadata, batch mode and shared connections.

- ``target_metadata`` is `storage.models.Base.metadata`, so autogenerate and `compare_metadata` see
  the models.
- ``render_as_batch=True``: SQLite cannot ALTER most things, so Alembic rebuilds tables ("batch mode").
- A connection handed in through ``config.attributes["connection"]`` is used as is (the CLI and the
  tests run migrations on a connection they already hold — Alembic cookbook, "Sharing a Connection").
- Otherwise an engine is made from ``sqlalchemy.url`` with `storage.db.create_store_engine` (so SQLite
  gets its pragmas) and ``NullPool``; offline mode (``--sql``) only needs the URL and emits SQL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.pool import NullPool

from storage.db import create_store_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    """``sqlalchemy.url`` if set, else the store `crawler.config.resolve()` finds (alembic CLI use)."""
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from crawler.config import resolve

    return resolve().database_url


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit the migration SQL for ``sqlalchemy.url`` without connecting."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on a fresh one to ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_store_engine(_url(), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
