"""storage.migrate and storage/migrations: up, down, up again on every backend; models match the scripts."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.pool import NullPool

from crawler.config import resolve
from storage import migrate
from storage.db import create_store_engine, open_store
from storage.errors import StoreError, StoreOutdated
from storage.models import Base
from storage.repository import upsert_agency
from tests import pg

TABLES = {
    "agencies",
    "captures",
    "cells",
    "check_results",
    "crawl_runs",
    "cross_year_checks",
    "parse_results",
    "report_version_captures",
    "report_versions",
    "reports",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each backend (a fresh PostgreSQL database per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nianbaoku.sqlite'}"
        return
    base = pg.require_postgres()
    with pg.temporary_database(base) as url:
        yield url


def _diff(url: str) -> list:
    engine = create_store_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_store_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    assert migrate.current(empty_url) is None
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == migrate.head()
    assert _tables(empty_url) == TABLES
    assert _diff(empty_url) == []

    migrate.downgrade(empty_url, "base")
    assert migrate.current(empty_url) is None
    assert _tables(empty_url) == set()

    migrate.upgrade(empty_url, "head")
    assert migrate.current(empty_url) == migrate.head()
    assert _diff(empty_url) == []


def test_open_store_after_downgrade_to_base_recreates_the_schema(empty_url: str, tmp_path: Path) -> None:
    migrate.upgrade(empty_url)
    migrate.downgrade(empty_url, "base")  # leaves an empty alembic_version table behind
    with open_store(resolve(data_dir=tmp_path / "data", database_url=empty_url)) as store:
        assert migrate.current(store.engine) == migrate.head()


def test_the_models_match_the_migration(empty_url: str) -> None:
    """Autogenerate against a migrated database finds nothing to do: no forgotten migration."""
    migrate.upgrade(empty_url)
    assert _diff(empty_url) == []


def test_open_store_creates_a_new_store_and_data_survives_reopening(empty_url: str, tmp_path: Path) -> None:
    config = resolve(data_dir=tmp_path / "data", database_url=empty_url)
    with open_store(config) as store:
        assert migrate.current(store.engine) == migrate.head()
        store.run(lambda s: upsert_agency(s, "国务院办公厅", level="national"))
    with open_store(config) as store, store.Session() as s:
        assert s.execute(text("SELECT name FROM agencies")).scalar_one() == "国务院办公厅"


def test_open_store_refuses_an_unknown_revision(empty_url: str, tmp_path: Path) -> None:
    migrate.upgrade(empty_url)
    engine = create_store_engine(empty_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    engine.dispose()
    with pytest.raises(StoreOutdated, match=r"f00dfeed.*newer code"):
        open_store(resolve(data_dir=tmp_path / "data", database_url=empty_url))


def test_open_store_refuses_a_foreign_database(empty_url: str, tmp_path: Path) -> None:
    engine = create_store_engine(empty_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE somebody_elses (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError, match="no nianbaoku schema revision"):
        open_store(resolve(data_dir=tmp_path / "data", database_url=empty_url))


def test_open_store_without_upgrade_touches_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nianbaoku.sqlite'}"
    with open_store(resolve(data_dir=tmp_path, database_url=url), upgrade=False) as store:
        assert migrate.current(store.engine) is None


def test_migrations_run_on_a_connection_the_caller_holds(tmp_path: Path) -> None:
    """The cookbook path: env.py uses ``config.attributes['connection']`` inside the caller's transaction."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'nianbaoku.sqlite'}")
    with engine.connect() as conn:
        with conn.begin():
            migrate.upgrade(conn)
            assert migrate.current(conn) == migrate.head()
        assert set(inspect(conn).get_table_names()) >= TABLES
    engine.dispose()


def test_offline_mode_emits_sql() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        command.upgrade(migrate.alembic_config("postgresql+psycopg://u@h/db"), "head", sql=True)
    sql = out.getvalue()
    assert "CREATE TABLE agencies" in sql
    assert (
        "CREATE UNIQUE INDEX uq_report_versions_current ON report_versions (report_id) WHERE is_current"
        in sql
    )
    assert "TIMESTAMP WITH TIME ZONE" in sql
