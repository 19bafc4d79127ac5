"""crawler/incremental.py: which report URLs the archive knew before this crawl began."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scrapy import Spider
from scrapy.utils.test import get_crawler

from crawler.incremental import KnownUrls, known_urls, store_backed
from crawler.pipelines.archive import ArchivePipeline
from storage.repository import store_capture

URL = "http://a.gov.cn/art/2024/1/5/art_1_1.html"


def test_known_is_a_snapshot_of_detail_and_attachment_captures(store):
    start = datetime.now(UTC)
    earlier = start - timedelta(days=1)
    store.run(lambda s: store_capture(s, store.blobs, b"page", url=URL, kind="detail", fetched_at=earlier))
    store.run(
        lambda s: store_capture(s, store.blobs, b"list", url=URL + "?l", kind="list", fetched_at=earlier)
    )
    later = start + timedelta(seconds=1)
    store.run(
        lambda s: store_capture(s, store.blobs, b"new", url=URL + "?n", kind="detail", fetched_at=later)
    )
    known = KnownUrls(store, since=start)
    assert known(URL)
    assert not known(URL + "?l")  # a list page is not a report
    assert not known(URL + "?n")  # archived during this crawl: does not stop it
    assert not known("http://a.gov.cn/never")


def test_only_crawls_that_archive_to_the_store_are_incremental():
    assert not store_backed(get_crawler(Spider, settings_dict={"ITEM_PIPELINES": {}}).settings)
    archiving = {"ITEM_PIPELINES": {ArchivePipeline: 100}}
    assert store_backed(get_crawler(Spider, settings_dict=archiving).settings)
    off = {"ITEM_PIPELINES": {"crawler.pipelines.archive.ArchivePipeline": None}}
    assert not store_backed(get_crawler(Spider, settings_dict=off).settings)
    assert known_urls(get_crawler(Spider, settings_dict={"ITEM_PIPELINES": {}})) is None
    no_incremental = {**archiving, "NIANBAOKU_INCREMENTAL": False}
    assert known_urls(get_crawler(Spider, settings_dict=no_incremental)) is None


def _run(store, profile: str, started: datetime, status: str, errors: list | None = None) -> None:
    from storage.repository import finish_crawl_run, start_crawl_run

    def go(session):
        run = start_crawl_run(session, profile, started_at=started)
        if status != "running":
            finish_crawl_run(session, run, status=status, errors=errors or [])

    store.run(go)


def test_the_stop_is_trusted_only_after_a_crawl_that_read_its_whole_listing(store):
    """A killed crawl, or one whose list page failed, may have archived list page 1 and never seen page 2:
    the next crawl reads every list page (known(url) is False for all), then incremental again."""
    start = datetime.now(UTC)
    store.run(lambda s: store_capture(s, store.blobs, b"page", url=URL, kind="detail",
                                      fetched_at=start - timedelta(days=1)))  # fmt: skip
    fired: list[int] = []
    assert KnownUrls(store, since=start, profile="never-crawled")(URL)  # no earlier run: trusted

    _run(store, "p-killed", start - timedelta(hours=2), "finished")
    _run(store, "p-killed", start - timedelta(hours=1), "interrupted")
    known = KnownUrls(store, since=start, profile=lambda: "p-killed", on_untrusted=lambda: fired.append(1))
    assert not known(URL) and not known(URL)
    assert fired == [1]  # told once

    _run(store, "p-lost-list", start - timedelta(hours=1), "finished",
         [{"error": "http:503", "url": URL + "?page=2", "role": "list"}])  # fmt: skip
    assert not KnownUrls(store, since=start, profile="p-lost-list")(URL)

    _run(store, "p-dead-file", start - timedelta(hours=1), "finished",
         [{"error": "http:404", "url": URL + ".pdf", "role": "attachment"}])  # fmt: skip
    assert KnownUrls(store, since=start, profile="p-dead-file")(URL)  # a dead file does not end paging

    _run(store, "p-killed", start - timedelta(minutes=5), "finished")  # the full pass finished
    assert KnownUrls(store, since=start, profile="p-killed")(URL)
    _run(store, "p-now", start + timedelta(seconds=1), "running")  # this crawl's own run is not "earlier"
    assert KnownUrls(store, since=start, profile="p-now")(URL)
    _run(store, "p-workers", start - timedelta(hours=1), "finished")
    _run(store, "p-workers", start - timedelta(seconds=2), "running")  # a sibling worker, still running
    assert KnownUrls(store, since=start, profile="p-workers")(URL)
