"""crawler/pipelines/archive.py: bytes first — every captured item becomes a capture before parsing."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.pipelines import ERRORS_KEY, RUN_ID_KEY
from crawler.pipelines.archive import ArchiveError, ArchivePipeline, archive_item
from storage.models import Capture, CrawlRun
from storage.repository import start_crawl_run


def _stats() -> MemoryStatsCollector:
    return MemoryStatsCollector(get_crawler())


def _item(kind: str = "detail", body: bytes = b"<html>report</html>", **extra) -> dict:
    return {
        "kind": kind,
        "url": f"http://portal.gov.cn/{kind}/1.html",
        "status": 200,
        "content_type": "text/html; charset=utf-8",
        "headers": {"Etag": ['"abc"'], "Content-Type": ["text/html; charset=utf-8"]},
        "body": body,
        **extra,
    }


def test_new_bytes_become_a_capture_then_same_bytes_reuse_it(store):
    stats = _stats()
    pipe = ArchivePipeline(store, stats)
    first = pipe.process_item(_item())
    assert first["archived"] == "new" and len(first["sha256"]) == 64
    assert store.blobs.get(first["sha256"]) == b"<html>report</html>"
    again = pipe.process_item(_item())
    assert again["archived"] == "same" and again["capture_id"] == first["capture_id"]
    changed = pipe.process_item(_item(body=b"<html>revised</html>"))
    assert changed["archived"] == "new" and changed["capture_id"] != first["capture_id"]
    assert stats.get_value("nianbaoku/archive/status_count/200") == 3
    assert stats.get_value("nianbaoku/archive/new") == 2 and stats.get_value("nianbaoku/archive/same") == 1
    with store.Session() as s:
        cap = s.get(Capture, first["capture_id"])
        assert cap.fetch_count == 2 and cap.kind == "detail" and cap.headers["Etag"] == '"abc"'


def test_list_pages_and_attachments_keep_their_kind_and_the_crawl_run(store):
    stats = _stats()
    run_id = store.run(lambda s: start_crawl_run(s, "replica-trs").id)
    stats.set_value(RUN_ID_KEY, run_id)
    pipe = ArchivePipeline(store, stats)
    listed = pipe.process_item(_item("list", b"<ul><li>a</li></ul>"))
    pdf = pipe.process_item(_item("attachment", b"%PDF-1.4 tiny", content_type="application/pdf"))
    with store.Session() as s:
        assert s.get(Capture, listed["capture_id"]).kind == "list"
        cap = s.get(Capture, pdf["capture_id"])
        assert cap.kind == "attachment" and cap.crawl_run_id == run_id
        assert s.get(CrawlRun, run_id).captures[0].id == listed["capture_id"]


def test_not_modified_stores_nothing_and_points_at_the_previous_capture(store):
    pipe = ArchivePipeline(store, _stats())
    first = pipe.process_item(_item())
    with store.Session() as s:
        before = s.query(Capture).count()
    item = _item(body=b"", status=304, not_modified=True, previous_sha256=first["sha256"])
    out = pipe.process_item(item)
    assert out["archived"] == "not_modified"
    assert (out["capture_id"], out["sha256"]) == (first["capture_id"], first["sha256"])
    with store.Session() as s:
        assert s.query(Capture).count() == before


def test_not_modified_without_a_capture_is_dropped_with_the_reason_on_the_run(store):
    stats = _stats()
    pipe = ArchivePipeline(store, stats)
    with pytest.raises(DropItem, match="archive holds no capture"):
        pipe.process_item(_item(body=b"", status=304, not_modified=True, previous_sha256="0" * 64))
    assert stats.get_value("nianbaoku/archive/error/ArchiveError") == 1
    (entry,) = stats.get_value(ERRORS_KEY)
    assert entry["error"] == "archive:ArchiveError" and entry["url"].endswith("/detail/1.html")


def test_archive_item_needs_a_url(store):
    with store.Session() as s, pytest.raises(ArchiveError, match="URL"):
        archive_item(s, store.blobs, {"kind": "detail", "body": b"x"})


def test_other_items_pass_through_untouched(store):
    pipe = ArchivePipeline(store, _stats())
    assert pipe.process_item({"kind": "stats"}) == {"kind": "stats"}
    assert pipe.process_item("not a dict") == "not a dict"


def test_disabled_by_setting():
    crawler = get_crawler(settings_dict={"NIANBAOKU_ARCHIVE_ENABLED": False})
    with pytest.raises(NotConfigured):
        ArchivePipeline.from_crawler(crawler)
