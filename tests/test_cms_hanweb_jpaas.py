"""spiders/cms/hanweb_jpaas.py: unitbuild.js discovery, paramJson paging, static small columns."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from scrapy.http import HtmlResponse, Request

from spiders.cms.hanweb_jpaas import parse_list, query_data
from tests.replica.inmemory import candidates_of, rejected_of, replica_profile, site_for, start, walk
from tests.replica.sites import SiteSpec, agency_names

COLUMN = "/col/col1229700001/index.html"
SPEC = SiteSpec("jpaas", "hanweb_jpaas", agencies=agency_names(3), years=(2014, 2024), seed=14)


def test_query_data_single_quoted_pseudo_json():
    assert query_data("{'webId':'3185','pageId':'1229','tagId':'信息列表'}") == {
        "webId": "3185",
        "pageId": "1229",
        "tagId": "信息列表",
    }
    assert query_data("{'webId':'3185', broken") == {"webId": "3185"}


def test_column_page_requests_page_one_inside_paramjson():
    site, profile = site_for(SPEC), replica_profile("replica-jpaas")
    page = parse_list(start(site, COLUMN), profile)
    (req,) = page.next_requests
    q = parse_qs(urlsplit(req.url).query)
    assert urlsplit(req.url).path == "/api-gateway/jpaas-publish-server/front/page/build/unit"
    assert q["parseType"] == ["bulidstatic"] and q["pageId"] == ["1229700001"] and q["webId"] == ["3185"]
    assert json.loads(q["paramJson"][0]) == {"pageNo": 1, "pageSize": 15}
    assert "pageNo" not in q  # bare pageNo is ignored by the server
    assert page.total_pages == -(-len(site.column()) // 15)


def test_api_chain_finds_all_and_stops_at_the_last_page():
    site, profile = site_for(SPEC), replica_profile("replica-jpaas")
    pages = walk(site, profile, COLUMN)
    api_pages = [json.loads(parse_qs(urlsplit(r.url).query)["paramJson"][0])["pageNo"] for r, _ in pages[1:]]
    assert api_pages == list(range(1, len(api_pages) + 1)) and len(api_pages) == pages[0][1].total_pages
    assert {c.title for c in candidates_of(pages)} == {it.title for it in site.reports}
    assert {r.title for r in rejected_of(pages)} == {it.title for it in site.column() if not it.is_report}
    assert pages[-1][1].end_reason == "last_page"


def test_empty_api_page_ends_the_chain():
    req = Request(
        "http://www.wuxing.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit?x=1",
        meta={
            "nianbaoku_state": {"api": "http://www.wuxing.gov.cn/u", "query": {}, "rows": 15, "count": None},
            "nianbaoku_page": 7,
        },
    )
    resp = HtmlResponse(req.url, body=b'{"success":true,"data":{"html":""}}', encoding="utf-8", request=req)
    page = parse_list(resp, replica_profile("replica-jpaas"))
    assert page.next_requests == [] and page.end_reason == "empty_page"


def test_small_static_column_needs_no_api_call():
    html = """<html><body><ul><li><a href="/wxbmxxgk/qrlsbj/zfxxgknb/art/2024/art_603329826.html"
      title="湖州市吴兴区人力资源和社会保障局2023年政府信息公开工作年度报告">…</a><span>2024-01-23</span></li></ul>
      <script src="/AuthorizedRead/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
       queryData="{'webId':'3185','pageId':'603','tagId':'信息列表','tplSetId':'abc'}"></script>
      <div count="1" rows="15" pageNo="1"></div></body></html>"""
    url = "http://www.wuxing.gov.cn/wxbmxxgk/qrlsbj/zfxxgknb/"
    resp = HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url))
    profile = replica_profile("replica-jpaas")
    import dataclasses

    profile = dataclasses.replace(
        profile, list=dataclasses.replace(profile.list, link_regex=r"/art/\d{4}/art_\d+")
    )
    page = parse_list(resp, profile)
    assert [c.stat_year for c in page.candidates] == [2023]
    assert page.next_requests == [] and page.end_reason == "last_page"
