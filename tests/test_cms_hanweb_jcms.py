"""spiders/cms/hanweb_jcms.py on replica column pages and dataproxy responses built in memory."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

from scrapy.http import HtmlResponse, Request, XmlResponse

from spiders.cms import FAMILIES
from spiders.cms.hanweb_jcms import jpage_init, parse_list, records
from tests.replica.inmemory import candidates_of, rejected_of, replica_profile, site_for, start, walk
from tests.replica.sites import SiteSpec, agency_names

COLUMN = "/col/col1229000001/index.html"
SPEC = SiteSpec("jcms", "hanweb_jcms", agencies=agency_names(6), years=(2014, 2024), seed=11)
JS_SPEC = SiteSpec("jcms-js", "hanweb_jcms_jiangsu", agencies=agency_names(4), years=(2015, 2024), seed=12)


def test_family_is_registered():
    assert FAMILIES["hanweb_jcms"] is parse_list


def test_column_page_inline_records_and_first_proxy_request():
    site, profile = site_for(SPEC), replica_profile("replica-jcms")
    response = start(site, COLUMN)
    page = parse_list(response, profile)
    inline = site.column()[:45]
    assert len(records(response.text)) == 45
    got = {c.url: c for c in page.candidates}
    for item in inline:
        if item.is_report:
            cand = got[
                f"http://www.replica.gov.cn/art/{item.published.year}/{item.published.month}/"
                f"{item.published.day}/art_1229000001_{item.key}.html"
            ]
            assert cand.title == item.title  # the title attribute, not the truncated anchor text
            assert cand.published_date == item.published  # not the index-number span
            assert cand.stat_year == item.year
    (nxt,) = page.next_requests
    assert nxt.method == "POST"
    q = parse_qs(urlsplit(nxt.url).query)
    assert urlsplit(nxt.url).path == "/module/jpage/dataproxy.jsp"
    assert (q["startrecord"], q["endrecord"], q["perpage"]) == (["46"], ["90"], ["15"])
    form = parse_qs(nxt.body.decode())
    assert form["columnid"] == ["1229000001"] and form["webid"] == ["3096"] and form["unitid"]
    assert nxt.headers[b"X-Requested-With"] == b"XMLHttpRequest"
    assert nxt.headers[b"Referer"].decode().endswith(COLUMN)
    assert page.total_pages == math.ceil(len(site.column()) / 15)


def test_whole_chain_finds_every_report_and_nothing_else():
    site, profile = site_for(SPEC), replica_profile("replica-jcms")
    pages = walk(site, profile, COLUMN)
    found = {c.title for c in candidates_of(pages)}
    assert found == {it.title for it in site.reports}
    assert {r.title for r in rejected_of(pages)} == {it.title for it in site.column() if not it.is_report}
    assert pages[-1][1].end_reason == "last_page"
    assert all(r.request.method == "POST" for r, _ in pages[1:])


def test_jiangsu_flavour_pages_with_get_and_split_dates():
    site, profile = site_for(JS_SPEC), replica_profile("replica-jcms-js")
    pages = walk(site, profile, COLUMN)
    first_next = pages[0][1].next_requests[0]
    q = parse_qs(urlsplit(first_next.url).query)
    assert urlsplit(first_next.url).path == "/module/web/jpage/dataproxy.jsp"
    assert q["page"] == ["4"] and q["perpage"] == ["10"] and q["columnid"] == ["1229000001"]
    cands = candidates_of(pages)
    assert {c.title for c in cands} == {it.title for it in site.reports}
    by_url = {c.url.rsplit("_", 1)[1]: c for c in cands}
    for item in site.reports:
        assert by_url[f"{item.key}.html"].published_date == item.published  # "2026-\n01-\n23"
    assert pages[-1][1].end_reason == "last_page"


def _proxy_response(body: bytes, seen: int = 45) -> XmlResponse:
    req = Request(
        "http://www.x.gov.cn/module/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15",
        meta={
            "nianbaoku_state": {
                "proxy": "http://www.x.gov.cn/module/jpage/dataproxy.jsp",
                "params": {"columnid": "1"},
                "per_page": 15,
                "group": 3,
                "total": None,
                "seen": seen,
            },
            "nianbaoku_page": 2,
            "nianbaoku_list_url": "http://www.x.gov.cn/col/col1/index.html",
        },
    )
    return XmlResponse(req.url, body=body, request=req, headers={"Content-Type": "text/xml"})


def test_empty_54_byte_proxy_body_ends_the_chain():
    page = parse_list(
        _proxy_response(b'<?xml version="1.0" encoding="UTF-8"?><datastore></data'),
        replica_profile("replica-jcms"),
    )
    assert page.candidates == [] and page.next_requests == [] and page.end_reason == "empty_page"


def test_full_group_without_total_asks_for_the_next_group():
    rec = "".join(
        f'<record><![CDATA[<li><a href="/art/2024/1/{i}/art_1_{i}.html" title="某局{2000 + i}年政府信息'
        f'公开工作年度报告">x</a><span>2024-01-{i:02d}</span></li>]]></record>'
        for i in range(1, 28)
    )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><datastore><recordset>{rec}</recordset></datastore>'.encode()
    )
    page = parse_list(_proxy_response(body), replica_profile("replica-jcms"))
    assert len(page.candidates) == 18  # 2008..2025: the replica profile's year window
    (nxt,) = page.next_requests
    assert parse_qs(urlsplit(nxt.url).query)["startrecord"] == ["73"]  # 45 inline + 27 here + 1


def test_legacy_initdata_array_and_old_proxy_path():
    row1 = (
        '<li><a href="/art/2014/1/20/art_77_1.html" title="某局2013年度政府信息公开工作年度报告">某局</a>'
        "<span>2014-01-20</span></li>"
    )
    row2 = '<li><a href="/art/2014/1/21/art_77_2.html">通知</a><span>2014-01-21</span></li>'
    html = f"""<html><body><div id="4567"></div><script>
      var InitData4567 = ['{row1}',
                          '{row2}'];
      $('#4567').jpage({{totalRecord:2, perPage:15, groupSize:3,
                        proxyUrl:'/module/jslib/jquery/jpage/dataproxy.jsp',
                        ajaxParam:{{col:1,webid:2,columnid:77,unitid:'4567'}}}});</script></body></html>"""
    resp = HtmlResponse("http://www.old.gov.cn/col/col77/index.html", body=html.encode(), encoding="utf-8")
    init = jpage_init(resp.text, resp.url)
    assert init["proxy"] == "http://www.old.gov.cn/module/jslib/jquery/jpage/dataproxy.jsp"
    assert init["params"]["columnid"] == "77"
    page = parse_list(resp, replica_profile("replica-jcms"))
    assert [c.stat_year for c in page.candidates] == [2013]
    assert page.next_requests == [] and page.end_reason == "last_page"  # totalRecord reached


def test_dead_proxy_falls_back_to_server_rendered_links():
    html = """<html><body><ul><li><a href="/art/2024/1/29/art_341595_41790.html"
      title="山东省2023年政府信息公开工作年度报告">山东省2023年…</a><span>2024-01-29</span></li></ul></body></html>"""
    resp = HtmlResponse(
        "http://gb.shandong.gov.cn/col/col341595/index.html", body=html.encode(), encoding="utf-8"
    )
    page = parse_list(resp, replica_profile("replica-jcms"))
    assert [c.url for c in page.candidates] == [
        "http://gb.shandong.gov.cn/art/2024/1/29/art_341595_41790.html"
    ]
    assert page.end_reason == "no_pager"
