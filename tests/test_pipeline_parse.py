"""crawler/pipelines/parse.py: pure parses of archived documents; errors recorded, never fatal."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.pipelines import ERRORS_KEY
from crawler.pipelines.parse import (
    ParseOutcome,
    ParsePipeline,
    better_parse,
    fill_score,
    page_meta_of,
    parse_document_bytes,
    parse_item,
)
from tests.replica.content import attachment_bytes, report_html

AGENCY = "宁波市镇海区人力资源和社会保障局"
RUISHU = (
    b'<html><head><meta content="x8Kd0" r="m"><script>$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};'
    b'$_ts.nsd=84731;$_ts.cd="qArpqnA";</script><script src="/aKx7s/c.js" r="m"></script></head></html>'
)


def _stats() -> MemoryStatsCollector:
    return MemoryStatsCollector(get_crawler())


def _item(body: bytes, kind: str = "detail", content_type: str = "text/html; charset=utf-8", **extra) -> dict:
    return {
        "kind": kind,
        "url": f"http://portal.gov.cn/{kind}.html",
        "status": 200,
        "content_type": content_type,
        "body": body,
        "title": f"{AGENCY}2022年政府信息公开工作年度报告",
        "published_date": "2023-01-20",
        "capture_id": 1,
        "sha256": "0" * 64,
        "archived": "new",
        **extra,
    }


def _run(pipe: ParsePipeline, item: dict) -> dict:
    return asyncio.run(pipe.process_item(item))


def test_a_report_page_is_parsed_into_cells():
    pipe = ParsePipeline(_stats(), threaded=False)
    out = _run(pipe, _item(report_html(AGENCY, 2022, 7)))
    parsed = out["parsed"]
    assert parsed["parser_version"] and len(parsed["cells"]) > 50
    assert parsed["report"]["stat_year"] == 2022 and AGENCY in parsed["report"]["agency"]
    assert "parse_error" not in out and pipe.stats.get_value("nianbaoku/parse/ok") == 1


def test_a_pdf_attachment_is_parsed_too():
    blob, ctype = attachment_bytes("pdf", AGENCY, 2022, 7)
    outcome = parse_item(_item(blob, kind="attachment", content_type=ctype))
    assert outcome.parsed is not None and fill_score(outcome.parsed)[0] > 50


def test_a_broken_file_is_recorded_and_the_item_goes_on():
    stats = _stats()
    pipe = ParsePipeline(stats, threaded=False)
    broken = _item(b"%PDF-1.7\n garbage, truncated", kind="attachment", content_type="application/pdf")
    out = _run(pipe, broken)
    assert out["parsed"] is None and out["parse_error"]["kind"] == "unreadable_input"
    assert stats.get_value("nianbaoku/parse/error/unreadable_input") == 1
    (entry,) = stats.get_value(ERRORS_KEY)
    assert entry["error"] == "parse:unreadable_input" and entry["url"].endswith("attachment.html")


def test_a_challenge_page_is_blocked_never_a_report():
    stats = _stats()
    out = _run(ParsePipeline(stats, threaded=False), _item(RUISHU))
    assert out["parsed"] is None and out["parse_error"]["kind"] == "challenge"
    assert stats.get_value(ERRORS_KEY)[0]["error"] == "blocked:challenge"


def test_a_parser_crash_is_an_outcome_not_an_exception():
    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    outcome = parse_document_bytes(b"<html></html>", url="u", content_type=None, parse_func=boom)
    assert outcome == ParseOutcome(error_kind="internal_error", reason="RuntimeError: bug")


@pytest.mark.parametrize("archived", ["not_modified", "same"])
def test_unchanged_documents_are_not_parsed_again(archived):
    calls = []
    stats = _stats()
    pipe = ParsePipeline(stats, threaded=False, parse_func=lambda *a, **k: calls.append(a))
    out = _run(pipe, _item(b"", archived=archived))
    assert calls == [] and out["parsed"] is None and "parse_error" not in out
    assert stats.get_value(f"nianbaoku/parse/skipped/{archived}") == 1


def test_list_items_and_unarchived_items_pass_through():
    pipe = ParsePipeline(_stats(), threaded=False)
    listed = {"kind": "list", "body": b"<ul></ul>", "capture_id": 3}
    assert _run(pipe, dict(listed)) == listed
    unarchived = _item(b"<html></html>")
    del unarchived["capture_id"]
    assert "parsed" not in _run(pipe, unarchived)


def test_better_filled_parse_wins_and_ties_keep_the_incumbent():
    stub = {"report": {"format_version": "unknown"}, "cells": {}}
    full = {"report": {"format_version": "gov2021"}, "cells": {"a": {"value": 1}, "b": {"value": None}}}
    same_cells_no_format = {"report": {"format_version": "unknown"}, "cells": {"a": {"value": 3}}}
    assert better_parse(full, stub) and not better_parse(stub, full)
    assert better_parse(full, same_cells_no_format)  # a detected format breaks the tie
    assert not better_parse(dict(full), full)  # equal: the incumbent (the detail page) stays
    assert better_parse(stub, None) and fill_score(None) < fill_score(stub)


def test_page_meta_carries_the_list_title_and_date():
    meta = page_meta_of({"title": "T", "published_date": "2023-01-02"})
    assert meta == {"title": "T", "发布日期": "2023-01-02"}
    assert page_meta_of({}) == {}


def test_settings():
    assert ParsePipeline.from_crawler(get_crawler()).threaded  # worker threads unless told otherwise
    with pytest.raises(NotConfigured):
        ParsePipeline.from_crawler(get_crawler(settings_dict={"NIANBAOKU_PARSE_ENABLED": False}))
    pipe = ParsePipeline.from_crawler(
        get_crawler(settings_dict={"NIANBAOKU_PARSE_MODE": "strict", "NIANBAOKU_PARSE_THREADS": False})
    )
    assert pipe.options.mode == "strict" and not pipe.threaded
    with pytest.raises(ValueError, match="lenient"):
        ParsePipeline.from_crawler(get_crawler(settings_dict={"NIANBAOKU_PARSE_MODE": "loose"}))
