"""An unchanged report page (304) still gets its missing files: replay from the archive, then a choice.

A 304 has no body. `ConditionalRequestsMiddleware` hands a report page's 304 on with the bytes of the
capture it equals (read from the content-addressed archive), so the spider finds the page's attachment
links; the spider then requests them only when the archive lacks one of them (a stub whose file failed
or was cut off in an earlier crawl) — all of them then, so the store sees the whole report and
completes its version instead of taking page + late file for a report that lost its other files.

The end-to-end case (real crawls of a replica portal of stubs) is in `tests/test_stub_resume.py`; here:
the middleware's replay, the spider's choice, and the store's verdict on what the spider then sends.
"""

from __future__ import annotations

import datetime as dt

import pytest
from scrapy import Spider
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler import settings as project_settings
from crawler.incremental import KnownUrls, archived_urls
from crawler.middlewares.conditional import (
    META_NOT_MODIFIED,
    META_REPLAYED,
    ArchivedCopy,
    ConditionalRequestsMiddleware,
    MemoryValidatorSource,
    StoreValidatorSource,
    Validators,
)
from crawler.pipelines.archive import ArchivePipeline
from spiders.cms.base import ReportCandidate
from spiders.portal import META_CANDIDATE, PortalSpider
from storage import repository
from storage.models import ReportVersion
from tests.replica.content import attachment_bytes
from tests.replica.inmemory import BASE, replica_profile
from tests.test_pipeline_store import AGENCY, DETAIL, PDF_URL, STUB, Chain, attachment, detail

URL = f"{BASE}/gongkai/zfxxgk/gknb/202303/t20230120_5.html"
PDF = f"{BASE}/gongkai/zfxxgk/gknb/202303/P020230120005.pdf"
DOC = f"{BASE}/gongkai/zfxxgk/gknb/202303/P020230120006.doc"
ETAG = '"abc"'
SHA = "cd" * 32
PAGE = (
    "<html><head><meta charset='utf-8'><title>某局2022年政府信息公开工作年度报告</title></head><body>"
    "<div class='TRS_Editor'><p>" + "某局2022年政府信息公开工作年度报告详见附件。" * 8 + "</p></div>"
    "<div class='fj'>附件：<a href='./P020230120005.pdf'>年度报告.pdf</a>"
    "<a href='./P020230120006.doc'>统计表.doc</a></div></body></html>"
).encode()


def _project(**overrides) -> dict:
    values = {k: v for k, v in vars(project_settings).items() if k.isupper()}
    values.update(overrides)
    return values


def _middleware(source, **kwargs) -> ConditionalRequestsMiddleware:
    crawler = get_crawler(Spider, settings_dict=_project())
    assert crawler.stats is not None
    return ConditionalRequestsMiddleware(crawler.stats, source, roles=["detail", "attachment"], **kwargs)


COPY = ArchivedCopy(PAGE, "text/html; charset=utf-8")


def _memory(copy: ArchivedCopy | None = COPY) -> MemoryValidatorSource:
    source = MemoryValidatorSource()
    source.put(URL, Validators(etag=ETAG, sha256=SHA), copy)
    source.put(PDF, Validators(etag=ETAG, sha256="ef" * 32), ArchivedCopy(b"%PDF-1.4", "application/pdf"))
    return source


def _roundtrip(mw: ConditionalRequestsMiddleware, url: str, role: str = "detail") -> tuple[Request, Response]:
    request = Request(url, meta={"nianbaoku_role": role})
    mw.process_request(request)
    response = Response(url, status=304, headers={"ETag": ETAG}, request=request)
    return request, mw.process_response(request, response)


# --- the middleware: a report page's 304 carries its archived bytes ---------------------------------


def test_a_report_pages_304_is_replayed_with_the_archived_bytes():
    mw = _middleware(_memory())
    request, response = _roundtrip(mw, URL)
    assert isinstance(response, HtmlResponse) and response.body == PAGE
    assert response.status == 304 and "archived" in response.flags  # never taken for a fresh fetch
    assert response.meta[META_NOT_MODIFIED] is True and response.meta[META_REPLAYED] is True
    assert response.css(".fj a::attr(href)").getall() == ["./P020230120005.pdf", "./P020230120006.doc"]
    assert 304 in request.meta["handle_httpstatus_list"]
    assert mw.stats.get_value("nianbaoku/conditional/replayed") == 1


