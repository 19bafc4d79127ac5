"""spiders/detail.py: body container choice and attachment links on replica detail pages."""

from __future__ import annotations

import dataclasses

import scrapy
from scrapy.http import HtmlResponse

from spiders.detail import Attachment, describe, find_attachments, host_allowed, page_title, select_body
from spiders.profiles import get_profile
from tests.replica.families import gk_path, jcms_art, jpaas_art, sh_path, st_path, trs_detail_path
from tests.replica.inmemory import BASE, OSS, follow, replica_profile, site_for
from tests.replica.sites import SiteSpec, agency_names


def _detail(spec: SiteSpec, path_of, pick):
    site = site_for(spec)
    item = next(it for it in site.reports if pick(it))
    return site, item, follow(site, scrapy.Request(BASE + path_of(item)))


def test_jcms_downfile_showname_and_oss_host():
    spec = SiteSpec("jcms", "hanweb_jcms", agencies=agency_names(3), years=(2014, 2024), seed=11)
    profile = replica_profile("replica-jcms")
    _, odd, resp = _detail(
        spec, lambda it: jcms_art(site_for(spec), it), lambda it: it.attachment and it.key % 2
    )
    (att,) = find_attachments(resp, profile)
    assert att.url.startswith(f"{BASE}/module/download/downfile.jsp?classid=0&filename={odd.hex}.")
    assert att.filename == f"{odd.title}.{odd.attachment}" and att.ext == odd.attachment
    _, even, resp = _detail(
        spec, lambda it: jcms_art(site_for(spec), it), lambda it: it.attachment and not it.key % 2
    )
    (att,) = find_attachments(resp, profile)
    assert att.url == f"{OSS}/jcms_files/jcms1/web3096/site/attach/0/{even.hex}.{even.attachment}"
    # without the OSS host on the allow-list the off-host copy is not taken
    strict = dataclasses.replace(
        profile, attachments=dataclasses.replace(profile.attachments, allowed_hosts=())
    )
    assert find_attachments(resp, strict) == []
    assert select_body(resp, profile).attrib["id"] == "zoom"
    assert page_title(resp) == even.title


def test_trs_relative_p0_file():
    spec = SiteSpec("trs", "trs", agencies=agency_names(2), years=(2016, 2024), seed=15)
    _, item, resp = _detail(spec, trs_detail_path, lambda it: it.attachment == "pdf")
    (att,) = find_attachments(resp, replica_profile("replica-trs"))
    directory = BASE + trs_detail_path(item).rsplit("/", 1)[0]
    assert att.url == f"{directory}/P0{item.published:%Y%m%d}{item.key}.pdf" and att.ext == "pdf"


def test_jpaas_gateway_file_name_param():
    spec = SiteSpec("jpaas", "hanweb_jpaas", years=(2016, 2024), seed=14)
    _, item, resp = _detail(spec, jpaas_art, lambda it: it.attachment == "docx")
    (att,) = find_attachments(resp, replica_profile("replica-jpaas"))
    assert "/api-gateway/jpaas-web-server/front/document/download?fileUrl=" in att.url
    assert att.filename == f"{item.title}.docx" and att.ext == "docx"


def test_gkmlpt_shanghai_static_attachments():
    for spec, path_of, pid in (
        (SiteSpec("gk", "gkmlpt", years=(2016, 2024), seed=17), gk_path, "replica-gkmlpt"),
        (SiteSpec("sh", "shanghai", years=(2016, 2024), seed=18), sh_path, "replica-shanghai"),
        (SiteSpec("st", "static", years=(2016, 2024), seed=19), st_path, "replica-static"),
    ):
        _, item, resp = _detail(spec, path_of, lambda it: it.attachment)
        atts = find_attachments(resp, replica_profile(pid))
        assert [a.ext for a in atts] == [item.attachment], pid


def test_page_without_body_falls_back_to_all_links_and_filters_hosts():
    html = """<html><body><a href="//www.x.gov.cn/files/report.pdf">2023年报</a>
      <a href="http://evil.example.com/a.pdf">mirror</a><a href="/news/1.html">新闻</a>
      <a href="/module/download/down.jsp?i_ID=12&colID=3">年度报告.doc</a>
      <a href="http://cdn.x.gov.cn/a.WPS">wps</a></body></html>"""
    url = "https://www.x.gov.cn/art/2024/1/1/art_1_1.html"
    resp = HtmlResponse(url, body=html.encode(), encoding="utf-8")
    profile = get_profile("nb-zh-gov")
    atts = find_attachments(resp, profile)
    assert atts == [
        Attachment("https://www.x.gov.cn/files/report.pdf", "report.pdf", "pdf"),
        Attachment("https://www.x.gov.cn/module/download/down.jsp?i_ID=12&colID=3", "年度报告.doc", "doc"),
        Attachment("http://cdn.x.gov.cn/a.WPS", "a.WPS", "wps"),
    ]


def test_host_allowed_rules():
    profile = get_profile("nb-zh-gov")
    assert host_allowed("https://www.zh.gov.cn/a.pdf", profile)
    assert host_allowed("https://rlsbt.zj.gov.cn/a.pdf", profile)
    assert host_allowed(
        "https://zjjcmspublic.oss-cn-hangzhou-zwynet-d01-a.internet.cloud.zj.gov.cn/x.pdf", profile
    )
    assert host_allowed("https://zjjcmspublic.oss-cn-hangzhou.aliyuncs.com/x.pdf", profile)
    assert not host_allowed("https://aloodi.com/art/2024/1/1/a.pdf", profile)  # spam mirror
    assert not host_allowed("https://gov.cn.evil.com/a.pdf", profile)


def test_describe_rejects_pages_and_non_files():
    profile = get_profile("nb-zh-gov")
    assert describe("https://www.zh.gov.cn/art/2024/1/1/art_1_2.html", "报告", profile) is None
    assert describe("javascript:void(0)", "", profile) is None
    got = describe("https://www.gd.gov.cn/attachment/1/1658/1658591/12541123.docx", "附件", profile)
    assert got == Attachment(
        "https://www.gd.gov.cn/attachment/1/1658/1658591/12541123.docx", "12541123.docx", "docx"
    )
