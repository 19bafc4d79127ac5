"""``python -m crawler db …`` and ``python -m crawler status`` run as a user runs them (subprocesses)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.config import resolve
from storage import migrate
from storage.db import open_store
from storage.repository import (
    finish_crawl_run,
    record_parse,
    record_version,
    start_crawl_run,
    store_capture,
    upsert_agency,
)
from tests.cli import run_crawler as crawler


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_db_upgrade_creates_the_store(data_dir: Path) -> None:
    done = crawler(data_dir, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert (data_dir / "nianbaoku.sqlite").is_file()
    assert f"schema revision: {migrate.head()} (head)" in done.stdout
    assert str(data_dir / "nianbaoku.sqlite") in done.stdout

    current = crawler(data_dir, "db", "current")
    assert current.returncode == 0 and f"{migrate.head()} (head)" in current.stdout


def test_db_downgrade_and_back(data_dir: Path) -> None:
    assert crawler(data_dir, "db", "upgrade").returncode == 0
    down = crawler(data_dir, "db", "downgrade", "base")
    assert down.returncode == 0, down.stderr
    assert "schema revision: (none)" in down.stdout
    status = crawler(data_dir, "status", "--json")  # a store emptied by `downgrade base` is new again
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["schema_revision"] == migrate.head()
    up = crawler(data_dir, "db", "upgrade")
    assert up.returncode == 0 and "(head)" in up.stdout


def test_db_errors_are_one_line_not_a_traceback(data_dir: Path) -> None:
    done = crawler(data_dir, "db", "upgrade", "no-such-revision")
    assert done.returncode == 1
    assert "error:" in done.stderr and "no-such-revision" in done.stderr
    assert "Traceback" not in done.stderr


def test_status_on_a_new_store(data_dir: Path) -> None:
    done = crawler(data_dir, "status")
    assert done.returncode == 0, done.stderr
    for label in (
        "agencies",
        "reports",
        "report versions",
        "captures",
        "blobs",
        "parse results",
        "crawl runs",
    ):
        assert label in done.stdout
    assert "never" in done.stdout  # no crawl yet
    as_json = json.loads(crawler(data_dir, "status", "--json").stdout)
    assert as_json["agencies"] == 0 and as_json["last_crawl"] is None
    assert as_json["schema_revision"] == migrate.head()


def test_status_shows_what_the_store_holds(data_dir: Path) -> None:
    config = resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}")
    started = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
    with open_store(config) as store, store.Session() as s, s.begin():
        run = start_crawl_run(s, "zj-wuxing-rsj-nianbao", started_at=started)
        store_capture(
            s, store.blobs, b"<html>list</html>", url="http://x.gov.cn/col/1.html", kind="list", crawl_run=run
        )
        cap = store_capture(
            s, store.blobs, "<html>年度报告</html>".encode(), url="http://x.gov.cn/art/1.html"
        )
        agency = upsert_agency(s, "湖州市吴兴区人力资源和社会保障局")
        version, _ = record_version(s, agency=agency, stat_year=2023, captures=[cap])
        record_parse(
            s,
            version,
            {
                "parser_version": "0.1.0",
                "report": {"format_version": "gov2021"},
                "cells": {"applications.new.total": {"value": 3, "raw": "3", "flag": "ok"}},
                "checks": [{"rule": "T3-BAL", "status": "FAIL", "left": 3, "right": 2, "delta": 1}],
            },
        )
        finish_crawl_run(s, run, counts={"new": 1, "requests": 2})

    done = crawler(data_dir, "status", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["agencies"], data["reports"], data["report_versions"]) == (1, 1, 1)
    assert (data["captures"], data["blobs"], data["parse_results"], data["cells"]) == (2, 2, 1, 1)
    assert data["check_failures"] == 1
    assert data["captures_by_kind"] == {"detail": 1, "list": 1}
    assert data["last_crawl"]["profile"] == "zj-wuxing-rsj-nianbao"
    assert data["last_crawl"]["counts"] == {"new": 1, "requests": 2}

    table = crawler(data_dir, "status")
    assert table.returncode == 0, table.stderr
    assert "zj-wuxing-rsj-nianbao" in table.stdout and "finished" in table.stdout
    assert "1 failed checks" in table.stdout
    assert "detail 1, list 1" in table.stdout


def test_status_on_a_store_from_newer_code_says_what_to_do(data_dir: Path) -> None:
    assert crawler(data_dir, "db", "upgrade").returncode == 0
    import sqlite3

    with sqlite3.connect(data_dir / "nianbaoku.sqlite") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    done = crawler(data_dir, "status")
    assert done.returncode == 1
    assert "f00dfeed" in done.stderr and "Traceback" not in done.stderr
