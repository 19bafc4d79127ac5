"""crawler/spidermiddlewares.py: list pages become capture items; error answers reach the crawl run."""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.pipelines import ERRORS_KEY
from crawler.spidermiddlewares import CaptureMiddleware

LIST = "http://a.gov.cn/col/index.html"


def _response(url: str, role: str | None, status: int = 200) -> HtmlResponse:
    request = Request(url, meta={"nianbaoku_role": role, "nianbaoku_profile": "p"} if role else {})
    headers = {"Content-Type": "text/html; charset=utf-8"}
    return HtmlResponse(url, status=status, body=b"<ul><li>x</li></ul>", request=request, headers=headers)


def _mw() -> CaptureMiddleware:
    return CaptureMiddleware(MemoryStatsCollector(get_crawler()))


def test_a_list_response_is_captured_before_what_the_spider_yields():
    mw = _mw()
    follow = Request(LIST + "?page=2")
    out = list(mw.process_spider_output(_response(LIST, "list"), [follow]))
    assert out[1] is follow
    captured = out[0]
    assert captured["kind"] == "list" and captured["url"] == LIST and captured["body"].startswith(b"<ul>")
    assert captured["profile"] == "p" and captured["content_type"].startswith("text/html")
    assert mw.stats.get_value("nianbaoku/captured/list") == 1


def test_a_report_page_is_captured_only_when_the_spider_took_nothing_from_it():
    mw = _mw()
    url = "http://a.gov.cn/xxgkAnnualReport.jsp?fbtime=2010"
    assert [o["kind"] for o in mw.process_spider_output(_response(url, "report_page"), [])] == ["other"]
    detail = {"kind": "detail", "url": url}
    assert list(mw.process_spider_output(_response(url, "report_page"), [detail])) == [detail]


def test_detail_responses_pass_through_and_async_output_matches():
    mw = _mw()
    assert list(mw.process_spider_output(_response("http://a.gov.cn/d.html", "detail"), [1, 2])) == [1, 2]

    async def gen():
        yield "next"

    async def collect():
        return [o async for o in mw.process_spider_output_async(_response(LIST, "list"), gen())]

    out = asyncio.run(collect())
    assert out[0]["kind"] == "list" and out[1] == "next"


def test_an_error_answer_is_recorded_for_the_run():
    mw = _mw()
    response = _response("http://a.gov.cn/missing.html", "detail", status=404)
    assert mw.process_spider_exception(response, HttpError(response, "Ignoring non-200 response")) is None
    assert mw.stats.get_value(ERRORS_KEY) == [
        {"error": "http:404", "url": "http://a.gov.cn/missing.html", "role": "detail"}
    ]  # the role tells a lost list page (the next crawl reads every list page) from a lost report
    assert mw.process_spider_exception(response, ValueError("not ours")) is None
    assert len(mw.stats.get_value(ERRORS_KEY)) == 1
