"""``serve`` on a PostgreSQL store: a read-only SQLite snapshot (`storage.snapshot`) holding the same
rows and values, served by the same Datasette app — in process, and through the command on a real port.

The PostgreSQL store is a throw-away database of its own (the data must be committed: the snapshot and
the command read it through connections of their own). It holds a forged gov2021 report whose every
number is known (`tests.forge`), two years of a synthetic report (so cross-year checks exist), a crawl
run and a list capture — a row in every table of the schema.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from crawler.config import PROJECT_ROOT, resolve
from crawler.serve import layout
from crawler.serve.app import make_datasette
from crawler.serve.store import ServedStore, check_servable
from storage import migrate, queries
from storage.db import create_store_engine, open_store
from storage.models import Base
from storage.repository import finish_crawl_run, start_crawl_run, store_capture
from storage.snapshot import SNAPSHOT_NAME, take_snapshot
from tests import pg
from tests.forge import ForgedReport, forge
from tests.store_fill import T0, add_report, synthetic_result

pytestmark = pytest.mark.postgres
START_TIMEOUT_S = 30.0


@dataclass
class PgArchive:
    url: str
    data_dir: Path
    forged: ForgedReport
    forged_version: int


def _fill(url: str, data_dir: Path) -> PgArchive:
    from parsers.report import parse

    forged = forge(1, "html_word_zoom")
    result = parse(forged.content, url=forged.url, content_type=forged.content_type).to_dict()
    config = resolve(data_dir=data_dir, database_url=url)
    with open_store(config) as store, store.Session() as s, s.begin():
        run = start_crawl_run(s, "pg-snapshot-test", started_at=T0)
        store_capture(
            s, store.blobs, b"<html>list</html>", url="http://x.gov.cn/col/1.html", kind="list", crawl_run=run
        )
        version, _ = add_report(
            s, store.blobs, agency=result["report"]["agency"], year=result["report"]["stat_year"],
            result=result, body=forged.content, url=forged.url,
        )  # fmt: skip
        for year in (2022, 2023):
            add_report(
                s, store.blobs, agency="乙县教育局", year=year,
                result=synthetic_result(agency="乙县教育局", stat_year=year, start=year - 2000),
                attachment_url=f"http://x.gov.cn/files/{year}.pdf",
            )  # fmt: skip
        queries.refresh_all_cross_year_checks(s)
        finish_crawl_run(s, run, counts={"new": 3})
        forged_version = version.id
    return PgArchive(url, data_dir, forged, forged_version)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgArchive]:
    base = pg.require_postgres()
    with pg.temporary_database(base) as url:
        migrate.upgrade(url)
        yield _fill(url, tmp_path_factory.mktemp("serve-pg") / "data")


def _rows(engine: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the models' types return them, in primary-key order."""
    with Session(engine) as session:
        return {
            table.name: [dict(row) for row in queries.iter_table_rows(session, table, batch=7)]
            for table in Base.metadata.sorted_tables
        }


def _get(datasette: Any, path: str) -> tuple[int, str]:
    async def fetch() -> Any:
        await datasette.invoke_startup()
        return await datasette.client.get(path)

    response = asyncio.run(fetch())
    return response.status_code, response.text


def _cell(doc: Any, key: str) -> str:
    (found,) = doc.xpath(f'//td[@data-key="{key}"]')
    return (found.text or "").strip()


# --- the snapshot ------------------------------------------------------------------------------------


def test_snapshot_has_the_same_rows_and_values(archive: PgArchive, tmp_path: Path) -> None:
    target = tmp_path / SNAPSHOT_NAME
    progress: dict[str, int] = {}
    snap = take_snapshot(
        archive.url,
        target,
        batch=3,  # several batches per table
        on_rows=lambda table, n: progress.__setitem__(table, progress.get(table, 0) + n),
    )
    source_engine = create_store_engine(archive.url)
    snapshot_engine = create_engine(f"sqlite:///file:{target}?mode=ro&uri=true")
    try:
        source, copied = _rows(source_engine), _rows(snapshot_engine)
    finally:
        source_engine.dispose()
        snapshot_engine.dispose()
    assert source.keys() == copied.keys()
    for table, rows in source.items():
        assert rows, f"{table}: the archive should put a row in every table"
        assert len(copied[table]) == len(rows) == snap.rows[table] == progress[table], table
        assert copied[table] == rows, table  # every cell: times, JSON, floats, booleans, NULLs
    assert snap.revision == migrate.head() and snap.source.startswith("postgresql")
    # a read-only file with nothing in a WAL: servable as an immutable file
    assert not stat.S_IMODE(target.stat().st_mode) & 0o222
    assert not target.with_name(target.name + "-wal").exists()
    assert check_servable(ServedStore(target, archive.data_dir / "blobs", immutable=True)) == migrate.head()
    assert [p.name for p in tmp_path.iterdir()] == [SNAPSHOT_NAME]  # no partial file left behind


