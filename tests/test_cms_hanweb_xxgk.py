"""spiders/cms/hanweb_xxgk.py: tree.jsp → search.jsp POST chain, column filter, module discovery."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from scrapy.http import HtmlResponse, Request

from spiders.cms.hanweb_xxgk import parse_list, tree_nodes
from spiders.profiles import profile_from_dict
from tests.replica.inmemory import candidates_of, rejected_of, replica_profile, site_for, start, walk
from tests.replica.sites import SiteSpec

TREE = "/module/xxgk/tree.jsp?divid=div1&area=11330211MB1234567X&standardXxgk=1"
SPEC = SiteSpec("xxgk", "hanweb_xxgk", years=(2008, 2024), seed=13)


def test_tree_nodes_from_anchors_and_dtree_calls():
    site = site_for(SPEC)
    nodes = dict(tree_nodes(start(site, TREE).text))
    assert nodes["C0201"] == "政府信息公开年报"
    assert nodes["A0104"] == "工作动态"
    assert nodes["A0301"] == "政府信息公开指南"  # from d.add(...)


def test_tree_picks_the_annual_report_category_only():
    site, profile = site_for(SPEC), replica_profile("replica-xxgk")
    page = parse_list(start(site, TREE), profile)
    (req,) = page.next_requests
    assert req.method == "POST" and urlsplit(req.url).path == "/module/xxgk/search.jsp"
    form = parse_qs(req.body.decode(), keep_blank_values=True)
    assert form["infotypeId"] == ["C0201"]
    assert form["area"] == ["11330211MB1234567X"] and form["jdid"] == ["3096"] and form["currpage"] == ["1"]
    assert form["standardXxgk"] == ["1"]


def test_search_chain_walks_every_page():
    site, profile = site_for(SPEC), replica_profile("replica-xxgk")
    pages = walk(site, profile, TREE)
    searches = pages[1:]
    assert [parse_qs(r.request.body.decode())["currpage"] for r, _ in searches] == [["1"], ["2"]]
    assert searches[0][1].total_pages == 2
    assert {c.title for c in candidates_of(pages)} == {it.title for it in site.reports}
    assert {r.title for r in rejected_of(pages)} == {it.title for it in site.column() if not it.is_report}
    assert searches[-1][1].end_reason == "last_page"


def test_column_param_keeps_only_that_column():
    import dataclasses
    from types import MappingProxyType

    site, profile = site_for(SPEC), replica_profile("replica-xxgk")
    profile = dataclasses.replace(
        profile,
        list=dataclasses.replace(
            profile.list, params=MappingProxyType({**profile.list.params, "column": "999"})
        ),
    )
    pages = walk(site, profile, TREE)
    assert candidates_of(pages) == []
    assert {r.reason for r in rejected_of(pages)} >= {"other_column"}


def test_column_page_embedding_the_module_leads_to_the_tree():
    html = """<html><body><div id="div1"></div><script>
      loadDynamic('/module/xxgk/tree.jsp?divid=div1&amp;area=002482429&amp;standardXxgk=1','div1',0);
      </script></body></html>"""
    resp = HtmlResponse(
        "http://rlsbt.zj.gov.cn/col/col1402632/index.html",
        body=html.encode(),
        encoding="utf-8",
        request=Request("http://rlsbt.zj.gov.cn/col/col1402632/index.html"),
    )
    page = parse_list(resp, replica_profile("replica-xxgk"))
    (req,) = page.next_requests
    assert req.url == "http://rlsbt.zj.gov.cn/module/xxgk/tree.jsp?divid=div1&area=002482429&standardXxgk=1"


def test_old_generation_table_rows():
    html = """<table><tr class="tr_main_value_odd"><td>1</td>
      <td><a href="/art/2015/3/27/art_10758_1184502.html"
      title="浙江省2014年度政府信息公开工作报告">浙江省2014年度…</a></td><td>2015-03-27</td></tr>
      <tr class="tr_main_value_even"><td>2</td><td><a href="/art/2015/3/1/art_10758_1.html">工作要点</a></td>
      <td>2015-03-01</td></tr></table><div>共1页</div>"""
    req = Request(
        "http://zfxxgk.zj.gov.cn/module/xxgk/search.jsp",
        method="POST",
        meta={"nianbaoku_state": {"infotypeId": "A0212", "search_url": "x"}, "nianbaoku_page": 1},
    )
    resp = HtmlResponse(req.url, body=html.encode(), encoding="utf-8", request=req)
    profile = profile_from_dict(
        {
            "id": "zj-old",
            "agency": "浙江省人民政府",
            "host": "zfxxgk.zj.gov.cn",
            "cms": "hanweb_xxgk",
            "start_urls": ["http://zfxxgk.zj.gov.cn/"],
            "status": "unverified",
        }
    )  # default item: every row generation
    page = parse_list(resp, profile)
    assert [(c.stat_year, c.published_date.isoformat()) for c in page.candidates] == [(2014, "2015-03-27")]
    assert page.end_reason == "last_page"
