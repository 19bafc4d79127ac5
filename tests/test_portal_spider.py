"""spiders/portal.py: the generic spider, in memory (callbacks) and end to end against replica portals.

The end-to-end tests run ``python -m tests.replica.crawl`` (Scrapy's ``CrawlerProcess``) in a subprocess
per family against the replica server of `tests.replica.fixtures` and read the JSONL it writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import scrapy
from scrapy.utils.test import get_crawler

from spiders.cms.base import ReportCandidate
from spiders.portal import META_CANDIDATE, META_YEAR, PortalSpider
from spiders.profiles import ProfileError
from tests.replica.families import gk_path, jcms_art, jpaas_art, sh_path, st_path, trs_detail_path
from tests.replica.fixtures import replica  # noqa: F401  (pytest fixture)
from tests.replica.inmemory import BASE, OSS, follow, replica_profile, site_for, start
from tests.replica.sites import SiteSpec, agency_names

ROOT = Path(__file__).resolve().parents[1]


def _spider(profile, **settings) -> PortalSpider:
    crawler = get_crawler(PortalSpider, {"NIANBAOKU_PROFILE_DELAY": False, **settings})
    return PortalSpider.from_crawler(crawler, profile=profile)


# --- in memory ------------------------------------------------------------------------------------


def test_spider_needs_a_profile_and_bound_urls():
    with pytest.raises(ProfileError, match="profile"):
        PortalSpider()
    with pytest.raises(ProfileError, match=r"\{base\}"):
        PortalSpider(profile="replica-trs", profiles_dir=str(ROOT / "tests/replica/profiles"))
    spider = PortalSpider(
        profile="replica-trs", profiles_dir=str(ROOT / "tests/replica/profiles"), base="http://127.0.0.1:1"
    )
    assert spider.profile.start_urls == ("http://127.0.0.1:1/gongkai/zfxxgk/gknb/",)


def test_profile_delay_becomes_download_delay():
    crawler = get_crawler(PortalSpider, {})
    spider = PortalSpider.from_crawler(crawler, profile="nb-zh-gov")
    assert spider.download_delay == 2.0


async def _collect(agen):
    return [x async for x in agen]


def test_start_requests_and_report_url_years():
    import asyncio

    spider = _spider(replica_profile("replica-xxgk-annual"))
    requests = asyncio.run(_collect(spider.start()))
    assert len(requests) == 2025 - 2006 + 1
    assert requests[0].url.endswith("fbtime=2025") and requests[0].meta[META_YEAR] == 2025
    assert all(r.callback == spider.parse_report_page for r in requests)


def test_list_callback_follows_candidates_and_next_pages():
    spec = SiteSpec("trs", "trs", agencies=agency_names(3), years=(2014, 2024), seed=15)
    site, spider = site_for(spec), _spider(replica_profile("replica-trs"))
    out = list(spider.parse(start(site, "/gongkai/zfxxgk/gknb/")))
    details = [r for r in out if r.callback == spider.parse_detail]
    lists = [r for r in out if r.callback == spider.parse]
    assert details and all(isinstance(r.meta[META_CANDIDATE], ReportCandidate) for r in details)
    assert all(r.headers[b"Referer"] == b"http://www.replica.gov.cn/gongkai/zfxxgk/gknb/" for r in details)
    assert [r.url for r in lists] == ["http://www.replica.gov.cn/gongkai/zfxxgk/gknb/index_1.html"]
    assert spider.crawler.stats.get_value("nianbaoku/rejected/title_exclude") > 0
    # the same page again: nothing new to follow
    again = [
        r for r in spider.parse(start(site, "/gongkai/zfxxgk/gknb/")) if r.callback == spider.parse_detail
    ]
    assert again == []


def test_detail_callback_yields_item_with_bytes_then_attachments():
    spec = SiteSpec("trs", "trs", agencies=agency_names(2), years=(2016, 2024), seed=15)
    site, spider = site_for(spec), _spider(replica_profile("replica-trs"))
    item = next(it for it in site.reports if it.attachment)
    cand = ReportCandidate(
        BASE + trs_detail_path(item), item.title, item.published, BASE + "/gongkai/", item.year
    )
    resp = follow(site, scrapy.Request(cand.url, meta={META_CANDIDATE: cand}))
    out = list(spider.parse_detail(resp))
    captured, att_req = out
    assert captured["kind"] == "detail" and captured["profile"] == "replica-trs"
    assert captured["body"] == resp.body and captured["status"] == 200
    assert (
        captured["content_type"].startswith("text/html") and "Etag" in captured["headers"]
    )  # Scrapy normalises case
    assert captured["stat_year"] == item.year and captured["attachments"][0]["ext"] == item.attachment
    assert att_req.callback == spider.parse_attachment and att_req.priority > 0
    (file_item,) = spider.parse_attachment(follow(site, att_req))
    assert file_item["kind"] == "attachment" and file_item["detail_url"] == cand.url
    assert file_item["body"][:4] in (b"%PDF", b"PK\x03\x04")


def test_gbk_lying_header_is_decoded():
    spec = SiteSpec("trs-gbk", "trs", agencies=agency_names(2), years=(2016, 2024), seed=16, encoding="gbk")
    site, spider = site_for(spec), _spider(replica_profile("replica-trs-gbk"))
    resp = start(site, "/gongkai/zfxxgk/gknb/")
    assert "\ufffd" in resp.text
    fixed = spider.decoded(resp)
    assert "\ufffd" not in fixed.text and "信息公开" in fixed.text


def test_report_page_for_a_missing_year_is_not_a_report():
    site = site_for(SiteSpec("xxgk", "hanweb_xxgk", years=(2015, 2020), seed=13))
    spider = _spider(replica_profile("replica-xxgk-annual"))
    url = f"{BASE}/module/xxgk/xxgkAnnualReport.jsp?area=1&fbtime="
    missing = follow(site, scrapy.Request(url + "2010", meta={META_YEAR: 2010}))
    assert list(spider.parse_report_page(missing)) == []
    present = follow(site, scrapy.Request(url + "2018", meta={META_YEAR: 2018}))
    (item, *_) = list(spider.parse_report_page(present))
    assert item["kind"] == "detail" and item["stat_year"] == 2018


# --- end to end against the replica server ----------------------------------------------------------

#: The politeness gate (one request in flight per host, each verdict awaited) is right for portals and
#: covered by its own tests; here it would only serialise a few hundred local requests.
FAST = ("--set", "NIANBAOKU_POLITENESS_ENABLED=False")


def _crawl(
    replica,  # noqa: F811
    site_name: str,
    profile_id: str,
    tmp_path: Path,
    extra: tuple[str, ...] = FAST,
) -> tuple[list[dict], dict]:
    out = tmp_path / f"{profile_id}.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.replica.crawl",
            "--profile",
            profile_id,
            "--base",
            replica.base(site_name),
            "--oss",
            replica.oss.base,
            "--out",
            str(out),
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[-1]["kind"] == "stats"
    return rows[:-1], rows[-1]


PATHS = {
    "jcms": jcms_art,
    "jcms-js": jcms_art,
    "xxgk": jcms_art,
    "jpaas": lambda site, it: jpaas_art(it),
    "trs": lambda site, it: trs_detail_path(it),
    "trs-gbk": lambda site, it: trs_detail_path(it),
    "gkmlpt": lambda site, it: gk_path(it),
    "shanghai": lambda site, it: sh_path(it),
    "static": lambda site, it: st_path(it),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PATHS))
def test_crawl_finds_every_report_and_its_attachments(replica, name, tmp_path):  # noqa: F811
    site = replica.site(name)
    rows, stats = _crawl(replica, name, f"replica-{name}", tmp_path)
    details = [r for r in rows if r["kind"] == "detail"]
    files = [r for r in rows if r["kind"] == "attachment"]
    expected = {site.base + PATHS[name](site, it) for it in site.reports}
    assert {d["url"] for d in details} == expected  # all reports, nothing from other columns/companions
    assert len(details) == len(expected)  # each once
    assert all(d["status"] == 200 and d["body_len"] > 500 and d["content_type"] for d in details)
    by_url = {d["url"]: d for d in details}
    for it in site.reports:
        assert by_url[site.base + PATHS[name](site, it)]["stat_year"] == it.year
    off_host = name == "jcms-js"  # its profile does not allow the OSS host
    want_files = {
        site.base + PATHS[name](site, it)
        for it in site.reports
        if it.attachment and not (off_host and it.key % 2 == 0)
    }
    assert {f["detail_url"] for f in files} == want_files
    assert all(f["body_len"] > 0 and f["ext"] in ("pdf", "docx") for f in files)
    assert stats["robotstxt/request_count"] >= 1
    assert stats.get("nianbaoku/rejected/title_exclude", 0) >= 6
    other = [it for it in site.items if it.column == "other" or not it.is_report]
    requested = {path for _, path in site.requests}
    assert not any(PATHS[name](site, it) in requested for it in other)


@pytest.mark.slow
def test_crawl_report_urls_endpoint(replica, tmp_path):  # noqa: F811
    site = replica.site("xxgk")
    rows, stats = _crawl(replica, "xxgk", "replica-xxgk-annual", tmp_path)
    details = [r for r in rows if r["kind"] == "detail"]
    assert sorted(d["stat_year"] for d in details) == sorted(it.year for it in site.reports)
    assert stats["nianbaoku/report_page_rejected/year_mismatch"] == 20 - len(site.reports)
    assert len([r for r in rows if r["kind"] == "attachment"]) == sum(
        1 for it in site.reports if it.attachment
    )


@pytest.mark.slow
def test_crawl_of_a_challenged_site_yields_nothing_and_ends(replica, tmp_path):  # noqa: F811
    site = replica.site("static")
    site.challenge = "412"
    try:
        rows, stats = _crawl(replica, "static", "replica-static", tmp_path, extra=())  # full middleware stack
    finally:
        site.challenge = None
    assert rows == []
    assert stats.get("downloader/response_status_count/412", 0) >= 1
    assert OSS  # the in-memory names stay importable alongside the live fixture
