"""Politeness: Retry-After and back-off pauses, the per-host gate and circuit breaker (clock pinned)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from scrapy import Spider
from scrapy import signals as scrapy_signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from twisted.internet.error import TimeoutError as TxTimeoutError

from crawler import settings as project_settings
from crawler.middlewares.challenge import challenge_detected
from crawler.middlewares.politeness import (
    META_GATE,
    HostCircuitOpen,
    HostGate,
    PolitenessMiddleware,
    backoff_delay,
    failure_pause,
    host_key,
    retry_after_seconds,
)

URL = "http://www.example.gov.cn/col/col1/index.html"
HOST = "www.example.gov.cn"


def project(**overrides) -> dict:
    values = {k: v for k, v in vars(project_settings).items() if k.isupper()}
    values.update(overrides)
    return values


class Clock:
    """A pinned monotonic clock; `sleep` advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_mw(clock: Clock, **settings) -> PolitenessMiddleware:
    crawler = get_crawler(Spider, settings_dict=project(**settings))
    crawler.spider = crawler._create_spider("t")
    mw = build_from_crawler(PolitenessMiddleware, crawler)
    mw.clock, mw.sleep = clock, clock.sleep
    return mw


def run(coro):
    return asyncio.run(coro)


# --- pure decisions --------------------------------------------------------------------------------

def test_retry_after_forms():
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(b" 3 ") == 3.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("") is None and retry_after_seconds(None) is None


def test_backoff_is_exponential_and_capped():
    assert [backoff_delay(n, base=5, cap=30) for n in range(0, 6)] == [0.0, 5, 10, 20, 30, 30]
    assert backoff_delay(10_000, base=5, cap=300) == 300


def test_failure_pause_prefers_retry_after_and_opens_for_long_ones():
    assert failure_pause(7.0, 1, base=5, cap=300, retry_after_max=600).seconds == 7.0
    backoff = failure_pause(None, 2, base=5, cap=300, retry_after_max=600)
    assert (backoff.seconds, backoff.reason, backoff.open_circuit) == (10, "backoff", False)
    long = failure_pause(3600.0, 1, base=5, cap=300, retry_after_max=600)
    assert (long.seconds, long.reason, long.open_circuit) == (3600.0, "retry_after", True)


def test_gate_opens_after_threshold_and_probes_after_cooldown():
    gate = HostGate(threshold=3, cooldown=60)
    assert [gate.record_failure(HOST, "http_503", now=t) for t in (0, 1, 2)] == [False, False, True]
    decision = gate.check(HOST, now=10)
    assert (decision.action, decision.seconds, decision.reason) == ("drop", 52, "http_503")
    assert gate.check(HOST, now=62).action == "go"          # half-open: one probe
    assert gate.record_failure(HOST, "challenge_ts412", now=63) is True  # failed probe: open again
    assert gate.check(HOST, now=100).action == "drop"
    assert gate.check("other.gov.cn", now=100).action == "go"  # hosts are independent


def test_gate_success_resets_and_pauses_make_requests_wait():
    gate = HostGate(threshold=3, cooldown=60)
    gate.record_failure(HOST, "http_503", now=0)
    gate.record_failure(HOST, "http_503", now=0)
    gate.record_success(HOST)
    assert gate.record_failure(HOST, "http_503", now=0) is False
    gate.pause(HOST, 10, now=0)
    gate.pause(HOST, 3, now=0)   # a shorter pause does not shorten a longer one
    assert (gate.check(HOST, now=4).action, gate.check(HOST, now=4).seconds) == ("wait", 6)
    assert gate.check(HOST, now=10).action == "go"


def test_host_key_precedence_meta_slot_then_hostname():
    assert host_key(Request("http://Www.Example.gov.cn:8080/a")) == HOST
    assert host_key(Request(URL, meta={"download_slot": "zj-oss"})) == "zj-oss"


# --- the middleware --------------------------------------------------------------------------------

def test_503_with_retry_after_pauses_the_host(clock):
    mw = make_mw(clock)
    request = Request(URL)
    run(mw.process_request(request))
    response = Response(URL, status=503, headers={"Retry-After": "7"})
    assert mw.process_response(request, response) is response
    assert mw.stats.get_value("nianbaoku/politeness/failure/http_503") == 1
    assert mw.stats.get_value("nianbaoku/politeness/paused/retry_after") == 1
    assert mw.gate.check(HOST, clock()).seconds == 7
    run(mw.process_request(Request(URL + "?next")))   # held 7 s by the (fake) sleep, then sent
    assert clock.slept == [7]
    assert mw.stats.get_value("nianbaoku/politeness/waited") == 1


def test_timeouts_back_off_exponentially_with_the_attempt(clock):
    mw = make_mw(clock)
    for attempt, expected in ((0, 5.0), (1, 10.0)):
        request = Request(URL, meta={"retry_times": attempt})
        run(mw.process_request(request))
        mw.process_exception(request, TxTimeoutError())
        assert mw.gate.check(HOST, clock()).seconds == expected
        clock.now += expected
    assert mw.stats.get_value("nianbaoku/politeness/failure/TimeoutError") == 2
    assert mw.stats.get_value("nianbaoku/politeness/paused/backoff") == 2


