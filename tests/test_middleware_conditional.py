"""ConditionalRequestsMiddleware: validators of the last capture go out, a 304 comes back as a marked
"not modified" outcome that Scrapy's HttpError middleware lets through."""

from __future__ import annotations

import logging

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError, HttpErrorMiddleware
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.middlewares.conditional import (
    META_CONDITIONAL,
    META_NOT_MODIFIED,
    META_PREVIOUS_SHA256,
    ConditionalRequestsMiddleware,
    MemoryValidatorSource,
    StoreValidatorSource,
    Validators,
    ValidatorSource,
    validators_from_headers,
    wants_conditional,
)

URL = "http://www.example.gov.cn/art/2024/1/5/art_1_1.html"
ETAG = '"5d41402abc4b2a76"'
LAST_MODIFIED = "Mon, 01 Jan 2024 08:00:00 GMT"
SHA = "ab" * 32


def project(**overrides) -> dict:
    values = {k: v for k, v in vars(project_settings).items() if k.isupper()}
    values.update(overrides)
    return values


def memory_source(crawler) -> ValidatorSource:
    """Factory named by NIANBAOKU_CONDITIONAL_SOURCE in a test below."""
    return MemoryValidatorSource({URL: Validators(ETAG, LAST_MODIFIED, SHA)})


def not_a_source(crawler) -> object:
    return object()


@pytest.fixture
def source() -> MemoryValidatorSource:
    return MemoryValidatorSource({URL: Validators(ETAG, LAST_MODIFIED, SHA)})


@pytest.fixture
def mw(source) -> ConditionalRequestsMiddleware:
    crawler = get_crawler(Spider, settings_dict=project())
    assert crawler.stats is not None
    return ConditionalRequestsMiddleware(crawler.stats, source, roles=["detail", "attachment"])


def detail(url: str = URL, **meta) -> Request:
    return Request(url, meta={"nianbaoku_role": "detail", **meta})


def test_validators_from_stored_headers():
    assert validators_from_headers({"ETag": ETAG, "last-modified": LAST_MODIFIED}, SHA) == Validators(
        ETAG, LAST_MODIFIED, SHA)
    assert validators_from_headers({b"Etag": [b'W/"x"']}) == Validators(etag='W/"x"')
    assert validators_from_headers({"Content-Type": "text/html", "ETag": "  "}) is None
    assert validators_from_headers(None) is None
    assert Validators(etag=ETAG).request_headers() == {"If-None-Match": ETAG}


def test_detail_request_gets_validators_and_previous_digest(mw):
    request = detail()
    assert mw.process_request(request) is None
    assert request.headers[b"If-None-Match"] == ETAG.encode()
    assert request.headers[b"If-Modified-Since"] == LAST_MODIFIED.encode()
    assert request.meta[META_PREVIOUS_SHA256] == SHA
    assert mw.stats.get_value("nianbaoku/conditional/sent") == 1


def test_precedence_meta_then_role_setting():
    assert wants_conditional(Request(URL, meta={"nianbaoku_role": "list"}), ["detail"]) is False
    assert wants_conditional(Request(URL, meta={"nianbaoku_role": "list", META_CONDITIONAL: True}),
                             ["detail"]) is True
    assert wants_conditional(Request(URL, meta={"nianbaoku_role": "detail", META_CONDITIONAL: False}),
                             ["detail"]) is False
    assert wants_conditional(Request(URL), None) is True          # no role rule: everything
    assert wants_conditional(Request(URL, method="POST", meta={META_CONDITIONAL: True}), None) is False


def test_list_pages_and_unknown_urls_go_unconditional(mw):
    listing = Request(URL, meta={"nianbaoku_role": "list"})
    mw.process_request(listing)
    assert b"If-None-Match" not in listing.headers
    unknown = detail(URL + "?new")
    mw.process_request(unknown)
    assert b"If-None-Match" not in unknown.headers
    assert mw.stats.get_value("nianbaoku/conditional/no_validators") == 1


