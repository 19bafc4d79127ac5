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
