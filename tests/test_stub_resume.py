"""A report split across two crawls: its stub page stored, its attachment fetched only by a later run.

A stub page ("详见附件") carries no table; the report is its attachment. When the attachment's fetch fails
(a 503) or is cut off (the crawl is stopped between page and file), the store keeps the page on its own —
nothing fetched is lost. The later run that fetches the attachment must then *complete* that version:
the attachment linked to it, its parse (the full table, the format version) recorded on it, and no second
version for what is one unchanged report (`storage.repository.complete_version`). The reverse — a fetch
of the attachment failing on a later crawl of a complete report — must not revise it either.

In-process tests drive archive → parse → store item by item; the end-to-end one crawls a replica portal
whose report pages are stubs, in real ``crawl`` processes, with the attachments answering 503 in the
first run. The JOBDIR checks of the ``crawl`` command (``--set JOBDIR=…`` refused like ``--jobdir``) end
the module.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from crawler.config import resolve
from crawler.pipelines.parse import parse_document_bytes
from storage.models import Capture, Report, ReportVersion, report_version_captures
from storage.repository import complete_version, current_parse
from tests.cli import run_crawler
from tests.replica.content import attachment_bytes
from tests.replica.families import TRS_DIR, E, detail_resp
from tests.replica.server import ReplicaServer, Resp, Site
from tests.replica.sites import SiteSpec, agency_names
from tests.replica.workers import bind_profile, start_worker, worker_env
from tests.test_pipeline_store import AGENCY, PDF_URL, STUB, Chain, attachment, detail

PDF, _ = attachment_bytes("pdf", AGENCY, 2022, 5)
PAGE = STUB.format(agency=AGENCY).encode()


def _facts(store) -> list[dict[str, Any]]:
    """Every version: current or not, its captures' kinds and URLs, its current parse's cells."""
    out = []
    with store.Session() as s:
        for v in s.scalars(select(ReportVersion).order_by(ReportVersion.id)):
            parsed = current_parse(s, v)
            out.append(
                {
                    "id": v.id,
                    "current": v.is_current,
                    "hash": v.content_hash,
                    "kinds": sorted(c.kind for c in v.captures),
                    "urls": sorted(c.url for c in v.captures),
                    "format": parsed.format_version if parsed else None,
                    "meta": dict(parsed.report) if parsed else {},
                    "cells": {c.key: c.value for c in parsed.cells} if parsed else {},
                }
            )
    return out


def _valued(cells: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cells.items() if v is not None}


def _direct(data: bytes, url: str, content_type: str) -> dict[str, Any]:
    """The attachment parsed on its own, as `parse --json` would: what the version must carry."""
    parsed = parse_document_bytes(data, url=url, content_type=content_type).parsed
    assert parsed is not None
    return parsed


# --- in-process: archive → parse → store ----------------------------------------------------------


def test_a_stub_stored_alone_is_completed_by_its_attachment_in_a_later_run(store):
    first = Chain(store)
    first.feed(detail(PAGE, (PDF_URL,)))
    first.close()  # the attachment never arrived (503, or the crawl stopped): the page is stored alone
    (alone,) = _facts(store)
    assert alone["kinds"] == ["detail"] and not _valued(alone["cells"])  # a stub has no table

    second = Chain(store)
    page_out = second.feed(detail(PAGE, (PDF_URL,)))  # same bytes: archived "same", not parsed again
    file_out = second.feed(attachment(PDF))
    second.close()
    assert page_out["archived"] == "same" and file_out["stored"] == "unchanged"
    assert second.stats.get_value("nianbaoku/store/completed") == 1

    (version,) = _facts(store)  # one version: the report did not change, our view of it did
    assert version["id"] == alone["id"] and version["current"]
    assert version["kinds"] == ["attachment", "detail"] and PDF_URL in version["urls"]
    assert version["hash"] != alone["hash"]  # recomputed over both documents
    expected = _direct(PDF, PDF_URL, "application/pdf")
    assert version["format"] == expected["report"]["format_version"] == "gov2021"
    assert version["cells"] == {k: c["value"] for k, c in expected["cells"].items()}
    assert len(_valued(version["cells"])) > 100
    assert version["meta"]["source_url"] == PDF_URL
    assert version["meta"]["content_hash"] == version["hash"]

    third = Chain(store)  # the next crawl sees both again: nothing new
    third.feed(detail(PAGE, (PDF_URL,)))
    assert third.feed(attachment(PDF))["stored"] == "unchanged"
    assert [v["id"] for v in _facts(store)] == [version["id"]]


def test_an_attachment_arriving_without_its_page_completes_the_pages_version(store):
    first = Chain(store)
    first.feed(detail(PAGE, (PDF_URL,)))
    first.close()
    second = Chain(store)  # a resumed run: the page was done, only its file was still due
    second.feed(attachment(PDF))
    second.close()
    (version,) = _facts(store)
    assert version["kinds"] == ["attachment", "detail"]
    assert len(_valued(version["cells"])) > 100 and version["format"] == "gov2021"
    assert second.stats.get_value("nianbaoku/store/completed") == 1


def test_a_failed_attachment_fetch_on_a_later_crawl_is_not_a_revision(store):
    first = Chain(store)
    first.feed(detail(PAGE, (PDF_URL,)))
    first.feed(attachment(PDF))
    (complete,) = _facts(store)
    second = Chain(store)
    second.feed(detail(PAGE, (PDF_URL,)))
    second.close()  # its attachment failed this time
    assert second.stats.get_value("nianbaoku/store/unchanged") == 1
    assert _facts(store) == [complete]  # same version, same captures, still the PDF's table


def test_a_revised_attachment_behind_the_same_page_is_still_a_new_version(store):
    first = Chain(store)
    first.feed(detail(PAGE, (PDF_URL,)))
    first.close()
    second = Chain(store)
    second.feed(detail(PAGE, (PDF_URL,)))
    second.feed(attachment(PDF))
    revised, _ = attachment_bytes("pdf", AGENCY, 2022, 5, revision=1)
    third = Chain(store)
    third.feed(detail(PAGE, (PDF_URL,)))
    assert third.feed(attachment(revised))["stored"] == "changed"  # different bytes: a revision
    old, new = _facts(store)
    assert not old["current"] and new["current"] and new["cells"] != old["cells"]


def test_complete_version_refuses_content_another_version_has(store):
    chain = Chain(store)
    chain.feed(detail(PAGE, (PDF_URL,)))
    chain.feed(attachment(PDF))
    with store.Session() as s, s.begin():
        version = s.scalars(select(ReportVersion)).one()
        page = next(c for c in version.captures if c.kind == "detail")
        other = ReportVersion(
            report=version.report, content_hash="0" * 64, first_seen=version.first_seen,
            last_seen=version.last_seen, is_current=False, captures=[page],
        )
        s.add(other)
        s.flush()
        pdf = next(c for c in version.captures if c.kind == "attachment")
        assert complete_version(s, other, [pdf]) is None  # that content is `version` already
        assert [c.kind for c in other.captures] == ["detail"]


# --- end to end: a replica portal of stub pages, the attachments failing in the first crawl -------

_DETAIL = re.compile(rf"^{TRS_DIR}\d{{6}}/t\d{{8}}_(\d+)\.html$")
_FILE = re.compile(rf"^{TRS_DIR}\d{{6}}/P0\d{{8}}(\d+)\.\w+$")


def _stub_portal(state: dict[str, bool]):
    """Faults for a TRS replica: report pages with an attachment become stubs linking it (the
    replica's own pages carry the whole report), and attachments answer 503 while ``state["fail"]``."""

    def faults(site: Site, req: Any) -> Resp | None:
        m = _DETAIL.match(req.path)
        if m is not None:
            item = site.by_key.get(int(m.group(1)))
            if item is None or not item.attachment:
                return None
            fname = f"P0{item.published:%Y%m%d}{item.key}.{item.attachment}"
            body = (
                f'<h1 class="artT">{E(item.title)}</h1>'
                f'<div class="art_infos">发布日期：{item.published:%Y-%m-%d}</div>'
                '<div class="view TRS_UEDITOR trs_paper_default">'
                f'<div class="TRS_Editor"><p>{E(item.title)}详见附件。</p></div></div>'
                f'<div class="fj">附件：<a href="./{fname}">{E(item.title)}.{item.attachment}</a></div>'
            )
            return detail_resp(site, item, body)
        if _FILE.match(req.path) and state["fail"]:
            return Resp(503, b"busy", {"Content-Type": "text/plain", "Retry-After": "0"})
        return None

    return faults


def _crawl(pid: str, profiles: Path, env: dict[str, str], log: Path, **settings: str) -> int:
    proc = start_worker(pid, profiles, env, log, settings=settings)
    try:
        return proc.wait(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()


def _stat(log: str, key: str) -> int:
    """A counter from the Scrapy stats a crawl dumps into its log at close (0 when absent)."""
    m = re.search(rf"'{re.escape(key)}': (\d+)", log)
    return int(m.group(1)) if m else 0


def _report_versions(store) -> dict[int, list[dict[str, Any]]]:
    """Versions per report id, with each version's facts (see `_facts`)."""
    by_id = {v["id"]: v for v in _facts(store)}
    with store.Session() as s:
        rows = s.execute(select(Report.id, ReportVersion.id).join(ReportVersion)).all()
    out: dict[int, list[dict[str, Any]]] = {}
    for report_id, version_id in rows:
        out.setdefault(report_id, []).append(by_id[version_id])
    return out


@pytest.mark.parametrize(
    "conditional",
    [False, True],
    ids=["full-refetch", "conditional-304"],
)
def test_stub_reports_whose_attachment_failed_are_completed_by_the_next_crawl(
    tmp_path: Path, conditional: bool
) -> None:
    """Crawl 1: stub pages stored, their attachments 503. Crawl 2 fetches the attachments: each stub
    report ends with one version carrying its attachment's table. With conditional requests on (the
    default) the unchanged stub answers 304: its links come from the archived page (the conditional
    middleware's replay), and only the stubs whose file the archive lacks have it requested."""
    from storage.db import open_store

    spec = SiteSpec("trs", "trs", agencies=agency_names(2), years=(2022, 2023), non_reports=0,
                    other_column=0, full_files=10, seed=41)
    data_dir, profiles = tmp_path / "data", tmp_path / "profiles"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'nianbaoku.sqlite'}"
    store = open_store(resolve(data_dir=data_dir, database_url=url))
    state = {"fail": True}
    try:
        with ReplicaServer([spec]) as replica:
            site = replica.site("trs")
            site.faults = _stub_portal(state)
            stubs = {it.key: it for it in site.reports if it.attachment}
            assert len(stubs) >= 2, "the replica must have stub reports"
            pid = bind_profile(replica, "trs", profiles)
            env = worker_env(database_url=url, data_dir=data_dir)

            started = time.monotonic()
            _crawl(pid, profiles, env, tmp_path / "first.log")  # 503s: the run reports errors
            failed = [p for m, p in site.requests if _FILE.match(p)]
            assert len(failed) >= len(stubs), (tmp_path / "first.log").read_text(errors="replace")[-3000:]
            after_first = _report_versions(store)
            assert len(after_first) == len(site.reports)
            alone = [vs for vs in after_first.values() if vs[0]["kinds"] == ["detail"] and not
                     _valued(vs[0]["cells"])]
            assert len(alone) >= len(stubs)  # the stubs are stored from the page only

            state["fail"] = False
            before = len(site.requests)
            second = _crawl(pid, profiles, env, tmp_path / "second.log",
                            NIANBAOKU_CONDITIONAL_ENABLED=str(conditional))
            log = (tmp_path / "second.log").read_text(errors="replace")
            assert second == 0, log[-3000:]
            print(f"two crawls of {len(site.reports)} reports ({len(stubs)} stubs) in "
                  f"{time.monotonic() - started:.1f} s")
            files = [p for m, p in site.requests[before:] if _FILE.match(p)]
            assert sorted(files) == sorted(set(files)) and len(files) == len(stubs), files
            if conditional:  # the stub pages did answer 304: their links came from the archive
                assert _stat(log, "nianbaoku/conditional/replayed") >= len(stubs), log[-3000:]
                assert _stat(log, "nianbaoku/not_modified/attachments_missing") == len(stubs)
                # crawl 3: every stub complete now, so an unchanged re-crawl asks for no file at all
                settled = _facts(store)
                before = len(site.requests)
                third = _crawl(pid, profiles, env, tmp_path / "third.log")
                log = (tmp_path / "third.log").read_text(errors="replace")
                assert third == 0, log[-3000:]
                assert [p for m, p in site.requests[before:] if _FILE.match(p)] == []
                assert _stat(log, "nianbaoku/conditional/replayed") >= len(stubs), log[-3000:]
                assert _stat(log, "nianbaoku/not_modified/attachments_missing") == 0
                assert _facts(store) == settled
        after = _report_versions(store)
        with store.Session() as s:
            linked = select(report_version_captures.c.capture_id)
            unlinked = s.scalars(
                select(Capture.url).where(
                    Capture.kind.in_(("detail", "attachment")), Capture.id.not_in(linked)
                )
            ).all()
            files = {c.url: (c.sha256, c.content_type) for c in s.scalars(
                select(Capture).where(Capture.kind == "attachment"))}
    finally:
        store.close()

    assert len(after) == len(site.reports) and unlinked == []
    for report_id, versions in after.items():
        assert len(versions) == 1, f"report {report_id}: {len(versions)} versions, one expected"
    completed = 0
    for (version,) in after.values():
        file_urls = [u for u in version["urls"] if u in files]
        if not file_urls:
            continue
        completed += 1
        assert version["kinds"] == ["attachment", "detail"]
        (file_url,) = file_urls
        match = _FILE.match(urlsplit(file_url).path)
        assert match is not None, file_url
        item = stubs[int(match.group(1))]
        data, ctype = attachment_bytes(item.attachment, item.agency, item.year, item.key, item.revision, True)
        assert store.blobs.get(files[file_url][0]) == data
        expected = _direct(data, file_url, ctype)
        assert version["format"] == expected["report"]["format_version"] != "unknown"
        assert version["cells"] == {k: c["value"] for k, c in expected["cells"].items()}
        assert len(_valued(version["cells"])) > 50  # the full table, not the stub's nothing
        assert version["meta"]["source_url"] == file_url
    assert completed == len(stubs)


# --- crawl --set JOBDIR=… is a JOBDIR too -------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--due",),
        ("--all",),
        ("--profile", "a", "--profile", "b"),
        ("--profile", "a", "--worker", "--redis-url", "redis://127.0.0.1:1/0"),
    ],
    ids=["due", "all", "two-profiles", "redis"],
)
def test_set_jobdir_is_refused_like_the_jobdir_option(tmp_path: Path, args: tuple[str, ...]) -> None:
    job = tmp_path / "job"
    refused = run_crawler(tmp_path, "crawl", *args, "--set", f"JOBDIR={job}")
    assert refused.returncode == 2, refused.stderr
    assert "--set JOBDIR: one directory holds one crawl" in refused.stderr
    assert not job.exists()
    again = run_crawler(tmp_path, "crawl", *args, "--jobdir", str(job))
    assert again.returncode == 2 and "--jobdir: one directory holds one crawl" in again.stderr