def test_files_and_missing_copies_keep_the_bare_304():
    mw = _middleware(_memory(copy=None))
    _, page = _roundtrip(mw, URL)
    assert page.body == b"" and META_REPLAYED not in page.meta and page.meta[META_NOT_MODIFIED]
    assert mw.stats.get_value("nianbaoku/conditional/replay_missing") == 1
    _, pdf = _roundtrip(mw, PDF, role="attachment")  # nobody reads a 304 file's bytes: not loaded
    assert pdf.body == b"" and META_REPLAYED not in pdf.meta
    off = _middleware(_memory(), replay_roles=())
    assert _roundtrip(off, URL)[1].body == b""
    assert off.stats.get_value("nianbaoku/conditional/replayed") is None


def test_a_failing_archive_is_reported_once_and_the_304_goes_on_bare():
    class Broken(MemoryValidatorSource):
        calls = 0

        def archived(self, url: str, sha256: str) -> ArchivedCopy | None:
            self.calls += 1
            raise OSError("disk gone")

    broken = Broken({URL: Validators(etag=ETAG, sha256=SHA)})
    mw = _middleware(broken)
    for _ in range(2):
        _, response = _roundtrip(mw, URL)
        assert response.status == 304 and response.body == b""
    assert broken.calls == 1
    assert mw.stats.get_value("nianbaoku/conditional/source_error") == 1


def test_the_store_source_reads_the_capture_bytes_and_type(store):
    with store.Session() as session, session.begin():
        old = repository.store_capture(session, store.blobs, b"<p>v1</p>", url=URL, status=200,
                                       headers={"ETag": '"v1"'}, content_type="text/html; charset=gbk")
        repository.store_capture(session, store.blobs, PAGE, url=URL, status=200, headers={"ETag": ETAG},
                                 content_type="text/html; charset=utf-8")
        old_sha = old.sha256
    source = StoreValidatorSource(lambda: store)
    current = source.get(URL)
    assert current is not None
    assert source.archived(URL, current.sha256 or "") == ArchivedCopy(PAGE, "text/html; charset=utf-8")
    assert source.archived(URL, old_sha) == ArchivedCopy(b"<p>v1</p>", "text/html; charset=gbk")
    assert source.archived(URL + "?other", old_sha) is None  # the digest must be a capture of this URL
    store.blobs.path(old_sha).unlink()
    assert source.archived(URL, old_sha) is None  # a blob gone from the archive: no replay


# --- the spider: which files an unchanged page still needs ------------------------------------------


def _spider(archived: set[str] | None) -> PortalSpider:
    crawler = get_crawler(PortalSpider, {"NIANBAOKU_PROFILE_DELAY": False})
    spider = PortalSpider.from_crawler(crawler, profile=replica_profile("replica-trs"))
    assert spider.archived_urls is None  # no archive pipeline in this harness: nothing to ask
    spider.archived_urls = None if archived is None else archived.__contains__
    return spider


def _page(not_modified: bool) -> HtmlResponse:
    title = "某局2022年政府信息公开工作年度报告"
    candidate = ReportCandidate(URL, title, dt.date(2023, 1, 20), BASE + "/", 2022)
    meta = {META_CANDIDATE: candidate, "nianbaoku_role": "detail"}
    if not_modified:
        meta |= {META_NOT_MODIFIED: True, META_REPLAYED: True}
    request = Request(URL, meta=meta)
    status = 304 if not_modified else 200
    return HtmlResponse(URL, status=status, body=PAGE, encoding="utf-8", request=request)


def _outputs(spider: PortalSpider, response: HtmlResponse) -> tuple[dict, list[str]]:
    out = list(spider.parse_detail(response))
    (item,) = [o for o in out if isinstance(o, dict)]
    return item, [r.url for r in out if isinstance(r, Request)]


