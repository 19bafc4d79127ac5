"""A plain crawl (no JOBDIR, no Redis) killed between a page's archive and its report's store.

Without a frontier file nothing says which pages were in flight at the kill: the next plain crawl
meets them through the archive. The page is archived (its capture carries an ``ETag``), maybe its
attachment too, and no report version holds them. Asked conditionally, the page answered 304, was
replayed from the archive, and the spider — told by `crawler.incremental.archived_urls` that the
attachment was archived — requested nothing: the report was stored from the page alone and the
attachment's capture stayed linked to no version.

Now an archived page or file counts as archived only when a report version holds its last capture:
the orphan page is fetched in full (`crawler.middlewares.conditional`, ``…/orphan``), its attachments
are requested, and an orphan attachment's 304 stands for its archived capture, which the store links.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from crawler.config import PROJECT_ROOT
from tests.replica.workers import FAST, worker_env
from tests.test_jobdir_resume import SETTINGS, assert_every_report_whole, kill_between_archive_and_store


def _start_plain(profile: str, profiles: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """``python -m crawler crawl --profile P`` — no ``--jobdir``, no Redis — with replica-fast settings."""
    cmd = [sys.executable, "-m", "crawler", "crawl", "--profile", profile, "--profiles-dir", str(profiles),
           "--no-progress", "--log-level", "INFO"]
    for k, v in {**FAST, **SETTINGS}.items():
        cmd += ["--set", f"{k}={v}"]
    fh = open(log, "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)


def test_kill_9_of_a_plain_crawl_between_a_pages_archive_and_its_report_then_crawl_again(
    tmp_path: Path,
) -> None:
    """The forced interleaving of `tests.test_jobdir_resume`, for a crawl with no frontier to resume:
    the second plain crawl must still store every report whole and leave nothing unlinked."""
    data_dir, profiles = tmp_path / "data", tmp_path / "profiles"
    url = f"sqlite:///{data_dir / 'nianbaoku.sqlite'}"
    env = worker_env(database_url=url, data_dir=data_dir)
    r = kill_between_archive_and_store(
        tmp_path, database_url=url, start=lambda pid, log: _start_plain(pid, profiles, env, log)
    )
    assert_every_report_whole(r)


# --- in-process: what counts as archived, and which validators are sent ------------------------------


def test_only_a_stored_last_capture_counts_as_archived_and_an_orphan_page_goes_unconditional(store):
    """An archived page and file that no version holds (the kill's leftovers) are not "archived" for the
    spider and the page gets no validators (a replayed 304 would hide that its report is missing); the
    file keeps them (its 304 stands for its capture, which the store links). Once stored, both count;
    a newer capture of the file that is not stored makes it due again."""
    from scrapy import Request, Spider
    from scrapy.utils.test import get_crawler

    from crawler.incremental import KnownUrls
    from crawler.middlewares.conditional import ConditionalRequestsMiddleware, StoreValidatorSource
    from tests.replica.content import attachment_bytes
    from tests.test_pipeline_store import DETAIL, PDF_URL, STUB, Chain, attachment, detail
    from tests.test_stub_resume import PDF

    headers = {"ETag": ['"v1"'], "Last-Modified": ["Wed, 01 Jan 2020 00:00:00 GMT"]}
    page = detail(STUB.format(agency="宁波市镇海区财政局").encode(), (PDF_URL,), headers=headers)
    file = attachment(PDF, headers=headers)
    killed = Chain(store)  # the killed run: archived, never stored
    killed.archive.process_item(dict(page))
    killed.archive.process_item(dict(file))
    archived = KnownUrls(store, snapshot=False, stored=True)
    assert not archived(DETAIL) and not archived(PDF_URL)
    assert KnownUrls(store, snapshot=False)(PDF_URL)  # archived it is: stored it is not

    source = StoreValidatorSource(lambda: store)
    assert source.get(DETAIL).orphan and not source.get(PDF_URL).orphan
    crawler = get_crawler(Spider)
    mw = ConditionalRequestsMiddleware(crawler.stats, source, roles=["detail", "attachment"])
    page_request = Request(DETAIL, meta={"nianbaoku_role": "detail"})
    file_request = Request(PDF_URL, meta={"nianbaoku_role": "attachment"})
    mw.process_request(page_request)
    mw.process_request(file_request)
    assert b"If-None-Match" not in page_request.headers  # fetched in full: its links are needed
    assert file_request.headers[b"If-None-Match"] == b'"v1"'
    assert crawler.stats.get_value("nianbaoku/conditional/orphan") == 1

    again = Chain(store)  # the next crawl stores the report whole
    again.feed(dict(page))
    again.feed(dict(file))
    assert archived(DETAIL) and archived(PDF_URL)
    assert not source.get(DETAIL).orphan

    revised = attachment(attachment_bytes("pdf", "宁波市镇海区财政局", 2022, 9)[0], headers=headers)
    Chain(store).archive.process_item(revised)  # a newer file, archived by a crawl killed right after
    assert not archived(PDF_URL)
