"""crawler/extensions.py: the crawl-run record (counts, errors, status) and WARC records."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.extensions import CrawlRunRecorder, WarcExport, blocked_errors, run_counts, write_exchange
from crawler.middlewares.challenge import LEDGER_KEY

ARCHIVING = {"ITEM_PIPELINES": {"crawler.pipelines.archive.ArchivePipeline": 100}}


def test_run_counts_from_stats():
    stats = {
        "nianbaoku/store/new": 3,
        "nianbaoku/store/unchanged": 2,
        "nianbaoku/store/blocked": 1,
        "nianbaoku/blocked/ruishu": 2,
        "nianbaoku/parse/error/unreadable_input": 1,
        "nianbaoku/parse/error/challenge": 1,
        "downloader/request_count": 40,
    }
    counts = run_counts(stats)
    assert counts["new"] == 3 and counts["changed"] == 0 and counts["unchanged"] == 2
    assert counts["blocked"] == 3 and counts["parse_errors"] == 2 and counts["requests"] == 40


def test_blocked_errors_come_from_the_challenge_ledger():
    stats = {LEDGER_KEY: [("http://a.gov.cn/x", "ruishu"), ("http://a.gov.cn/y", "jiasule")]}
    assert blocked_errors(stats) == [
        {"error": "blocked:ruishu", "url": "http://a.gov.cn/x"},
        {"error": "blocked:jiasule", "url": "http://a.gov.cn/y"},
    ]


def test_the_run_recorder_is_off_without_the_archive_pipeline_or_when_disabled():
    with pytest.raises(NotConfigured):
        CrawlRunRecorder.from_crawler(get_crawler(Spider, settings_dict={"ITEM_PIPELINES": {}}))
    disabled = {**ARCHIVING, "NIANBAOKU_CRAWL_RUN_ENABLED": False}
    with pytest.raises(NotConfigured):
        CrawlRunRecorder.from_crawler(get_crawler(Spider, settings_dict=disabled))
    assert isinstance(
        CrawlRunRecorder.from_crawler(get_crawler(Spider, settings_dict=ARCHIVING)), CrawlRunRecorder
    )


def test_warc_is_off_unless_a_path_is_given():
    with pytest.raises(NotConfigured):
        WarcExport.from_crawler(get_crawler(Spider))


def test_warc_records_round_trip_and_pass_warcio_check(tmp_path: Path):
    from warcio.archiveiterator import ArchiveIterator

    path = tmp_path / "out.warc.gz"
    export = WarcExport(path)
    body = "<html><body>年报</body></html>".encode()
    request = Request("http://a.gov.cn/col/index.html?page=2", headers={"User-Agent": "nianbaoku"})
    response = HtmlResponse(
        request.url,
        status=200,
        body=body,
        headers={"Content-Type": "text/html; charset=utf-8", "Transfer-Encoding": "chunked"},
        request=request,
    )
    assert write_exchange(export.writer, request, response) == 2
    export.close()
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("warcio")), "check", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(path, "rb") as fh:
        records = list(ArchiveIterator(fh))
    with open(path, "rb") as fh:
        payloads = [r.content_stream().read() for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request"]
    resp, req = records[1], records[2]
    assert payloads == [body]
    assert resp.rec_headers.get_header("WARC-Target-URI") == request.url
    assert resp.http_headers.get_header("Transfer-Encoding") is None
    assert resp.http_headers.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert req.http_headers.protocol == "GET" and "page=2" in req.http_headers.statusline
    assert req.rec_headers.get_header("WARC-Concurrent-To") == resp.rec_headers.get_header("WARC-Record-ID")