def test_an_unchanged_page_whose_files_are_archived_requests_no_file():
    spider = _spider({PDF, DOC})
    item, requested = _outputs(spider, _page(not_modified=True))
    assert requested == [] and item["attachments"] == []  # the store waits for nothing
    assert item["not_modified"] is True and item["body"] == b""  # the bytes are archived already
    assert spider.crawler.stats.get_value("nianbaoku/not_modified/attachments_missing") is None


def test_an_unchanged_page_missing_a_file_requests_the_whole_report():
    spider = _spider({PDF})
    item, requested = _outputs(spider, _page(not_modified=True))
    assert requested == [PDF, DOC]  # the archived PDF too: conditionally, so the store sees all
    assert [a["url"] for a in item["attachments"]] == [PDF, DOC]
    stats = spider.crawler.stats
    assert stats.get_value("nianbaoku/not_modified/attachments_missing") == 1
    assert stats.get_value("nianbaoku/not_modified/attachments_requested") == 2


@pytest.mark.parametrize("archived", [None, set()], ids=["no-archive", "nothing-archived"])
def test_without_an_archive_answer_every_file_of_an_unchanged_page_is_due(archived):
    item, requested = _outputs(_spider(archived), _page(not_modified=True))
    assert requested == [PDF, DOC] and len(item["attachments"]) == 2


def test_a_fetched_page_follows_its_files_whatever_the_archive_holds():
    item, requested = _outputs(_spider({PDF, DOC}), _page(not_modified=False))
    assert requested == [PDF, DOC] and item["body"] == PAGE and item["not_modified"] is False


def test_archived_urls_is_any_capture_and_not_an_incremental_policy(store):
    archived = KnownUrls(store, snapshot=False)
    assert not archived(PDF)
    store.run(lambda s: repository.store_capture(s, store.blobs, b"%PDF", url=PDF, kind="attachment"))
    assert archived(PDF)  # made during this crawl counts too: it is in the archive
    crawler = get_crawler(Spider, settings_dict={
        "ITEM_PIPELINES": {ArchivePipeline: 100}, "NIANBAOKU_INCREMENTAL": False})
    assert isinstance(archived_urls(crawler), KnownUrls)
    assert archived_urls(get_crawler(Spider, settings_dict={"ITEM_PIPELINES": {}})) is None


# --- the store: what the spider sends after a 304 completes the version -------------------------------


DOC_URL = "http://portal.gov.cn/module/download/downfile.jsp?filename=b.docx"


def test_a_304_page_with_one_file_archived_and_one_late_completes_the_version(store):
    pdf, _ = attachment_bytes("pdf", AGENCY, 2022, 5)
    doc, doc_type = attachment_bytes("docx", AGENCY, 2022, 5, full=False)
    page = STUB.format(agency=AGENCY).encode()
    first = Chain(store)
    first.feed(detail(page, (PDF_URL, DOC_URL)))
    first.feed(attachment(pdf, url=PDF_URL))
    first.close()  # the DOC failed: the version holds the page and the PDF
    with store.Session() as s:
        (before,) = s.scalars(select(ReportVersion)).all()
        page_sha = next(c.sha256 for c in before.captures if c.kind == "detail")
        pdf_sha = next(c.sha256 for c in before.captures if c.kind == "attachment")
    second = Chain(store)  # the page answers 304; the spider asks for both files (see above)
    second.feed(detail(b"", (PDF_URL, DOC_URL), status=304, not_modified=True, previous_sha256=page_sha))
    second.feed(attachment(b"", url=PDF_URL, status=304, not_modified=True, previous_sha256=pdf_sha))
    out = second.feed(attachment(doc, url=DOC_URL, content_type=doc_type))
    assert out["stored"] == "unchanged" and second.stats.get_value("nianbaoku/store/completed") == 1
    with store.Session() as s:
        (after,) = s.scalars(select(ReportVersion)).all()  # one version, now with all three documents
        assert after.id == before.id and after.is_current
        assert sorted(c.url for c in after.captures) == sorted([DETAIL, PDF_URL, DOC_URL])

