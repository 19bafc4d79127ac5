"""``python -m crawler serve``: the store in Datasette with report pages, checked over HTTP and in
headless Chromium against forged reports whose every number is known (`tests.forge`).

The archive holds four reports: a gov2021 report seen twice (an earlier version with one number that
was later corrected, then the current one), a gov2021 report whose table 四 totals break §7.2 on
purpose, and a gov2019 report; plus one capture whose archived bytes are damaged on disk.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from crawler.config import PROJECT_ROOT, resolve
from crawler.serve import layout
from crawler.serve.metadata import build_metadata, model_docs
from crawler.serve.plugin import blob_filename, content_disposition
from crawler.serve.store import NotServable, ServedStore, check_servable, sqlite_path
from parsers import schema
from storage.db import open_store
from storage.repository import record_parse, record_version, store_capture, upsert_agency
from tests.forge import ForgedReport, forge

T0 = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
START_TIMEOUT_S = 20.0
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CORRECTED_KEY = "applications.new.total"


# --- the archive and the server ---------------------------------------------------------------------


@dataclass
class Archive:
    data_dir: Path
    current: ForgedReport  # gov2021, version `current_id` (current), earlier version `earlier_id`
    current_id: int
    earlier_id: int
    earlier_bytes: bytes
    inconsistent: ForgedReport
    inconsistent_id: int
    gov2019: ForgedReport
    gov2019_id: int
    legacy: ForgedReport
    legacy_id: int
    damaged_sha: str


def _parse(content: bytes, forged: ForgedReport) -> dict[str, Any]:
    from parsers.report import parse

    return parse(content, url=forged.url, content_type=forged.content_type).to_dict()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    data_dir = tmp_path_factory.mktemp("serve") / "data"
    config = resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}")
    current = forge(1, "html_word_zoom")
    inconsistent = forge(5, "html_word_t4_totals")
    gov2019 = forge(2, "html_word_zoom")
    legacy = forge(4, "html_legacy_2014")
    assert current.data.format_version == schema.GOV2021 and gov2019.data.format_version == schema.GOV2019
    # The earlier publication: other bytes, and one number the agency later corrected.
    earlier_bytes = current.content + b"\n<!-- first publication -->\n"
    earlier = _parse(earlier_bytes, current)
    wrong = earlier["cells"][CORRECTED_KEY]["value"] + 100
    earlier["cells"][CORRECTED_KEY].update(value=wrong, raw=str(wrong))

    def add(
        session: Any, store: Any, forged: ForgedReport, body: bytes, result: dict[str, Any], day: int
    ) -> int:
        capture = store_capture(
            session,
            store.blobs,
            body,
            url=forged.url,
            final_url=forged.url,
            status=200,
            content_type=forged.content_type,
            fetched_at=T0 + timedelta(days=day),
            kind="detail",
        )
        agency = upsert_agency(session, result["report"]["agency"])
        meta = result["report"]
        version, _ = record_version(
            session,
            agency=agency,
            stat_year=meta["stat_year"],
            scope=meta["scope"],
            captures=[capture],
            seen_at=T0 + timedelta(days=day),
        )
        record_parse(session, version, result)
        return version.id

    with open_store(config) as store:
        with store.Session() as s, s.begin():
            earlier_id = add(s, store, current, earlier_bytes, earlier, 0)
            current_id = add(s, store, current, current.content, _parse(current.content, current), 1)
            inconsistent_id = add(
                s, store, inconsistent, inconsistent.content, _parse(inconsistent.content, inconsistent), 2
            )
            gov2019_id = add(s, store, gov2019, gov2019.content, _parse(gov2019.content, gov2019), 3)
            legacy_id = add(s, store, legacy, legacy.content, _parse(legacy.content, legacy), 4)
            damaged = store_capture(
                s,
                store.blobs,
                b"bytes that will rot on disk",
                url="http://www.example.gov.cn/rot.pdf",
                content_type="application/pdf",
                fetched_at=T0,
                kind="other",
            )
        store.blobs.path(damaged.sha256).write_bytes(b"not a zstd frame")
    with sqlite3.connect(data_dir / "nianbaoku.sqlite") as conn:  # fold the WAL in, as a quiet store has it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Archive(
        data_dir,
        current,
        current_id,
        earlier_id,
        earlier_bytes,
        inconsistent,
        inconsistent_id,
        gov2019,
        gov2019_id,
        legacy,
        legacy_id,
        damaged.sha256,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(NIANBAOKU_DATA_DIR=str(data_dir), COLUMNS="200", NO_COLOR="1", **extra)
    return env


@pytest.fixture(scope="module")
def server(archive: Archive) -> Any:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "serve", "--port", str(port), "--no-open"],
        cwd=PROJECT_ROOT,
        env=_env(archive.data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"serve exited with {proc.returncode}: {proc.stderr.read()}")
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.1)  # polling a bounded wait, not timing anything
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(url: str) -> tuple[int, Any, bytes]:
    """(status, headers — case-insensitive, body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def page(url: str) -> Any:
    status, _headers, body = get(url)
    assert status == 200, body[:500]
    return lxml_html.fromstring(body.decode("utf-8"))


def cell_text(doc: Any, key: str) -> str:
    found = doc.xpath(f'//td[@data-key="{key}"]')
    assert len(found) == 1, f"{key}: {len(found)} cells"
    # the value without its flag badge
    return (found[0].text or "").strip()


def expected_text(forged: ForgedReport, key: str) -> str:
    value, _flag = forged.data.expected(key)
    return layout.format_number(value) if value is not None else forged.data.text(key)


# --- HTTP --------------------------------------------------------------------------------------------


def test_index_lists_the_current_version_of_each_report(server: str, archive: Archive) -> None:
    doc = page(server + "/reports")
    links = {a.text_content(): a.get("href") for a in doc.xpath('//table[@id="reports"]//a')}
    assert links[archive.current.data.agency] == f"/report/{archive.current_id}"
    assert links[archive.inconsistent.data.agency] == f"/report/{archive.inconsistent_id}"
    assert links[archive.gov2019.data.agency] == f"/report/{archive.gov2019_id}"
    assert f"/report/{archive.earlier_id}" not in links.values()  # superseded, not listed
    failing_row = doc.xpath(f'//tr[td/a[@href="/report/{archive.inconsistent_id}"]]')[0]
    assert "fail" in failing_row.get("class", "")
    only_2019 = page(server + f"/reports?year={archive.gov2019.data.stat_year}")
    agencies = [a.text_content() for a in only_2019.xpath('//table[@id="reports"]//a')]
    assert archive.gov2019.data.agency in agencies and archive.current.data.agency not in agencies


def test_report_page_shows_every_number_of_the_forged_report(server: str, archive: Archive) -> None:
    forged = archive.current
    doc = page(server + f"/report/{archive.current_id}")
    assert cell_text(doc, "applications.new.total") == expected_text(forged, "applications.new.total")
    assert cell_text(doc, "active.fees.amount_wan") == expected_text(forged, "active.fees.amount_wan")
    for key in forged.data.keys:
        assert cell_text(doc, key) == expected_text(forged, key), key
    meta = doc.xpath('//dl[@id="report-meta"]')[0].text_content()
    assert forged.data.agency in meta and str(forged.data.stat_year) in meta and "gov2021" in meta
    assert str(forged.data.published_date) in meta
    assert not doc.xpath('//*[@id="failing-checks"]') and not doc.xpath('//td[contains(@class, "failing")]')


def test_report_page_lays_the_tables_out_as_printed(server: str, archive: Archive) -> None:
    for version_id, era, rows, results_span in (
        (archive.current_id, schema.GOV2021, 25, 22),
        (archive.gov2019_id, schema.GOV2019, 23, 20),
    ):
        doc = page(server + f"/report/{version_id}")
        body = doc.xpath('//table[@id="table3"]/tbody/tr')
        assert len(body) == rows
        assert all(len(tr.xpath("td")) == 7 for tr in body)
        assert doc.xpath('//table[@id="table3"]//th[text()="三、本年度办理结果"]')[0].get("rowspan") == str(
            results_span
        )
        t4 = doc.xpath('//table[@id="table4"]/tbody/tr')
        assert len(t4) == 3 and all(len(tr.xpath("td")) == 5 for tr in t4)
        blocks = doc.xpath('//table[contains(@class, "rt")]/caption[starts-with(text(), "第二十条")]')
        assert len(blocks) == (4 if era == schema.GOV2021 else 5)
    tooltip = doc.xpath('//td[@data-key="applications.new.total"]')[0].get("title")
    assert "raw: " in tooltip and "flag: ok" in tooltip and "source: table" in tooltip


def test_a_legacy_report_shows_its_statistics_table(server: str, archive: Archive) -> None:
    forged = archive.legacy
    assert forged.data.format_version == schema.LEGACY_2014
    doc = page(server + f"/report/{archive.legacy_id}")
    assert not doc.xpath('//table[@id="table3"]') and len(doc.xpath('//table[@id="legacy"]/tbody/tr')) == len(
        forged.data.keys
    )
    for key in forged.data.keys:
        assert cell_text(doc, key) == expected_text(forged, key), key


def test_failing_checks_are_listed_and_their_cells_highlighted(server: str, archive: Archive) -> None:
    doc = page(server + f"/report/{archive.inconsistent_id}")
    listed = doc.xpath('//h2[@id="failing-checks"]/following-sibling::table[1]//tr[@class="fail"]/td[1]')
    rules = {td.text_content().strip() for td in listed}
    assert "T4-REV" in rules
    failing = {td.get("data-key") for td in doc.xpath('//td[contains(@class, "failing")]')}
    assert {"review.total", "review.upheld", "review.pending"} <= failing
    assert "applications.new.total" not in failing
    assert "2 failed" in doc.xpath('//*[@id="check-counts"]')[0].text_content() or rules


def test_version_history_links_the_versions(server: str, archive: Archive) -> None:
    doc = page(server + f"/report/{archive.current_id}")
    history = doc.xpath('//h2[@id="history"]/following-sibling::table[1]')[0]
    hrefs = [a.get("href") for a in history.xpath(".//a")]
    assert f"/report/{archive.earlier_id}" in hrefs and f"/report/{archive.current_id}" in hrefs
    assert "current" in history.xpath(f'.//tr[td/a[@href="/report/{archive.current_id}"]]')[0].text_content()
    diff = doc.xpath('//details[@class="diff"]/summary')[0].text_content()
    assert f"{archive.earlier_id} → {archive.current_id}" in diff and "1 cell changed" in diff
    earlier = page(server + f"/report/{archive.earlier_id}")
    assert "superseded" in earlier.xpath("//p[@class='sub']")[0].text_content()
    wrong = layout.format_number(archive.current.data.expected(CORRECTED_KEY)[0] + 100)
    assert cell_text(earlier, CORRECTED_KEY) == wrong


def test_blob_route_serves_the_archived_bytes(server: str, archive: Archive) -> None:
    doc = page(server + f"/report/{archive.current_id}")
    href = doc.xpath('//a[@id="source-link"]')[0].get("href")
    status, headers, body = get(server + href)
    assert status == 200 and body == archive.current.content
    assert headers["Content-Type"] == archive.current.content_type
    assert archive.current.url.rsplit("/", 1)[1] in headers["Content-Disposition"]
    assert headers["Content-Security-Policy"] == "sandbox"  # the publisher's HTML runs no scripts here
    earlier = page(server + f"/report/{archive.earlier_id}").xpath('//a[@id="source-link"]')[0].get("href")
    assert get(server + earlier)[2] == archive.earlier_bytes


def test_blob_route_refuses_unknown_and_damaged_bytes(server: str, archive: Archive) -> None:
    status, _, body = get(server + "/blob/" + "0" * 64)
    assert status == 404 and b"No capture" in body
    status, _, body = get(server + f"/blob/{archive.damaged_sha}")
    assert status == 500 and body.startswith(b"error: ") and b"rot on disk" not in body
    assert get(server + "/blob/not-a-digest")[0] == 404
    assert get(server + "/report/999999")[0] == 404
    assert get(server + f"/report/{archive.current_id}?parse=x")[0] == 400


def test_datasette_has_the_store_metadata(server: str, archive: Archive) -> None:
    import json

    status, _, body = get(server + "/-/metadata.json")
    metadata = json.loads(body)
    tables = next(iter(metadata["databases"].values()))["tables"]
    assert tables["cells"]["description"].startswith("One statistical cell")
    assert "status" in tables["check_results"]["facets"] and "rule" in tables["check_results"]["facets"]
    assert tables["agencies"]["label_column"] == "name"
    status, _, body = get(server + "/nianbaoku.json")
    listed = {t["name"]: t for t in json.loads(body)["tables"]}
    assert listed["alembic_version"]["hidden"] is True
    status, _, body = get(server + "/nianbaoku/report_versions")
    assert status == 200 and f'href="/report/{archive.current_id}"'.encode() in body
    status, _, body = get(server + "/nianbaoku/check_results?status=FAIL")
    assert status == 200 and b"T4-REV" in body


# --- headless Chromium -------------------------------------------------------------------------------


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CHROMIUM or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true",
    reason="Debian chromium is not installed (.ci/setup installs it; under CI=true this fails instead)",
)
def test_chromium_renders_the_report_page(server: str, archive: Archive, tmp_path: Path) -> None:
    from PIL import Image

    url = server + f"/report/{archive.inconsistent_id}"
    dumped = _chromium(tmp_path / "profile-dom", "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    doc = lxml_html.fromstring(dumped.stdout)
    forged = archive.inconsistent
    for key in (
        "applications.new.total",
        "active.fees.amount_wan",
        "review.total",
        "litigation.direct.total",
    ):
        assert cell_text(doc, key) == expected_text(forged, key), key
    assert doc.xpath('//td[@data-key="review.total" and contains(@class, "failing")]')

    shot = tmp_path / "report.png"
    done = _chromium(tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2000", url)
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert shot.stat().st_size > 20_000
    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50  # a rendered page, not a blank canvas


# --- without a server --------------------------------------------------------------------------------


def test_table_layouts_follow_the_template() -> None:
    cells = {
        f"applications.{r}.{c}": {"value": 1, "raw": "1", "flag": "ok"}
        for r in schema.t3_row_keys(schema.GOV2021)
        for c in schema.T3_COL_KEYS
    }
    cells["applications.new.total"] = {"value": None, "raw": "—", "flag": "dash", "src": {"table_idx": 1}}
    grid = layout.table3(schema.GOV2021, cells, failing={"applications.granted.total"})
    assert grid is not None and len(grid.rows) == 25
    assert [label.text for label in grid.rows[0].labels] == ["一、本年新收政府信息公开申请数量"]
    assert grid.rows[0].labels[0].colspan == 3
    granted = grid.rows[2]
    assert granted.labels[0].rowspan == 22 and granted.labels[1].colspan == 2
    state_secret = grid.rows[4]
    assert [(lbl.text, lbl.rowspan) for lbl in state_secret.labels] == [
        ("（三）不予公开", 8),
        ("1.属于国家秘密", 1),
    ]
    dash = grid.rows[0].cells[-1]
    assert dash.badge == "dash" and "flagged" in dash.css and dash.text == "—" and "table 1" in dash.title
    assert "failing" in granted.cells[-1].css
    assert len(layout.table3(schema.GOV2019, {}).rows) == 23
    assert layout.table3(schema.LEGACY_2014, {}) is None
    t4 = layout.table4(schema.GOV2021, {})
    assert t4 is not None and [len(r.cells) for r in t4.rows] == [5, 5, 5]
    assert all(c.flag is None and c.badge == "missing" for r in t4.rows for c in r.cells)
    assert [g.caption[-4:] for g in layout.table2(schema.GOV2019, {})] == [
        "（一）项",
        "（五）项",
        "（六）项",
        "（八）项",
        "（九）项",
    ]


def test_unplaced_and_derived_cells_are_listed_not_hidden() -> None:
    cells = {
        "active.ext.other_docs": {"value": 3, "raw": "3", "flag": "ok"},
        "applications.denied.subtotal.total": {
            "value": 2,
            "raw": "",
            "flag": "derived",
            "src": {"derived_from": ["applications.denied.state_secret.total"]},
        },
    }
    tables = layout.lay_out(
        cells, table2_version="gov2021", table3_version="gov2021", format_version="gov2021"
    )
    assert [c.key for c in tables.unplaced] == ["active.ext.other_docs"]
    assert [c.key for c in tables.derived] == ["applications.denied.subtotal.total"]
    failing = layout.failing_keys(
        [
            {"status": "FAIL", "keys": ["applications.denied.subtotal.total", "prev:review.total"]},
            {"status": "PASS", "keys": ["review.total"]},
        ],
        cells,
    )
    assert failing == {"applications.denied.subtotal.total", "applications.denied.state_secret.total"}
    assert layout.format_number(26.815) == "26.815" and layout.format_number(40.0) == "40"


def test_blob_names_and_disposition() -> None:
    sha = "ab" * 32
    assert (
        blob_filename("http://x.gov.cn/a/P020240101%E5%B9%B4%E6%8A%A5.pdf", sha, None) == "P020240101年报.pdf"
    )
    assert blob_filename("http://x.gov.cn/a/", sha, "text/html; charset=gbk") == sha[:16] + ".html"
    assert blob_filename(None, sha, None) == sha[:16] + ".bin"
    value = content_disposition("年报.pdf")
    assert (
        value.startswith('inline; filename="__.pdf"') and "filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf" in value
    )


def test_metadata_comes_from_the_models() -> None:
    docs = model_docs()
    assert docs["captures"].columns["url_key"].startswith("sha256 of `url`")
    assert docs["check_results"].description.startswith("The outcome of one consistency rule")
    metadata = build_metadata("store", {"db_path": "/x/store.sqlite", "blob_dir": "/x/blobs"})
    tables = metadata["databases"]["store"]["tables"]
    assert tables["alembic_version"] == {"hidden": True}
    assert tables["captures"]["columns"]["url_key"] == docs["captures"].columns["url_key"]
    assert tables["parse_results"]["facets"] == ["format_version", "parser_version", "is_current"]
    assert metadata["plugins"]["nianbaoku"]["blob_dir"] == "/x/blobs"


def test_only_a_sqlite_store_with_a_current_schema_is_served(tmp_path: Path, archive: Archive) -> None:
    with pytest.raises(NotServable, match="Datasette serves SQLite"):
        sqlite_path("postgresql+psycopg://postgres:secret@127.0.0.1/nianbaoku")
    with pytest.raises(NotServable, match="no store at"):
        check_servable(ServedStore(tmp_path / "none.sqlite", tmp_path / "blobs"))
    db = archive.data_dir / "nianbaoku.sqlite"
    assert check_servable(ServedStore(db, archive.data_dir / "blobs", immutable=True))
    copy = tmp_path / "copy.sqlite"
    shutil.copy(db, copy)
    (tmp_path / "copy.sqlite-wal").write_bytes(b"x" * 100)
    with pytest.raises(NotServable, match="immutable"):
        check_servable(ServedStore(copy, tmp_path / "blobs", immutable=True))
    (tmp_path / "copy.sqlite-wal").unlink()
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'older'")
    with pytest.raises(NotServable, match="db upgrade"):
        check_servable(ServedStore(copy, tmp_path / "blobs"))


def test_serve_reports_an_unreachable_postgres_in_one_line(tmp_path: Path) -> None:
    """A PostgreSQL store is served through a SQLite snapshot (tests/test_serve_pg.py); one that cannot
    be reached fails with one error line, not a traceback."""
    env = _env(tmp_path, DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none")
    done = subprocess.run(
        [sys.executable, "-m", "crawler", "serve", "--no-open"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: could not take a snapshot of the store at")
    assert "postgresql+psycopg://postgres@127.0.0.1:1/none" in errors[0]
    assert "Traceback" not in done.stderr
