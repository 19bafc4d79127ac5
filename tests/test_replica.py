"""tests/replica: the replica portals themselves — quirks the spider and middlewares rely on."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
import scrapy

from tests.replica import content
from tests.replica.families import jcms_art, jpaas_art, trs_detail_path
from tests.replica.fixtures import replica  # noqa: F401  (pytest fixture)
from tests.replica.inmemory import BASE, follow, site_for
from tests.replica.sites import SiteSpec, agency_names, build_items


def _get(url: str, headers: dict | None = None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_sites_are_data_and_scale():
    spec = SiteSpec("big", "trs", agencies=agency_names(500), years=(2015, 2024), seed=3)
    started = time.perf_counter()
    items = build_items(spec)
    assert time.perf_counter() - started < 5
    assert sum(1 for it in items if it.is_report) == 5000
    assert len({it.key for it in items}) == len(items)
    assert build_items(spec)[0].title == items[0].title  # deterministic
    with pytest.raises(ValueError, match="allowed"):
        SiteSpec("x", "wordpress")


def test_content_uses_the_forge_and_revisions_differ():
    assert content.HAVE_FORGE
    a = content.report_body(agency_names(1)[0], 2022, 5)
    b = content.report_body(agency_names(1)[0], 2022, 5, revision=1)
    assert "<table" in a and a != b
    assert content.placeholder_body("某局", 2022, 5).count("<p>") >= 6
    pdf, ctype = content.attachment_bytes("pdf", "某局", 2022, 5, full=False)
    assert pdf.startswith(b"%PDF") and ctype == "application/pdf"
    docx, _ = content.attachment_bytes("docx", "某局", 2022, 5, full=False)
    assert docx.startswith(b"PK")


def test_robots_and_challenge_routes(replica):  # noqa: F811
    base = replica.base("trs")
    status, _, body = _get(base + "/robots.txt")
    assert status == 200 and b"User-agent: *" in body
    status, headers, body = _get(base + "/waf/412")
    assert status == 412 and b"$_ts" in body and "FSSBBIl1UgzbN7N80S" in headers.get("Set-Cookie", "")
    status, _, body = _get(base + "/waf/521")
    assert status == 521 and b"__jsl_clearance" in body
    status, headers, _ = _get(base + "/waf/429")
    assert status == 429 and headers["Retry-After"] == "3"
    status, _, body = _get(base + "/waf/abnormal")
    assert status == 200 and "访问异常" in body.decode()
    status, _, body = _get(base + "/waf/empty-proxy")
    assert status == 200 and len(body) == 54
    site = replica.site("trs")
    site.challenge = "521"
    try:
        assert _get(base + "/gongkai/zfxxgk/gknb/")[0] == 521
    finally:
        site.challenge = None
    assert _get(base + "/gongkai/zfxxgk/gknb/")[0] == 200


def test_conditional_requests_and_revision_in_place(replica):  # noqa: F811
    site = replica.site("trs")
    item = site.reports[0]
    url = site.base + trs_detail_path(item)
    status, headers, body = _get(url)
    assert status == 200 and headers["ETag"] and headers["Last-Modified"]
    assert _get(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert _get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    replica.revise("trs", item.key)
    status, headers2, body2 = _get(url, {"If-None-Match": headers["ETag"]})
    assert status == 200 and body2 != body and headers2["ETag"] != headers["ETag"]
    assert headers2["Last-Modified"] != headers["Last-Modified"]


def test_gbk_site_lies_in_its_header(replica):  # noqa: F811
    _, headers, body = _get(replica.base("trs-gbk") + "/gongkai/zfxxgk/gknb/")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "charset=gbk" in body.decode("gbk")


def test_jcms_proxy_requires_post_and_jpaas_tokens_expire():
    site = site_for(SiteSpec("jcms", "hanweb_jcms", years=(2015, 2024), seed=11))
    get = follow(
        site, scrapy.Request(BASE + "/module/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15")
    )
    assert get.status == 405
    jp = site_for(SiteSpec("jpaas", "hanweb_jpaas", years=(2015, 2024), seed=14))
    item = next(it for it in jp.reports if it.attachment)
    page = follow(jp, scrapy.Request(BASE + jpaas_art(item)))
    link = page.css("div.editorContent-download a::attr(href)").get()
    ok = follow(jp, scrapy.Request(page.urljoin(link)))
    assert ok.status == 302 and ok.headers[b"Location"].startswith(b"/cms_files/filemanager/3185/attach/")
    from tests.replica import families

    stale = families._token(item, time.time() - families.TOKEN_TTL_S - 5)
    expired = follow(
        jp,
        scrapy.Request(
            f"{BASE}/api-gateway/jpaas-web-server/front/document/download?fileUrl={stale}&fileName=x.pdf"
        ),
    )
    assert expired.status == 403
    assert follow(site, scrapy.Request(BASE + jcms_art(site, site.reports[0]))).status == 200