def test_callers_own_validators_are_left_alone(mw):
    request = detail()
    request.headers["If-None-Match"] = '"mine"'
    mw.process_request(request)
    assert request.headers.getlist(b"If-None-Match") == [b'"mine"']
    assert mw.stats.get_value("nianbaoku/conditional/sent") is None


def test_304_becomes_a_marked_not_modified_outcome(mw):
    request = detail()
    mw.process_request(request)
    response = Response(URL, status=304, headers={"ETag": ETAG}, request=request)
    assert mw.process_response(request, response) is response
    assert response.meta[META_NOT_MODIFIED] is True
    assert response.meta[META_PREVIOUS_SHA256] == SHA
    assert mw.stats.get_value("nianbaoku/conditional/not_modified") == 1
    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("t")
    httperror = build_from_crawler(HttpErrorMiddleware, crawler)
    assert httperror.process_spider_input(response) is None  # reaches the spider, not an error


def test_a_304_we_did_not_ask_for_is_not_marked(mw):
    request = Request(URL, meta={"nianbaoku_role": "list"})
    mw.process_request(request)
    response = Response(URL, status=304, request=request)
    mw.process_response(request, response)
    assert META_NOT_MODIFIED not in request.meta
    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("t")
    with pytest.raises(HttpError):
        build_from_crawler(HttpErrorMiddleware, crawler).process_spider_input(response)


def test_changed_page_is_counted_as_modified(mw):
    request = detail()
    mw.process_request(request)
    mw.process_response(request, HtmlResponse(URL, body=b"<p>new</p>"))
    assert META_NOT_MODIFIED not in request.meta
    assert mw.stats.get_value("nianbaoku/conditional/modified") == 1


def test_failing_source_switches_conditional_off_once(caplog):
    class Broken:
        calls = 0

        def get(self, url: str) -> Validators | None:
            self.calls += 1
            raise OSError("store unreachable")

    crawler = get_crawler(Spider, settings_dict=project())
    broken = Broken()
    mw = ConditionalRequestsMiddleware(crawler.stats, broken, roles=None)
    caplog.set_level(logging.WARNING, logger="crawler.middlewares.conditional")
    for _ in range(3):
        request = Request(URL)
        assert mw.process_request(request) is None
        assert b"If-None-Match" not in request.headers
    assert broken.calls == 1
    assert [lvl for _, lvl, _ in caplog.record_tuples] == [logging.WARNING]
    assert "store unreachable" in caplog.records[0].getMessage()
    assert crawler.stats.get_value("nianbaoku/conditional/source_error") == 1


def test_source_from_settings_and_disabled_flag():
    crawler = get_crawler(Spider, settings_dict=project(
        NIANBAOKU_CONDITIONAL_SOURCE="tests.test_middleware_conditional.memory_source"))
    mw = build_from_crawler(ConditionalRequestsMiddleware, crawler)
    assert isinstance(mw.source, MemoryValidatorSource)
    assert mw.roles == frozenset({"detail", "attachment"})
    bad = get_crawler(Spider, settings_dict=project(
        NIANBAOKU_CONDITIONAL_SOURCE="tests.test_middleware_conditional.not_a_source"))
    with pytest.raises(NotConfigured, match="not a ValidatorSource"):
        build_from_crawler(ConditionalRequestsMiddleware, bad)
    off = get_crawler(Spider, settings_dict=project(NIANBAOKU_CONDITIONAL_ENABLED=False))
    with pytest.raises(NotConfigured):
        build_from_crawler(ConditionalRequestsMiddleware, off)


def test_store_source_reads_the_latest_capture(store):
    from storage import repository

    with store.Session() as session, session.begin():
        repository.store_capture(session, store.blobs, b"<p>v1</p>", url=URL, status=200,
                                 headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED, "Server": "x"})
        second = repository.store_capture(session, store.blobs, b"<p>v2</p>", url=URL, status=200,
                                          headers={"ETag": '"v2"'})
        digest = second.sha256
    source = StoreValidatorSource(lambda: store)
    assert isinstance(source, ValidatorSource)
    got = source.get(URL)
    assert got is not None and got.etag == '"v2"' and got.sha256 == digest
    assert source.get(URL + "?never") is None
