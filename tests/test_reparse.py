"""``reparse``: one URL (a one-URL crawl through the crawl's middlewares and pipelines), one file (an
``import`` capture), one capture id, and the whole archive after a parser upgrade.

URLs are served by a tiny HTTP server on 127.0.0.1 in this process; the command runs in a subprocess
(a Scrapy crawl starts a Twisted reactor, once per process) against a tmp store. Reports are forged
(`tests.forge`), so the numbers the parser must find are known."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

import parsers.report
from crawler.config import resolve
from crawler.reparse import (
    ReparseError,
    reparse_archive,
    reparse_capture,
    reparse_file,
    select_versions,
    version_key,
)
from storage.db import Store, open_store
from storage.models import Capture, ParseResult, ReportVersion
from tests.forge import forge

ROOT = Path(__file__).resolve().parents[1]
PAGE = forge(11, "html_word_zoom")
FILE = forge(12, "docx_default")
OTHER = forge(13, "text_seed")


def _stub_page(title: str) -> bytes:
    html = (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
        "<div class='content'><p>详见附件。</p>"
        "<p>附件：<a href='/files/report.docx'>年度报告.docx</a></p></div></body></html>"
    )
    return html.encode("utf-8")


ROUTES: dict[str, tuple[bytes, str]] = {
    "/report.html": (PAGE.content, PAGE.content_type),
    "/stub.html": (_stub_page(FILE.data.title), "text/html; charset=utf-8"),
    "/files/report.docx": (FILE.content, FILE.content_type),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = ROUTES.get(self.path)
        if found is None:
            self.send_error(404)
            return
        body, ctype = found
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "NIANBAOKU_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return env


def _cli(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        cwd=ROOT,
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=240,
    )


def _tmp_store(data_dir: Path) -> Store:
    return open_store(resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}"))


def _write(tmp_path: Path, report) -> Path:
    path = tmp_path / report.filename
    path.write_bytes(report.content)
    return path


def _count(store: Store, column) -> int:
    with store.Session() as s:
        return s.scalar(select(func.count(column)))


# --- a URL, through the crawl's pipelines ----------------------------------------------------------


@pytest.mark.slow
def test_url_is_fetched_archived_stored_and_printed_like_parse(site, tmp_path):
    url = f"{site}/report.html"
    proc = _cli(["reparse", url, "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    parsed = json.loads(_cli(["parse", url, "--json"], tmp_path).stdout)
    assert set(out) == set(parsed) | {"stored"}
    assert set(out["report"]) >= set(parsed["report"])
    assert {k: c["value"] for k, c in out["cells"].items()} == {
        k: c["value"] for k, c in parsed["cells"].items()
    }
    assert [c["status"] for c in out["checks"]] == [c["status"] for c in parsed["checks"]]
    value, _flag = PAGE.data.expected("applications.new.total")
    assert out["cells"]["applications.new.total"]["value"] == value
    stored = out["stored"]
    assert stored["outcome"] == "new"
    with _tmp_store(tmp_path) as store, store.Session() as s:
        capture = s.get(Capture, stored["capture_id"])
        assert capture.url == url and capture.kind == "detail" and capture.crawl_run is not None
        version = s.get(ReportVersion, stored["version_id"])
        assert version.is_current and [c.id for c in version.captures] == [capture.id]
        assert s.get(ParseResult, stored["parse_result_id"]).version_id == version.id
        assert version.report.stat_year == PAGE.data.stat_year

    again = json.loads(_cli(["reparse", url, "--json"], tmp_path).stdout)
    assert again["stored"]["version_id"] == stored["version_id"]
    assert again["stored"]["outcome"] == "unchanged"
    assert again["stored"]["parse_result_id"] == stored["parse_result_id"]  # same parser: replaced in place


@pytest.mark.slow
def test_stub_page_is_parsed_from_its_attachment(site, tmp_path):
    proc = _cli(["reparse", f"{site}/stub.html", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["report"]["source_url"] == f"{site}/files/report.docx"
    assert out["report"]["attachments"] == [f"{site}/files/report.docx"]
    value, _flag = FILE.data.expected("applications.new.total")
    assert out["cells"]["applications.new.total"]["value"] == value
    with _tmp_store(tmp_path) as store, store.Session() as s:
        kinds = sorted(c.kind for c in s.get(ReportVersion, out["stored"]["version_id"]).captures)
        assert kinds == ["attachment", "detail"]


@pytest.mark.slow
def test_a_missing_url_is_one_line_and_a_non_zero_exit(site, tmp_path):
    proc = _cli(["reparse", f"{site}/gone.html"], tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [f"error: {site}/gone.html: HTTP 404"]
    assert proc.stdout == ""


# --- a file, a capture id ------------------------------------------------------------------------------


def test_file_is_imported_as_a_capture_and_stored(store, tmp_path):
    path = _write(tmp_path, FILE)
    spot = reparse_file(store, path)
    assert spot.ok and spot.outcome == "new"
    value, _flag = FILE.data.expected("applications.new.total")
    assert spot.result["cells"]["applications.new.total"]["value"] == value
    assert spot.to_dict()["stored"] == {
        "capture_id": spot.capture_id,
        "version_id": spot.version_id,
        "parse_result_id": spot.parse_result_id,
        "outcome": "new",
    }
    with store.Session() as s:
        capture = s.get(Capture, spot.capture_id)
        assert (
            capture.kind == "import"
            and capture.url == path.resolve().as_uri()
            and capture.http_status is None
        )
    again = reparse_file(store, path)
    assert (again.capture_id, again.version_id, again.outcome) == (
        spot.capture_id,
        spot.version_id,
        "unchanged",
    )


def test_capture_id_reparses_its_version_without_a_new_one(store, tmp_path):
    spot = reparse_file(store, _write(tmp_path, PAGE))
    versions = _count(store, ReportVersion.id)
    again = reparse_capture(store, spot.capture_id)
    assert again.version_id == spot.version_id and again.ok
    assert again.result["cells"] == spot.result["cells"]
    assert _count(store, ReportVersion.id) == versions
    with pytest.raises(ReparseError, match="no such capture"):
        reparse_capture(store, 987654)


def test_capture_without_a_version_is_stored_as_one(store):
    with store.Session() as s, s.begin():
        from storage.repository import store_capture

        cap = store_capture(s, store.blobs, OTHER.content, url="http://x.gov.cn/r.txt", kind="other")
        cap_id = cap.id
    spot = reparse_capture(store, cap_id)
    assert spot.ok and spot.outcome == "new" and spot.version_id is not None


def test_file_without_agency_or_year_is_not_stored_but_says_why(store, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("会议纪要：无任何统计表。", encoding="utf-8")
    spot = reparse_file(store, path)
    assert not spot.ok and spot.outcome == "failed" and spot.version_id is None
    assert "no agency" in spot.reason or "no statistical year" in spot.reason
    hinted = reparse_file(store, path, agency="某某县统计局", stat_year=2023)
    assert hinted.ok and hinted.version_id is not None


def test_cli_unreadable_input_is_one_line(tmp_path):
    for target, why in ((str(tmp_path), "not a regular file"), (str(tmp_path / "nope.pdf"), "no such file")):
        proc = _cli(["reparse", target], tmp_path / "data")
        assert proc.returncode == 1
        assert proc.stderr.strip() == f"error: {target}: {why}"
    proc = _cli(["reparse", "424242"], tmp_path / "data")
    assert (
        proc.returncode == 1 and proc.stderr.strip() == "error: capture 424242: no such capture in the store"
    )
    proc = _cli(["reparse"], tmp_path / "data")
    assert proc.returncode == 2 and "--all" in proc.stderr


# --- the archive after a parser upgrade -------------------------------------------------------------


def _upgraded_parser(key: str, new_value: float):
    """The real parser, but "version 9.9.0", reading `key` as `new_value` and failing its first passing
    check (the simulated upgrade)."""
    real = parsers.report.parse

    class Upgraded:
        def __init__(self, result):
            self._d = result.to_dict()
            self._d["parser_version"] = "9.9.0"
            if key in self._d["cells"]:
                self._d["cells"][key] = {**self._d["cells"][key], "value": new_value, "raw": str(new_value)}
            checks = self._d["checks"]
            first = next(i for i, c in enumerate(checks) if c["status"] == "PASS")
            checks[first] = {**checks[first], "status": "FAIL", "kind": "extraction_suspect"}

        def to_dict(self):
            return self._d

    return lambda data, **kw: Upgraded(real(data, **kw))


def test_archive_reparse_after_an_upgrade_reports_changed_cells_and_adds_no_version(
    store, tmp_path, monkeypatch
):
    first = reparse_file(store, _write(tmp_path, PAGE))
    second = reparse_file(store, _write(tmp_path, FILE))
    assert first.ok and second.ok
    versions, parses = _count(store, ReportVersion.id), _count(store, ParseResult.id)
    key = "applications.new.total"
    old = first.result["cells"][key]["value"]

    monkeypatch.setattr(parsers.report, "PARSER_VERSION", "9.9.0")
    seen: list[int] = []
    summary = reparse_archive(
        store, parse_func=_upgraded_parser(key, old + 1000), on_start=seen.append, on_version=lambda d: None
    )
    assert seen == [2] and summary.selected == 2 and summary.reparsed == 2 and not summary.failed
    assert summary.parser_version == "9.9.0"
    assert len(summary.changed) == 2  # both reports read the cell differently now
    changed = {v.version_id: v for v in summary.changed}[first.version_id]
    assert [(c.key, c.old_value, c.new_value) for c in changed.cells] == [(key, old, old + 1000)]
    assert changed.old_parser != "9.9.0" and changed.parser_version == "9.9.0"
    assert [(ch.old, ch.new) for ch in changed.checks] == [("PASS", "FAIL")]
    assert _count(store, ReportVersion.id) == versions
    assert _count(store, ParseResult.id) == parses + 2
    with store.Session() as s:
        current = s.scalars(select(ParseResult).where(ParseResult.is_current)).all()
        assert {p.parser_version for p in current} == {"9.9.0"}

    assert reparse_archive(store, parse_func=_upgraded_parser(key, old + 1000)).selected == 0  # all done
    data = summary.to_dict()
    assert data["changed"] == 2 and data["unchanged"] == 0 and data["reports"][0]["cells"][0]["key"] == key


def test_since_parser_limits_the_archive_walk(store, tmp_path, monkeypatch):
    reparse_file(store, _write(tmp_path, PAGE))
    old = parsers.report.PARSER_VERSION
    with store.Session() as s:
        assert len(select_versions(s, "9.9.0")) == 1
        assert len(select_versions(s, "9.9.0", since_parser=old)) == 1
        assert select_versions(s, "9.9.0", since_parser="0.0.1") == []
    assert version_key("0.10.0") > version_key("0.9.1") > version_key("0.9")


def test_cli_all_prints_what_changed(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    with _tmp_store(data_dir) as store:
        spot = reparse_file(store, _write(tmp_path, PAGE))
    key = "applications.new.total"
    old = spot.result["cells"][key]["value"]
    monkeypatch.setenv("NIANBAOKU_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(parsers.report, "PARSER_VERSION", "9.9.0")
    monkeypatch.setattr(parsers.report, "parse", _upgraded_parser(key, old + 7))
    from crawler.cli import _register, app

    _register()
    result = CliRunner().invoke(app, ["reparse", "--all", "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert (out["reparsed"], out["changed"], out["failed"]) == (1, 1, 0)
    assert out["reports"][0]["cells"][0]["old_value"] == old
    assert out["reports"][0]["cells"][0]["new_value"] == old + 7
    human = CliRunner().invoke(app, ["reparse", "--all", "--no-progress"])
    assert human.exit_code == 0 and "0 re-parsed" in human.stdout
