"""EncodingMiddleware: GBK/GB18030 right where Scrapy's header-first choice is wrong; precedence of
request meta > profile fetch.encoding > setting."""

from __future__ import annotations

import codecs
import logging
from types import SimpleNamespace

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.middlewares.encoding import (
    META_ENCODING,
    EncodingMiddleware,
    decide_encoding,
    requested_encoding,
)

URL = "http://xxgk.example.gov.cn/art/2024/1/5/art_1_1.html"
TITLE = "宁波市镇海区2023年政府信息公开工作年度报告"


def project(**overrides) -> dict:
    values = {k: v for k, v in vars(project_settings).items() if k.isupper()}
    values.update(overrides)
    return values


def make_mw(spider_profile_encoding: str | None = None, **settings) -> EncodingMiddleware:
    crawler = get_crawler(Spider, settings_dict=project(**settings))
    crawler.spider = crawler._create_spider("t")
    if spider_profile_encoding is not None:
        crawler.spider.profile = SimpleNamespace(fetch=SimpleNamespace(encoding=spider_profile_encoding))
    return build_from_crawler(EncodingMiddleware, crawler)


def page(meta_charset: str | None = None) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">'
    meta = meta if meta_charset else ""
    return f"<html><head>{meta}<title>{TITLE}</title></head><body><p>{TITLE}</p></body></html>"


def html(body: bytes, header_charset: str | None = "utf-8") -> HtmlResponse:
    ctype = "text/html" + (f"; charset={header_charset}" if header_charset else "")
    return HtmlResponse(URL, body=body, headers={"Content-Type": ctype})


# --- the decision --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "encoding", "source"),
    [
        (page("gbk").encode("gbk"), "gb18030", "meta"),
        (page().encode("gbk"), "gb18030", "gb18030"),               # no declaration at all
        (TITLE.encode("gb18030"), "gb18030", "gb18030"),            # a bare short fragment
        (page("gb2312").encode("utf-8"), "utf-8", "utf-8"),         # the <meta> lies, the bytes don't
        (codecs.BOM_UTF8 + page("gbk").encode("utf-8"), "utf-8", "bom"),
        ('<meta charset="big5"><p>政府資訊公開年度報告</p>'.encode("big5"), "big5hkscs", "meta"),  # superset
    ],
)
def test_decide_encoding_stages(body, encoding, source):
    decision = decide_encoding(body)
    assert (decision.encoding, decision.source) == (encoding, source)


def test_forced_encoding_wins_and_gbk_is_widened():
    assert decide_encoding(page().encode("utf-8"), forced="gbk").encoding == "gb18030"
    assert decide_encoding(b"abc", forced="auto").source == "utf-8"
    with pytest.raises(LookupError):
        decide_encoding(b"abc", forced="no-such-codec")


# --- the middleware ------------------------------------------------------------------------------

def test_gbk_page_behind_a_lying_utf8_header_is_fixed():
    mw = make_mw()
    response = html(page("gbk").encode("gbk"), header_charset="utf-8")
    assert "\ufffd" in response.text  # what Scrapy alone makes of it
    fixed = mw.process_response(Request(URL), response)
    assert fixed.encoding == "gb18030"
    assert fixed.css("title::text").get() == TITLE
    assert fixed.body == response.body
    assert mw.stats.get_value("nianbaoku/encoding/meta") == 1
    assert mw.stats.get_value("nianbaoku/encoding/fixed/gb18030") == 1


def test_short_gbk_page_without_any_charset_is_fixed():
    mw = make_mw()
    fixed = mw.process_response(Request(URL), html(f"<p>{TITLE}</p>".encode("gbk"), header_charset=None))
    assert fixed.encoding == "gb18030"
    assert TITLE in fixed.text


def test_correct_response_is_returned_as_is():
    mw = make_mw()
    response = html(page("utf-8").encode("utf-8"))
    assert mw.process_response(Request(URL), response) is response
    assert mw.stats.get_value("nianbaoku/encoding/utf-8") == 1
    assert mw.stats.get_value("nianbaoku/encoding/fixed/utf-8") is None


def test_binary_bodies_are_not_decoded():
    mw = make_mw()
    pdf = Response(URL, body=b"%PDF-1.7 ...")
    assert mw.process_response(Request(URL), pdf) is pdf
    mislabelled = html(b"%PDF-1.7 \xb5\xb5")
    assert mw.process_response(Request(URL), mislabelled) is mislabelled
    assert mw.stats.get_value("nianbaoku/encoding/skipped_binary") == 1


def test_large_bodies_keep_scrapys_choice():
    mw = make_mw(NIANBAOKU_ENCODING_MAX_BYTES=10)
    response = html(page().encode("gbk"))
    assert mw.process_response(Request(URL), response) is response
    assert mw.stats.get_value("nianbaoku/encoding/skipped_large") == 1


def test_precedence_meta_then_profile_then_setting():
    spider = SimpleNamespace(profile=SimpleNamespace(fetch=SimpleNamespace(encoding="big5")))
    assert requested_encoding(Request(URL, meta={META_ENCODING: "gbk"}), spider, "utf-8") == "gbk"
    assert requested_encoding(Request(URL), spider, "utf-8") == "big5"
    assert requested_encoding(Request(URL), SimpleNamespace(), "utf-8") == "utf-8"
    assert requested_encoding(Request(URL), None, None) is None


def test_profile_forces_and_meta_overrides_profile():
    body = page().encode("gbk")
    by_profile = make_mw("gbk").process_response(Request(URL), html(body))
    assert by_profile.encoding == "gb18030"
    mw = make_mw("utf-8")
    by_meta = mw.process_response(Request(URL, meta={META_ENCODING: "gb18030"}), html(body))
    assert by_meta.encoding == "gb18030" and TITLE in by_meta.text
    assert mw.stats.get_value("nianbaoku/encoding/forced") == 1


def test_setting_applies_when_nothing_else_says():
    mw = make_mw(NIANBAOKU_ENCODING="gbk")
    assert mw.process_response(Request(URL), html(page().encode("gbk"))).encoding == "gb18030"


def test_unknown_forced_encoding_is_reported_once_and_ignored(caplog):
    mw = make_mw()
    caplog.set_level(logging.WARNING, logger="crawler.middlewares.encoding")
    request = Request(URL, meta={META_ENCODING: "klingon-8"})
    for _ in range(2):
        fixed = mw.process_response(request, html(page().encode("gbk")))
        assert fixed.encoding == "gb18030"
    logged = [(n, lvl) for n, lvl, _ in caplog.record_tuples]
    assert logged == [("crawler.middlewares.encoding", logging.WARNING)]
    assert "klingon-8" in caplog.records[0].getMessage()
    assert mw.stats.get_value("nianbaoku/encoding/unknown_forced") == 2


def test_plain_text_responses_are_handled_too():
    mw = make_mw()
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    response = TextResponse(URL, body=TITLE.encode("gbk"), headers=headers)
    assert mw.process_response(Request(URL), response).text == TITLE


def test_disabled_raises_not_configured():
    with pytest.raises(NotConfigured):
        make_mw(NIANBAOKU_ENCODING_ENABLED=False)
