"""The downloader middlewares in a real crawl against the replica portals (127.0.0.1 only).

A small probe spider (below) requests a list of URLs with the project's settings — every middleware on,
``DOWNLOAD_DELAY = 0`` — in a subprocess (a Twisted reactor cannot restart inside pytest), and writes what
reached its callback and errback as JSON lines. The replica server runs in the test process and logs
when each path was hit, so the tests can count tries and measure the gaps between them.

    python -m tests.test_middlewares_replica --out items.jsonl --settings '{...}' URL [URL ...]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Response, TextResponse

from crawler.middlewares.conditional import MemoryValidatorSource, Validators
from tests.replica.crawl import settings_for
from tests.replica.families import default_specs, trs_detail_path
from tests.replica.server import ReplicaServer, Site

ROOT = Path(__file__).resolve().parent.parent
CHALLENGES = {"412": "ts412", "521": "jsl521", "429": "rate429", "abnormal": "waf_block",
              "edgeone": "js_cookie"}


# --- the probe crawl (runs in the subprocess) -------------------------------------------------------

class ProbeSpider(scrapy.Spider):
    """Requests the given URLs as ``detail`` pages; reports each response or failure as an item."""

    name = "middleware-probe"

    def __init__(self, urls: list[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True,
                                 meta={"nianbaoku_role": "detail"})

    def parse(self, response: Response) -> Iterator[dict[str, Any]]:
        text = isinstance(response, TextResponse)
        yield {"kind": "response", "url": response.url, "status": response.status,
               "encoding": response.encoding if text else None,
               "title": response.css("title::text").get() if text else None,
               "not_modified": response.meta.get("nianbaoku_not_modified", False),
               "previous_sha256": response.meta.get("nianbaoku_previous_sha256"), "body": response.body}

    def failed(self, failure) -> Iterator[dict[str, Any]]:
        exc = failure.value
        yield {"kind": "failure", "url": failure.request.url, "error": type(exc).__name__,
               "challenge": getattr(exc, "kind", None), "body": b""}


def file_validators(crawler: Crawler) -> MemoryValidatorSource:
    """NIANBAOKU_CONDITIONAL_SOURCE for the probe: validators from the JSON file ``PROBE_VALIDATORS``."""
    path = crawler.settings.get("PROBE_VALIDATORS")
    items = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
    return MemoryValidatorSource({url: Validators(**v) for url, v in items.items()})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--settings", default="{}")
    ap.add_argument("urls", nargs="+")
    args = ap.parse_args(argv)
    extra = {"NIANBAOKU_CONDITIONAL_ENABLED": True,
             "NIANBAOKU_CONDITIONAL_SOURCE": "tests.test_middlewares_replica.file_validators",
             "CONCURRENT_REQUESTS_PER_DOMAIN": 1,  # the project's value (the replica harness raises it)
             "REMOTE_CONTROL_ENABLED": False,
             "NIANBAOKU_BACKOFF_BASE": 0,  # back-off pauses are unit-tested; Retry-After still applies
             **json.loads(args.settings)}
    process = CrawlerProcess(settings_for(args.out, **extra))
    crawler = process.create_crawler(ProbeSpider)
    process.crawl(crawler, urls=args.urls)
    process.start()
    with open(args.out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"kind": "stats", **crawler.stats.get_stats()}, default=str) + "\n")
    return 0


# --- test plumbing ---------------------------------------------------------------------------------

def crawl(tmp_path: Path, urls: list[str], **settings: Any) -> tuple[list[dict], dict]:
    out = tmp_path / "items.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.test_middlewares_replica", "--out", str(out),
         "--settings", json.dumps(settings), *urls],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    stats = next(r for r in rows if r["kind"] == "stats")
    return [r for r in rows if r["kind"] != "stats"], stats


def record_hits(site: Site) -> list[tuple[float, str]]:
    """Log (monotonic time, path) of every request the site answers."""
    hits: list[tuple[float, str]] = []
    dispatch = site.dispatch

    def timed(req):
        hits.append((time.monotonic(), req.path))
        return dispatch(req)

    site.dispatch = timed  # type: ignore[method-assign]
    return hits


def head(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=10) as resp:  # 127.0.0.1 replica only
        return {"etag": resp.headers["ETag"], "last_modified": resp.headers["Last-Modified"],
                "sha256": hashlib.sha256(resp.read()).hexdigest()}


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer([s for s in default_specs() if s.name == "trs-gbk"]) as server:
        yield server


# --- challenges, GBK and 304 in one crawl ----------------------------------------------------------

@pytest.fixture(scope="module")
def probe(replica: ReplicaServer, tmp_path_factory: pytest.TempPathFactory):
    site = replica.site("trs-gbk")
    base = site.base
    fresh, revised, plain = site.reports[0], site.reports[1], site.reports[2]
    urls = {name: f"{base}/waf/{name}" for name in CHALLENGES}
    urls |= {"list": f"{base}/gongkai/zfxxgk/gknb/", "fresh": base + trs_detail_path(fresh),
             "revised": base + trs_detail_path(revised), "plain": base + trs_detail_path(plain)}
    tmp = tmp_path_factory.mktemp("probe")
    validators = {urls["fresh"]: head(urls["fresh"]), urls["revised"]: head(urls["revised"])}
    replica.revise("trs-gbk", revised.key)  # its stored validators are now stale
    (tmp / "validators.json").write_text(json.dumps(validators), encoding="utf-8")
    hits = record_hits(site)
    items, stats = crawl(tmp, list(urls.values()), PROBE_VALIDATORS=str(tmp / "validators.json"),
                         NIANBAOKU_BREAKER_THRESHOLD=0)  # the breaker has its own test below
    return {"urls": urls, "items": {i["url"]: i for i in items}, "stats": stats, "hits": hits,
            "validators": validators, "titles": {"plain": plain.title, "revised": revised.title}}


@pytest.mark.slow
def test_challenges_are_classified_recorded_and_never_reach_the_spider(probe):
    items, urls, stats = probe["items"], probe["urls"], probe["stats"]
    for name, kind in CHALLENGES.items():
        item = items[urls[name]]
        assert (item["kind"], item["error"], item["challenge"]) == ("failure", "BlockedByChallenge", kind)
        assert stats[f"nianbaoku/blocked/{kind}"] == 1
    ledger = {tuple(pair) for pair in stats["nianbaoku/blocked_pages"]}
    assert ledger == {(urls[name], kind) for name, kind in CHALLENGES.items()}


@pytest.mark.slow
def test_challenges_are_not_retried_and_429_only_within_the_bound(probe):
    hits = probe["hits"]
    for name in ("412", "521", "abnormal", "edgeone"):
        assert [p for _, p in hits].count(f"/waf/{name}") == 1
    times = [t for t, p in hits if p == "/waf/429"]
    assert len(times) == 3                                  # RETRY_TIMES = 2: three tries in all
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 2.9 for gap in gaps), gaps             # Retry-After: 3 honoured
    assert probe["stats"]["nianbaoku/politeness/paused/retry_after"] >= 2


@pytest.mark.slow
def test_gbk_pages_behind_a_lying_header_are_decoded(probe):
    items, urls = probe["items"], probe["urls"]
    listing = items[urls["list"]]
    assert listing["encoding"] == "gb18030" and listing["title"] == "政府信息公开年报"
    plain = items[urls["plain"]]
    assert plain["status"] == 200 and plain["title"] == probe["titles"]["plain"]
    assert probe["stats"]["nianbaoku/encoding/fixed/gb18030"] >= 2


@pytest.mark.slow
def test_unchanged_page_comes_back_as_not_modified(probe):
    items, urls, stats = probe["items"], probe["urls"], probe["stats"]
    fresh = items[urls["fresh"]]
    assert (fresh["kind"], fresh["status"], fresh["not_modified"]) == ("response", 304, True)
    assert fresh["previous_sha256"] == probe["validators"][urls["fresh"]]["sha256"]
    revised = items[urls["revised"]]
    assert (revised["status"], revised["not_modified"]) == (200, False)
    assert revised["title"] == probe["titles"]["revised"]
    assert stats["nianbaoku/conditional/sent"] == 2
    assert stats["nianbaoku/conditional/not_modified"] == 1
    assert stats["nianbaoku/conditional/modified"] == 1


# --- the circuit breaker -----------------------------------------------------------------------------

@pytest.mark.slow
def test_breaker_stops_a_blocking_host_after_the_threshold(replica, tmp_path):
    site = replica.site("trs-gbk")
    urls = [f"{site.base}/gongkai/zfxxgk/gknb/index_{i}.html" for i in range(1, 8)]
    hits = record_hits(site)
    site.challenge = "412"
    try:
        items, stats = crawl(tmp_path, urls)
    finally:
        site.challenge = None
        site.dispatch = type(site).dispatch.__get__(site)  # type: ignore[method-assign]
    sent = [p for _, p in hits if p != "/robots.txt"]
    assert len(sent) == 3                                   # NIANBAOKU_BREAKER_THRESHOLD
    errors = sorted(i["error"] for i in items)
    assert errors == ["BlockedByChallenge"] * 3 + ["HostCircuitOpen"] * 4
    assert stats["nianbaoku/breaker/opened"] == 1
    assert stats["nianbaoku/breaker/dropped"] == 4
    assert stats["nianbaoku/blocked/ts412"] == 3


if __name__ == "__main__":
    raise SystemExit(main())
