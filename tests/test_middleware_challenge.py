"""ChallengeMiddleware: challenges are classified, counted, recorded, never passed on, retried only when
they mean "slower" (rate429) and only within the retry bound."""

from __future__ import annotations

import logging

import pytest
from scrapy import Spider
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.middlewares.challenge import (
    LEDGER_KEY,
    META_CHECK,
    META_KIND,
    META_RETRY_KINDS,
    BlockedByChallenge,
    ChallengeMiddleware,
    blocked_pages,
    challenge_detected,
    challenge_retry_request,
    record_blocked,
)

URL = "http://portal.example.gov.cn/col/col1/index.html"
RUISHU = (b"<html><head><meta content=\"x8Kd0\" r=\"m\"><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};"
          b"$_ts.nsd=84731;$_ts.cd=\"qArpqnA\";</script></head><body></body></html>")
JIASULE = (b"<script>document.cookie=('__jsl_clearance_s=1700000000.123|0|abc');"
           b"location.href=location.pathname+location.search</script>")
ABNORMAL = ("<html><head><title>访问异常</title></head><body><p>访问异常，请稍候再试。</p>"
            "</body></html>").encode()
EDGEONE = b"<html><head><script src='/eo_bot_check.js'></script></head><body>EdgeOne bot check</body></html>"
REPORT = ("<html><head><title>2023年政府信息公开工作年度报告</title></head><body>"
          + "<p>一、总体情况。本机关认真贯彻落实《政府信息公开条例》，主动公开政府信息。</p>" * 20
          + "</body></html>").encode()


def project(**overrides) -> dict:
    values = {k: v for k, v in vars(project_settings).items() if k.isupper()}
    values.update(overrides)
    return values


@pytest.fixture
def crawler():
    c = get_crawler(Spider, settings_dict=project())
    c.spider = c._create_spider("t")
    return c


@pytest.fixture
def mw(crawler) -> ChallengeMiddleware:
    return build_from_crawler(ChallengeMiddleware, crawler)


def resp(body: bytes, status: int = 200, url: str = URL, **headers) -> Response:
    headers = {"Content-Type": "text/html", **headers}
    return HtmlResponse(url, status=status, body=body, headers=headers)


def test_ruishu_412_is_blocked_recorded_and_not_retried(mw, crawler):
    request = Request(URL)
    with pytest.raises(BlockedByChallenge) as info:
        mw.process_response(request, resp(RUISHU, 412))
    exc = info.value
    assert isinstance(exc, IgnoreRequest)
    assert (exc.kind, exc.url, exc.status) == ("ts412", URL, 412)
    assert "blocked:ts412" in str(exc)
    stats = crawler.stats
    assert stats.get_value("nianbaoku/challenge/ts412") == 1
    assert stats.get_value("nianbaoku/blocked/ts412") == 1
    assert stats.get_value("retry/count") is None
    assert blocked_pages(stats) == [(URL, "ts412")]
    assert request.meta[META_KIND] == "ts412"


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [(JIASULE, 521, "jsl521"), (ABNORMAL, 200, "waf_block"), (RUISHU, 202, "ts412"),
     (EDGEONE, 200, "js_cookie")],
)
def test_each_challenge_class_is_blocked_with_its_kind(mw, crawler, body, status, kind):
    with pytest.raises(BlockedByChallenge) as info:
        mw.process_response(Request(URL), resp(body, status))
    assert info.value.kind == kind
    assert crawler.stats.get_value(f"nianbaoku/blocked/{kind}") == 1


def test_real_content_passes_through_untouched(mw, crawler):
    response = resp(REPORT)
    assert mw.process_response(Request(URL), response) is response
    assert not any(k.startswith("nianbaoku/") for k in crawler.stats.get_stats())


def test_rate429_is_retried_within_the_bound_then_blocked(mw, crawler):
    request = Request(URL)
    retry = mw.process_response(request, resp(b"Too Many Requests", 429, **{"Retry-After": "3"}))
    assert isinstance(retry, Request)
    assert retry.meta["retry_times"] == 1 and retry.dont_filter
    assert crawler.stats.get_value("retry/reason_count/challenge_rate429") == 1
    assert blocked_pages(crawler.stats) == []
    retry2 = mw.process_response(retry, resp(b"Too Many Requests", 429))
    assert retry2.meta["retry_times"] == 2
    with pytest.raises(BlockedByChallenge) as info:  # RETRY_TIMES = 2: three tries in all
        mw.process_response(retry2, resp(b"Too Many Requests", 429))
    assert info.value.kind == "rate429"
    assert crawler.stats.get_value("nianbaoku/challenge/rate429") == 3
    assert crawler.stats.get_value("nianbaoku/blocked/rate429") == 1
    assert crawler.stats.get_value("retry/max_reached") == 1


def test_retry_kinds_precedence_argument_then_meta_then_setting(crawler):
    spider = crawler.spider
    plain = Request(URL)
    assert challenge_retry_request(plain, "ts412", spider=spider) is None  # setting: rate429 only
    assert challenge_retry_request(plain, "rate429", spider=spider) is not None
    meta = Request(URL, meta={META_RETRY_KINDS: ["ts412"]})
    assert challenge_retry_request(meta, "ts412", spider=spider) is not None
    assert challenge_retry_request(meta, "rate429", spider=spider) is None  # meta beats the setting
    # the argument beats meta
    assert challenge_retry_request(meta, "ts412", spider=spider, retry_kinds=[]) is None


def test_meta_switch_skips_classification(mw, crawler):
    response = resp(RUISHU, 412)
    assert mw.process_response(Request(URL, meta={META_CHECK: False}), response) is response
    assert crawler.stats.get_value("nianbaoku/challenge/ts412") is None


def test_signal_tells_listeners_kind_and_whether_retrying(mw, crawler):
    heard = []
    crawler.signals.connect(lambda request, response, kind, retrying: heard.append((kind, retrying)),
                            signal=challenge_detected, weak=False)
    mw.process_response(Request(URL), resp(b"", 429))
    with pytest.raises(BlockedByChallenge):
        mw.process_response(Request(URL), resp(RUISHU, 412))
    assert heard == [("rate429", True), ("ts412", False)]


def test_first_block_per_host_warns_then_debug(mw, caplog):
    caplog.set_level(logging.DEBUG, logger="crawler.middlewares.challenge")
    for path in ("a", "b"):
        with pytest.raises(BlockedByChallenge):
            mw.process_response(Request(f"{URL}?{path}"), resp(RUISHU, 412))
    levels = [(name, level) for name, level, _ in caplog.record_tuples]
    assert levels == [("crawler.middlewares.challenge", logging.WARNING),
                      ("crawler.middlewares.challenge", logging.DEBUG)]
    assert "blocked:ts412" in caplog.records[0].getMessage()


def test_ledger_is_capped_but_counters_stay_exact(crawler):
    stats = crawler.stats
    for i in range(5):
        record_blocked(stats, f"{URL}?{i}", "waf_block", limit=3)
    assert len(blocked_pages(stats)) == 3
    assert stats.get_value("nianbaoku/blocked/waf_block") == 5
    assert stats.get_value("nianbaoku/blocked_pages_unlisted") == 2
    assert stats.get_value(LEDGER_KEY)[0] == (f"{URL}?0", "waf_block")


def test_disabled_raises_not_configured():
    crawler = get_crawler(Spider, settings_dict=project(NIANBAOKU_CHALLENGE_ENABLED=False))
    with pytest.raises(NotConfigured):
        build_from_crawler(ChallengeMiddleware, crawler)