def test_the_serve_app_shows_a_report_from_the_snapshot(archive: PgArchive, tmp_path: Path) -> None:
    snap = take_snapshot(archive.url, tmp_path / "snap.sqlite")
    datasette = make_datasette(
        ServedStore(snap.path, archive.data_dir / "blobs", immutable=True), version_note="snapshot"
    )
    status, body = _get(datasette, "/reports")
    assert status == 200
    index = lxml_html.fromstring(body)
    links = {a.text_content(): a.get("href") for a in index.xpath('//table[@id="reports"]//a')}
    assert links[archive.forged.data.agency] == f"/report/{archive.forged_version}"
    assert "乙县教育局" in links

    status, body = _get(datasette, f"/report/{archive.forged_version}")
    assert status == 200
    doc = lxml_html.fromstring(body)
    for key in archive.forged.data.keys:
        value, _flag = archive.forged.data.expected(key)
        expected = layout.format_number(value) if value is not None else archive.forged.data.text(key)
        assert _cell(doc, key) == expected, key
    status, _ = _get(datasette, "/snap/cells.json?_size=1")
    assert status == 200


def test_running_again_refreshes_the_snapshot(tmp_path: Path) -> None:
    """A second run sees what was committed since and replaces the first (read-only) file."""
    with pg.temporary_database(pg.require_postgres()) as url:
        config = resolve(data_dir=tmp_path / "data", database_url=url)
        target = tmp_path / SNAPSHOT_NAME
        with open_store(config) as store:
            with store.Session() as s, s.begin():
                add_report(s, store.blobs, agency="甲县人民政府", year=2023,
                           result=synthetic_result(agency="甲县人民政府", stat_year=2023))  # fmt: skip
            first = take_snapshot(url, target)
            with store.Session() as s, s.begin():
                add_report(s, store.blobs, agency="丙县财政局", year=2023,
                           result=synthetic_result(agency="丙县财政局", stat_year=2023))  # fmt: skip
            second = take_snapshot(url, target)
    assert second.taken_at > first.taken_at
    assert (first.rows["reports"], second.rows["reports"]) == (1, 2)
    engine = create_engine(f"sqlite:///file:{target}?mode=ro&uri=true")
    try:
        assert [a["name"] for a in _rows(engine)["agencies"]] == ["甲县人民政府", "丙县财政局"]
    finally:
        engine.dispose()


# --- the command -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_command_on_a_postgresql_store(archive: PgArchive) -> None:
    port = _free_port()
    env = dict(os.environ)
    env.update(
        NIANBAOKU_DATA_DIR=str(archive.data_dir), DATABASE_URL=archive.url, NO_COLOR="1", COLUMNS="200"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "serve", "--port", str(port), "--no-open", "--no-progress"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if proc.poll() is not None:
                errors = proc.stderr.read() if proc.stderr else ""
                pytest.fail(f"serve exited with {proc.returncode}: {errors}")
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.1)  # polling a bounded wait, not timing anything
        with urllib.request.urlopen(f"{base}/report/{archive.forged_version}", timeout=10) as response:
            assert archive.forged.data.agency in response.read().decode("utf-8")
        with urllib.request.urlopen(base + "/-/versions.json", timeout=10) as response:
            assert "snapshot of postgresql" in response.read().decode("utf-8")
    finally:
        proc.terminate()
        try:
            out, _err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _err = proc.communicate()
    snapshot = archive.data_dir / SNAPSHOT_NAME
    assert snapshot.is_file()
    assert f"snapshot: {snapshot} is a copy of postgresql" in out
    assert "run `serve` again to refresh it" in out and "UTC" in out
