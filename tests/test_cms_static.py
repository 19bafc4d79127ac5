"""spiders/cms/static.py: plain lists, 共N页, protocol-relative links, index_N numbering both ways."""

from __future__ import annotations

import dataclasses

import pytest
from scrapy.http import HtmlResponse, Request

from spiders.cms import FAMILIES
from spiders.cms.static import index_url, page_count, page_of_url, parse_list
from tests.replica.inmemory import candidates_of, rejected_of, replica_profile, site_for, start, walk
from tests.replica.sites import SiteSpec, agency_names

SPEC = SiteSpec("static", "static", agencies=agency_names(3), years=(2016, 2024), seed=19)


def test_nfcms_uses_the_static_adapter():
    assert FAMILIES["nfcms"] is FAMILIES["static"] is parse_list


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("共12页", 12),
        ("var countPage = 7;", 7),
        ("totalPage: 3", 3),
        ("recordCount: '45', prepage: 10", 5),
        ("nothing", None),
    ],
)
def test_page_count(text, expected):
    assert page_count(text) == expected


def test_index_urls_both_numberings():
    zero = replica_profile("replica-trs")
    one = replica_profile("replica-static")
    assert index_url("http://x.gov.cn/a/", 2, zero) == "http://x.gov.cn/a/index_1.html"
    assert index_url("http://x.gov.cn/a/index_1.html", 3, zero) == "http://x.gov.cn/a/index_2.html"
    assert index_url("http://x.gov.cn/a/index.shtml", 2, one) == "http://x.gov.cn/a/index_2.shtml"
    assert page_of_url("http://x.gov.cn/a/index_2.html", zero) == 3
    assert page_of_url("http://x.gov.cn/a/index_2.html", one) == 2


def test_chain_with_protocol_relative_links():
    site, profile = site_for(SPEC), replica_profile("replica-static")
    pages = walk(site, profile, "/zwgk/ndbg/index.html")
    assert [r.url.rsplit("/", 1)[1] for r, _ in pages] == ["index.html", "index_2.html", "index_3.html"]
    cands = candidates_of(pages)
    assert all(c.url.startswith("http://www.replica.gov.cn/zwgk/ndbg/content/post_") for c in cands)
    assert {c.title for c in cands} == {it.title for it in site.reports}
    assert {r.title for r in rejected_of(pages)} == {it.title for it in site.column() if not it.is_report}
    assert pages[-1][1].end_reason == "last_page"


def test_max_pages_caps_the_chain():
    site, profile = site_for(SPEC), replica_profile("replica-static")
    capped = dataclasses.replace(profile, pagination=dataclasses.replace(profile.pagination, max_pages=2))
    pages = walk(site, capped, "/zwgk/ndbg/index.html")
    assert len(pages) == 2 and pages[-1][1].end_reason == "max_pages"


def test_no_pagination_kind_means_one_page():
    profile = replica_profile("replica-static")
    profile = dataclasses.replace(profile, pagination=dataclasses.replace(profile.pagination, kind="none"))
    html = (
        "<div class='list'><ul><li><a href='/content/post_1.html'>某局2023年政府信息公开工作年度报告</a>"
        "</li></ul></div>共5页"
    )
    url = "http://www.sz.gov.cn/cn/xxgk/ndxxgkbg/index.html"
    page = parse_list(
        HtmlResponse(url, body=(html + " " * 700).encode(), encoding="utf-8", request=Request(url)), profile
    )
    assert len(page.candidates) == 1 and page.next_requests == [] and page.end_reason == "no_pagination"
    assert start  # imported for symmetry with the other family tests
