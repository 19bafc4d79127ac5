"""spiders/cms/trs.py: createPageHTML paging, stub pages past the end, meta refresh, the real 平潭 list."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from spiders.cms.trs import pager, parse_list
from spiders.profiles import get_profile
from tests.replica.inmemory import candidates_of, follow, rejected_of, replica_profile, site_for, start, walk
from tests.replica.sites import SiteSpec, agency_names

LIST = "/gongkai/zfxxgk/gknb/"
SPEC = SiteSpec("trs", "trs", agencies=agency_names(5), years=(2014, 2024), seed=15)
PINGTAN = Path("/work/shared/corpus/lists/L02_pingtan_zfxxgknb_index.html")


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('createPageHTML(4, 0, "index", "html");', (4, 1)),
        ("createPageHTML(4,3,'index','shtml')", (4, 4)),
        ("createPageHTML('7', '2', \"index\", \"html\")", (7, 3)),
        (
            "createPageHTML(86, 5, 2, 'index', 'html', 20)",
            (5, 2),
        ),  # Beijing (totalRecords, totalPages, current)
        ("no pager here", None),
    ],
)
def test_pager_variants(script, expected):
    assert pager(script) == expected


def test_chain_visits_index_pages_in_order_and_finds_everything():
    site, profile = site_for(SPEC), replica_profile("replica-trs")
    pages = walk(site, profile, LIST)
    urls = [r.url for r, _ in pages]
    n = -(-len(site.column()) // 20)
    assert urls == ["http://www.replica.gov.cn/gongkai/zfxxgk/gknb/"] + [
        f"http://www.replica.gov.cn/gongkai/zfxxgk/gknb/index_{i}.html" for i in range(1, n)
    ]
    assert all(p.total_pages == n for _, p in pages)
    assert {c.title for c in candidates_of(pages)} == {it.title for it in site.reports}
    assert {r.title for r in rejected_of(pages)} == {it.title for it in site.column() if not it.is_report}
    assert pages[-1][1].end_reason == "last_page"
    first = candidates_of(pages)[0]
    assert first.url.startswith("http://www.replica.gov.cn/gongkai/zfxxgk/gknb/20")  # ./YYYYMM/ resolved


def test_stub_page_past_the_end_stops():
    site, profile = site_for(SPEC), replica_profile("replica-trs")
    stub = start(site, LIST + "index_40.html")
    assert len(stub.body) < 200
    page = parse_list(stub, profile)
    assert page.candidates == [] and page.next_requests == [] and page.end_reason == "stub"


def test_meta_refresh_page_stops():
    body = (
        b'<html><head><meta http-equiv="refresh" content="0;url=./"></head><body>'
        + b" " * 900
        + b"</body></html>"
    )
    url = "https://www.mohrss.gov.cn/xxgk2020/zfxxgknb/index_9.html"
    page = parse_list(HtmlResponse(url, body=body, request=Request(url)), get_profile("mohrss-nb"))
    assert page.end_reason == "meta_refresh" and page.next_requests == []


def test_without_a_pager_an_empty_page_stops():
    site, profile = site_for(SPEC), replica_profile("replica-trs")
    html = "<html><body>" + "<p>no rows</p>" * 80 + "</body></html>"
    url = "http://www.replica.gov.cn/gongkai/zfxxgk/gknb/index_3.html"
    page = parse_list(HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url)), profile)
    assert page.end_reason == "empty_page" and page.total_pages is None
    assert site  # the site is only used for the profile's host here


def test_gbk_page_is_read_after_decoding_fix():
    spec = SiteSpec("trs-gbk", "trs", agencies=agency_names(2), years=(2016, 2024), seed=16, encoding="gbk")
    site, profile = site_for(spec), replica_profile("replica-trs-gbk")
    resp = start(site, LIST)
    assert resp.headers[b"Content-Type"] == b"text/html; charset=utf-8"  # the lie
    fixed = resp.replace(encoding="gb18030")
    page = parse_list(fixed, profile)
    assert page.candidates and all("信息公开" in c.title for c in page.candidates)
    assert follow(site, page.next_requests[0]).status == 200


@pytest.mark.skipif(not PINGTAN.is_file(), reason="shared corpus not mounted")
def test_real_pingtan_trs_list():
    url = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
    resp = HtmlResponse(url, body=PINGTAN.read_bytes(), request=Request(url))
    page = parse_list(resp, get_profile("fj-pingtan-nb"))
    years = sorted(c.stat_year for c in page.candidates)
    assert years == list(range(2016, 2026))
    first = next(c for c in page.candidates if c.stat_year == 2025)
    assert first.url == "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202603/t20260313_105587.htm"
    assert first.published_date.isoformat() == "2026-03-10"
    assert page.total_pages == 2  # recordCount 20 / prepage 10
    assert [r.url for r in page.next_requests] == [
        "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/index_1.html"
    ]
