"""Throw-away PostgreSQL databases for tests.

The server is found at ``NIANBAOKU_TEST_PG`` (default: `DEFAULT_BASE_URL`, user postgres on
127.0.0.1:5432); each test session creates its own ``nianbaoku_test_<pid>_<random>`` database and drops it
at the end. Where the server is unreachable, tests using it are skipped with the reason — except when
``CI=true``, where a missing database is a broken build and the tests fail instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

DEFAULT_BASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def base_url() -> str:
    """The maintenance database URL used to create and drop test databases."""
    return os.environ.get("NIANBAOKU_TEST_PG") or DEFAULT_BASE_URL


def _admin_engine(url: str | URL):
    return create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 3}
    )


def unreachable_reason(url: str | None = None) -> str | None:
    """Why PostgreSQL at `url` cannot be used, or None if it can."""
    url = url or base_url()
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "no server here"
        first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"PostgreSQL unreachable at {make_url(url).render_as_string(hide_password=True)}: {first_line}"
    finally:
        engine.dispose()
    return None


def require_postgres(url: str | None = None) -> str:
    """The base URL if PostgreSQL answers; otherwise skip the test (fail it when ``CI=true``)."""
    url = url or base_url()
    reason = unreachable_reason(url)
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run, not skip)")
        pytest.skip(reason)
    return url


def create_database(base: str | None = None, prefix: str = "nianbaoku_test") -> str:
    """Create an empty database next to `base` and return its URL."""
    base_u = make_url(base or base_url())
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    engine = _admin_engine(base_u)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    finally:
        engine.dispose()
    return base_u.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database at `url`, closing any connections still open to it."""
    target = make_url(url)
    engine = _admin_engine(target.set(database=make_url(base_url()).database))
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


@contextmanager
def temporary_database(base: str | None = None) -> Iterator[str]:
    """A fresh empty database for the duration of the block."""
    url = create_database(base)
    try:
        yield url
    finally:
        drop_database(url)
