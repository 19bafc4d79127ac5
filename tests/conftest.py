"""Shared fixtures: a `store` on every backend the store supports.

``store`` is parametrized over ``sqlite`` (a fresh file in the test's tmp dir, copied from a template
migrated once per session) and ``postgres`` (one throw-away database per test session, see `tests.pg`;
each test runs inside an outer transaction that is rolled back at teardown — the SQLAlchemy
"join_transaction_mode='create_savepoint'" recipe — so code under test may commit freely).
Other test modules reuse it simply by asking for ``store``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from crawler.config import resolve
from storage import migrate
from storage.blobs import BlobStore
from storage.db import Store, create_store_engine, open_store
from tests import pg


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database migrated to head, for the whole test session (skips if unreachable)."""
    base = pg.require_postgres()
    url = pg.create_database(base)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        pg.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "nianbaoku.sqlite"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _sqlite_store(tmp_path: Path, template: Path) -> Store:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(template, data_dir / "nianbaoku.sqlite")
    return open_store(resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An open, migrated, empty store with a blob archive in the test's tmp dir."""
    if request.param == "sqlite":
        opened = _sqlite_store(tmp_path, request.getfixturevalue("sqlite_template"))
        try:
            yield opened
        finally:
            opened.close()
        return
    url = request.getfixturevalue("pg_url")
    engine = create_store_engine(url)
    connection = engine.connect()
    outer = connection.begin()
    Session = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    config = resolve(data_dir=tmp_path / "data", database_url=url)
    try:
        yield Store(config=config, engine=engine, Session=Session, blobs=BlobStore(config.blob_dir))
    finally:
        outer.rollback()
        connection.close()
        engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_template: Path) -> Iterator[Store]:
    """A SQLite-only store, for behaviour that is SQLite's alone (locking, WAL)."""
    opened = _sqlite_store(tmp_path, sqlite_template)
    try:
        yield opened
    finally:
        opened.close()
