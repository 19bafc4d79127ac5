"""spiders/cms/gkmlpt.py: _CONFIG TREE → category, api/all paging (page 0 == page 1), end of list."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Request, TextResponse

from spiders.cms.gkmlpt import config_tree, parse_list
from tests.replica.inmemory import (
    BASE,
    candidates_of,
    follow,
    rejected_of,
    replica_profile,
    site_for,
    start,
    walk,
)
from tests.replica.sites import SiteSpec, agency_names

SPEC = SiteSpec("gkmlpt", "gkmlpt", agencies=agency_names(12), years=(2015, 2024), seed=17)


def test_config_tree_is_read():
    site = site_for(SPEC)
    sid, nodes = config_tree(start(site, "/gkmlpt/index").text)
    assert sid == "2"
    assert {n["name"]: n["id"] for n in nodes}["政府信息公开年报"] == "5"
    assert any(n["name"] == "规划计划" and n["depth"] == 1 for n in nodes)


def test_index_requests_only_the_annual_report_category():
    site, profile = site_for(SPEC), replica_profile("replica-gkmlpt")
    page = parse_list(start(site, "/gkmlpt/index"), profile)
    assert [r.url for r in page.next_requests] == [f"{BASE}/gkmlpt/api/all/5?page=1&sid=2"]


def test_api_chain_pages_by_100_and_stops():
    site, profile = site_for(SPEC), replica_profile("replica-gkmlpt")
    pages = walk(site, profile, "/gkmlpt/index")
    api_pages = [parse_qs(urlsplit(r.url).query)["page"][0] for r, _ in pages[1:]]
    assert api_pages == ["1", "2"]
    assert pages[1][1].total_pages == 2
    assert len(candidates_of(pages)) == len(site.reports) == 120
    assert {c.title for c in candidates_of(pages)} == {it.title for it in site.reports}
    assert {r.title for r in rejected_of(pages)} == {it.title for it in site.column() if not it.is_report}
    assert pages[-1][1].end_reason == "last_page"
    c = candidates_of(pages)[0]
    item = next(it for it in site.items if it.title == c.title)
    assert c.published_date == item.published  # epoch seconds read in China time


def test_page_zero_is_page_one():
    site, profile = site_for(SPEC), replica_profile("replica-gkmlpt")
    url = f"{BASE}/gkmlpt/api/all/5?page=0&sid=2"
    zero = follow(site, Request(url))
    one = follow(site, Request(url.replace("page=0", "page=1")))
    assert json.loads(zero.text)["articles"] == json.loads(one.text)["articles"]
    page = parse_list(zero, profile)
    assert [parse_qs(urlsplit(r.url).query)["page"] for r in page.next_requests] == [["2"]]


def test_empty_articles_end_the_chain():
    url = "http://www.gd.gov.cn/gkmlpt/api/all/5?page=9&sid=2"
    resp = TextResponse(url, body=b'{"articles": [], "total": 0}', encoding="utf-8", request=Request(url))
    page = parse_list(resp, replica_profile("replica-gkmlpt"))
    assert page.next_requests == [] and page.end_reason == "empty_page"


def test_prefixed_instance_keeps_its_prefix():
    html = (
        '<script>window._CONFIG = { SID:\'1234\', TREE: [{"id": 42, "name": "政府信息公开年报", '
        '"children": []}] };</script>'
    )
    url = "http://www.yangjiang.gov.cn/yjzjj/gkmlpt/index"
    resp = TextResponse(url, body=html.encode(), encoding="utf-8", request=Request(url))
    page = parse_list(resp, replica_profile("replica-gkmlpt"))
    assert [r.url for r in page.next_requests] == [
        "http://www.yangjiang.gov.cn/yjzjj/gkmlpt/api/all/42?page=1&sid=1234"
    ]
