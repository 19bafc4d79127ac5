"""tests/pg.py: an unreachable PostgreSQL skips the tests that need it — or fails them when CI=true."""

from __future__ import annotations

import pytest

from tests import pg

NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/postgres"  # port 1: nothing listens there


def test_unreachable_server_is_reported_with_a_reason() -> None:
    reason = pg.unreachable_reason(NOWHERE)
    assert reason is not None and reason.startswith("PostgreSQL unreachable at postgresql+psycopg://")


def test_unreachable_server_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL unreachable"):
        pg.require_postgres(NOWHERE)


def test_unreachable_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        pg.require_postgres(NOWHERE)


@pytest.mark.postgres
def test_temporary_database_is_created_and_dropped() -> None:
    base = pg.require_postgres()
    with pg.temporary_database(base) as url:
        assert pg.unreachable_reason(url) is None
    assert pg.unreachable_reason(url) is not None  # dropped: connecting to it fails