def test_breaker_opens_drops_and_logs_once(clock, caplog):
    mw = make_mw(clock, NIANBAOKU_BACKOFF_BASE=0)
    caplog.set_level(logging.DEBUG, logger="crawler.middlewares.politeness")
    for i in range(3):
        request = Request(f"{URL}?{i}")
        run(mw.process_request(request))
        mw.process_response(request, Response(request.url, status=502))
    with pytest.raises(HostCircuitOpen) as info:
        run(mw.process_request(Request(URL + "?late")))
    assert (info.value.host, info.value.reason) == (HOST, "http_502")
    assert info.value.seconds_left == pytest.approx(600)
    assert mw.stats.get_value("nianbaoku/breaker/opened") == 1
    assert mw.stats.get_value("nianbaoku/breaker/dropped") == 1
    assert mw.stats.get_value("nianbaoku/breaker/dropped/http_502") == 1
    warnings = [r for r in caplog.record_tuples if r[1] == logging.WARNING]
    assert len(warnings) == 1 and HOST in warnings[0][2]
    clock.now += 601
    run(mw.process_request(Request(URL + "?probe")))  # the cool-down is over: one probe goes


def test_long_retry_after_opens_the_circuit_instead_of_holding(clock):
    mw = make_mw(clock)
    request = Request(URL)
    run(mw.process_request(request))
    mw.process_response(request, Response(URL, status=429, headers={"Retry-After": "3600"}))
    assert mw.stats.get_value("nianbaoku/politeness/retry_after_over_max") == 1
    with pytest.raises(HostCircuitOpen):
        run(mw.process_request(Request(URL + "?b")))
    assert clock.slept == []


def test_success_reaching_the_engine_resets_the_count(clock):
    mw = make_mw(clock, NIANBAOKU_BACKOFF_BASE=0)
    for i in range(5):
        request = Request(f"{URL}?{i}")
        run(mw.process_request(request))
        if i % 2:
            ok = HtmlResponse(request.url, body=b"<p>ok</p>")
            mw.process_response(request, ok)
            mw.crawler.signals.send_catch_log(signal=scrapy_signals.response_received,
                                              response=ok, request=request, spider=mw.crawler.spider)
        else:
            mw.process_response(request, Response(request.url, status=500))
    assert mw.gate.check(HOST, clock()).action == "go"
    assert mw.stats.get_value("nianbaoku/breaker/opened") is None


def test_challenge_signal_counts_once_per_response(clock):
    mw = make_mw(clock)
    signals = mw.crawler.signals
    request = Request(URL)
    run(mw.process_request(request))
    too_many = Response(URL, status=429, headers={"Retry-After": "2"})
    mw.process_response(request, too_many)  # counted from the raw response …
    signals.send_catch_log(signal=challenge_detected, request=request, response=too_many, kind="rate429",
                           retrying=True)      # … so the classifier's report of it is not counted again
    assert mw.gate.state(HOST).failures == 1
    page = Request(URL + "?p")
    clock.now += 2
    run(mw.process_request(page))
    abnormal = HtmlResponse(page.url, body="访问异常".encode())
    mw.process_response(page, abnormal)
    signals.send_catch_log(signal=challenge_detected, request=page, response=abnormal, kind="waf_block",
                           retrying=False)
    assert mw.gate.state(HOST).failures == 2
    assert mw.stats.get_value("nianbaoku/politeness/failure/challenge_waf_block") == 1


def test_one_request_in_flight_per_host(clock):
    mw = make_mw(clock)

    async def scenario():
        first, second = Request(URL + "?1"), Request(URL + "?2")
        await mw.process_request(first)
        waiting = asyncio.ensure_future(mw.process_request(second))
        other = Request("http://other.gov.cn/")
        await mw.process_request(other)            # another host is not held
        await asyncio.sleep(0)
        assert not waiting.done()
        mw.process_response(first, Response(first.url, status=200))
        await asyncio.wait_for(waiting, timeout=5)
        return mw.stats.get_value("nianbaoku/politeness/waited")

    assert run(scenario()) == 1


def test_requests_waiting_behind_a_host_that_trips_the_breaker_are_dropped_not_stuck(clock):
    mw = make_mw(clock, NIANBAOKU_BREAKER_THRESHOLD=1)

    async def scenario():
        first = Request(URL + "?1")
        await mw.process_request(first)
        waiting = [asyncio.ensure_future(mw.process_request(Request(f"{URL}?{i}"))) for i in (2, 3)]
        await asyncio.sleep(0)
        mw.process_response(first, Response(first.url, status=503))
        done, pending = await asyncio.wait(waiting, timeout=5)
        assert not pending
        return [type(task.exception()).__name__ for task in done]

    assert run(scenario()) == ["HostCircuitOpen", "HostCircuitOpen"]
    assert mw.stats.get_value("nianbaoku/breaker/dropped") == 2


def test_meta_key_bypasses_the_gate(clock):
    mw = make_mw(clock)
    mw.gate.open(HOST, 100, "test", clock())
    assert run(mw.process_request(Request(URL, meta={META_GATE: False}))) is None
    with pytest.raises(HostCircuitOpen):
        run(mw.process_request(Request(URL)))


def test_disabled_raises_not_configured():
    crawler = get_crawler(Spider, settings_dict=project(NIANBAOKU_POLITENESS_ENABLED=False))
    with pytest.raises(NotConfigured):
        build_from_crawler(PolitenessMiddleware, crawler)
