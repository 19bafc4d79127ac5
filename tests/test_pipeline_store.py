"""crawler/pipelines/store.py: a detail page and its attachments become one report version."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.pipelines import ERRORS_KEY
from crawler.pipelines.archive import ArchivePipeline
from crawler.pipelines.parse import ParsePipeline
from crawler.pipelines.store import ReportGroup, StorePipeline, profile_level
from storage.models import Agency, Report, ReportVersion
from storage.repository import current_parse
from tests.replica.content import attachment_bytes, report_html

AGENCY = "宁波市镇海区人力资源和社会保障局"
PROFILE_AGENCY = "宁波市镇海区人民政府"
DETAIL = "http://portal.gov.cn/art/2023/1/20/art_1_1.html"
PDF_URL = "http://portal.gov.cn/module/download/downfile.jsp?filename=a.pdf"
STUB = (
    "<html><head><meta charset='utf-8'><title>{agency}2022年政府信息公开工作年度报告</title></head>"
    "<body><div id='zoom'><p>{agency}2022年政府信息公开工作年度报告详见附件。</p>"
    "<p>附件：<a href='/module/download/downfile.jsp?filename=a.pdf'>年度报告.pdf</a></p></div></body></html>"
)


class Chain:
    """archive → parse → store over a test store, driven item by item like Scrapy would."""

    def __init__(self, store, **store_kwargs):
        self.stats = MemoryStatsCollector(get_crawler())
        self.archive = ArchivePipeline(store, self.stats)
        self.parse = ParsePipeline(self.stats, threaded=False)
        self.store = StorePipeline(store, self.stats, resolve_regions=False, **store_kwargs)

    def feed(self, item: dict) -> dict:
        item = self.archive.process_item(item)
        item = asyncio.run(self.parse.process_item(item))
        return self.store.process_item(item)

    def close(self) -> None:
        self.store.close_spider()


def detail(body: bytes, attachments: tuple[str, ...] = (), year: int | None = 2022, **extra) -> dict:
    return {
        "kind": "detail",
        "profile": "p",
        "agency": PROFILE_AGENCY,
        "url": DETAIL,
        "list_url": "http://portal.gov.cn/col/index.html",
        "title": f"{AGENCY}2022年政府信息公开工作年度报告",
        "published_date": "2023-01-20",
        "stat_year": year,
        "attachments": [{"url": u, "filename": "a.pdf", "ext": "pdf"} for u in attachments],
        "status": 200,
        "content_type": "text/html; charset=utf-8",
        "headers": {},
        "body": body,
        **extra,
    }


def attachment(body: bytes, url: str = PDF_URL, detail_url: str = DETAIL, **extra) -> dict:
    return {
        "kind": "attachment",
        "profile": "p",
        "agency": PROFILE_AGENCY,
        "url": url,
        "detail_url": detail_url,
        "list_url": "http://portal.gov.cn/col/index.html",
        "title": f"{AGENCY}2022年政府信息公开工作年度报告",
        "stat_year": 2022,
        "status": 200,
        "content_type": "application/pdf",
        "headers": {},
        "body": body,
        **extra,
    }


def _versions(store) -> list[ReportVersion]:
    with store.Session() as s:
        versions = list(s.scalars(select(ReportVersion).order_by(ReportVersion.id)))
        for v in versions:
            _ = [c.kind for c in v.captures], v.report.agency.name
        return versions


def _current_report_meta(store, version_id: int) -> dict:
    with store.Session() as s:
        parsed = current_parse(s, s.get(ReportVersion, version_id))
        return dict(parsed.report) if parsed else {}


def test_a_detail_page_alone_is_stored_with_its_parse(store):
    chain = Chain(store)
    out = chain.feed(detail(report_html(AGENCY, 2022, 5)))
    assert out["stored"] == "new"
    (version,) = _versions(store)
    assert [c.kind for c in version.captures] == ["detail"] and version.report.agency.name == AGENCY
    meta = _current_report_meta(store, version.id)
    assert meta["source_url"] == DETAIL and meta["content_hash"] == version.content_hash
    assert chain.stats.get_value("nianbaoku/store/new") == 1


def test_a_stub_page_and_its_pdf_make_one_version_and_the_pdf_is_the_report(store):
    chain = Chain(store)
    pdf, _ = attachment_bytes("pdf", AGENCY, 2022, 5)
    first = chain.feed(detail(STUB.format(agency=AGENCY).encode(), attachments=(PDF_URL,)))
    assert "stored" not in first  # waits for its attachment
    last = chain.feed(attachment(pdf))
    assert last["stored"] == "new"
    (version,) = _versions(store)
    assert sorted(c.kind for c in version.captures) == ["attachment", "detail"]
    meta = _current_report_meta(store, version.id)
    assert meta["source_url"] == PDF_URL and meta["attachments"] == [PDF_URL]
    with store.Session() as s:
        assert len(current_parse(s, s.get(ReportVersion, version.id)).cells) > 50


def test_an_attachment_that_never_arrives_is_flushed_at_close(store):
    chain = Chain(store)
    chain.feed(detail(report_html(AGENCY, 2022, 5), attachments=(PDF_URL,)))
    assert _versions(store) == [] and len(chain.store.groups) == 1
    chain.close()
    (version,) = _versions(store)
    assert [c.kind for c in version.captures] == ["detail"]
    assert chain.stats.get_value("nianbaoku/store/flushed_at_close") == 1


def test_attachments_may_arrive_before_their_page(store):
    chain = Chain(store)
    pdf, _ = attachment_bytes("pdf", AGENCY, 2022, 5)
    chain.feed(attachment(pdf))
    assert _versions(store) == []
    assert chain.feed(detail(STUB.format(agency=AGENCY).encode(), attachments=(PDF_URL,)))["stored"] == "new"
    assert len(_versions(store)[0].captures) == 2


def test_a_file_linked_from_the_list_is_a_report_of_its_own(store):
    chain = Chain(store)
    pdf, _ = attachment_bytes("pdf", AGENCY, 2021, 9)
    listed = "http://portal.gov.cn/col/index.html"
    out = chain.feed(attachment(pdf, url="http://portal.gov.cn/a.pdf", detail_url=listed))
    assert out["stored"] == "new" and not chain.store.groups


def test_recrawl_unchanged_then_not_modified_then_revised(store):
    chain = Chain(store)
    page = report_html(AGENCY, 2022, 5)
    pdf, _ = attachment_bytes("pdf", AGENCY, 2022, 5, full=False)
    chain.feed(detail(page, attachments=(PDF_URL,)))
    chain.feed(attachment(pdf))
    # same bytes again (a server without validators): nothing parsed, nothing new
    chain2 = Chain(store)
    chain2.feed(detail(page, attachments=(PDF_URL,)))
    assert chain2.feed(attachment(pdf))["stored"] == "unchanged"
    assert chain2.stats.get_value("nianbaoku/parse/skipped/same") == 2
    # a 304: no attachments seen, the version (with its attachment) stands
    sha = _versions(store)[0].captures[0].sha256
    chain3 = Chain(store)
    out = chain3.feed(detail(b"", status=304, not_modified=True, previous_sha256=sha))
    assert out["stored"] == "unchanged" and len(_versions(store)) == 1
    # revised in place: new numbers, same URL → a second version, the first kept
    chain4 = Chain(store)
    chain4.feed(detail(report_html(AGENCY, 2022, 5, revision=1), attachments=(PDF_URL,)))
    assert chain4.feed(attachment(b"", status=304, not_modified=True))["stored"] == "changed"
    first, second = _versions(store)
    assert not first.is_current and second.is_current and first.report_id == second.report_id
    assert PDF_URL in {c.url for c in second.captures}  # the unchanged file belongs to both versions
    assert _current_report_meta(store, second.id)["stat_year"] == 2022


def test_a_changed_page_with_an_unchanged_file_is_parsed_from_the_archive(store):
    chain = Chain(store)
    pdf, _ = attachment_bytes("pdf", AGENCY, 2022, 5)
    chain.feed(detail(STUB.format(agency=AGENCY).encode(), attachments=(PDF_URL,)))
    chain.feed(attachment(pdf))
    chain2 = Chain(store)
    stub2 = STUB.format(agency=AGENCY).replace("详见附件", "请见附件").encode()
    chain2.feed(detail(stub2, attachments=(PDF_URL,)))
    assert chain2.feed(attachment(pdf))["stored"] == "changed"  # the file was skipped by hash…
    second = _versions(store)[-1]
    assert _current_report_meta(store, second.id)["source_url"] == PDF_URL  # …and parsed when needed


def test_challenge_pages_are_blocked_not_stored(store):
    chain = Chain(store)
    ruishu = b"<html><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=1;</script></html>"
    out = chain.feed(detail(ruishu))
    assert out["stored"] == "blocked" and _versions(store) == []
    assert chain.stats.get_value("nianbaoku/store/blocked") == 1


def test_no_year_anywhere_fails_with_the_reason_on_the_run(store):
    chain = Chain(store)
    body = b"<html><body><div id='zoom'><p>" + "无关内容".encode() * 40 + b"</p></div></body></html>"
    out = chain.feed(detail(body, year=None, title="通知", published_date=None))
    assert out["stored"] == "failed"
    (entry,) = [e for e in chain.stats.get_value(ERRORS_KEY) if e["error"] == "store:failed"]
    assert entry["url"] == DETAIL and "statistical year" in entry["reason"]


def test_the_profile_agency_and_level_stand_in_when_the_document_names_none(store):
    chain = Chain(store, level="district-gov")
    body = b"<html><body><div id='zoom'><p>" + "本年度工作情况。".encode() * 20 + b"</p></div></body></html>"
    assert chain.feed(detail(body, title="2022年年度报告"))["stored"] == "new"
    with store.Session() as s:
        (agency,) = s.scalars(select(Agency)).all()
        assert (agency.name, agency.level, agency.kind) == (PROFILE_AGENCY, "county", "government")
        assert s.scalars(select(Report)).one().stat_year == 2022


def test_open_groups_are_capped(store):
    chain = Chain(store, max_open=1)
    for i in range(3):
        item = detail(report_html(AGENCY, 2018 + i, 5), attachments=(PDF_URL,), year=2018 + i)
        item["url"] = f"{DETAIL}?{i}"
        chain.feed(item)
    assert len(chain.store.groups) == 1 and len(_versions(store)) == 2


def test_group_completion_and_profile_levels():
    group = ReportGroup("k")
    group.add({"kind": "detail", "url": "d", "capture_id": 1, "sha256": "x", "attachments": [{}, {}]})
    assert not group.complete
    group.add({"kind": "attachment", "url": "a1", "capture_id": 2, "sha256": "y"})
    group.add({"kind": "attachment", "url": "a2-after-redirect", "capture_id": 3, "sha256": "z"})
    assert group.complete and [m.kind for m in group.members] == ["detail", "attachment", "attachment"]
    assert profile_level("city-dept") == ("city", "department")
    assert profile_level("district-gov") == ("county", "government") and profile_level(None) == (None, None)


def test_disabled_by_setting():
    with pytest.raises(NotConfigured):
        StorePipeline.from_crawler(get_crawler(settings_dict={"NIANBAOKU_STORE_ENABLED": False}))


def test_a_page_whose_markup_alone_changed_adds_no_version(store):
    chain = Chain(store)
    page = report_html(AGENCY, 2022, 5)
    chain.feed(detail(page.replace(b"<h1>", b"<h1 data-token='t1'>")))
    chain2 = Chain(store)
    out = chain2.feed(detail(page.replace(b"<h1>", b"<h1 data-token='t2'>")))  # a per-visit token
    assert out["archived"] == "new" and out["stored"] == "unchanged"
    assert len(_versions(store)) == 1 and chain2.stats.get_value("nianbaoku/store/markup_only") == 1
    chain3 = Chain(store)
    assert chain3.feed(detail(report_html(AGENCY, 2022, 5, revision=1)))["stored"] == "changed"
