"""End to end: the portal spider + middlewares + archive → parse → store against the replica portals.

One module-scoped scenario, three crawls of every family into one tmp store (each crawl is a
subprocess: a Twisted reactor runs once per process — this module is also that subprocess's entry
point, ``python -m tests.test_crawl_replica <job.json>``):

1. first crawl, with ``--warc``: every report found and stored with parsed cells, attachments archived,
   list pages archived, nothing from other columns; a challenged portal → ``blocked:<kind>``, no report;
2. the same portals again: no new version, and a small fraction of the first crawl's requests
   (conditional requests answered 304, paging stopped at the first page of known reports);
3. after one report is revised in place (same URL, new numbers): exactly that report gets a version 2.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.config import resolve
from storage.db import open_store
from storage.models import Capture, CrawlRun, Report, ReportVersion
from storage.repository import current_parse
from tests.replica.families import (
    default_specs,
    gk_path,
    jcms_art,
    jpaas_art,
    sh_path,
    st_path,
    trs_detail_path,
)
from tests.replica.server import PROFILES, ReplicaServer
from tests.replica.sites import SiteSpec, agency_names

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

#: Upper bounds of (requests of the unchanged re-crawl) / (requests of the first crawl). The deep column
#: (30 reports on 3 list pages) measures what a real column sees: robots.txt, one list page and
#: conditional requests for its reports. The small sites hold every report on their first page, so
#: only attachments are saved there. Measured figures are in the report of this component.
DEEP_FAMILY = "static"
DEEP_RATIO_MAX = 0.25
RECRAWL_RATIO_MAX = 0.75
REVISED_FAMILY = "trs"

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


def specs() -> list[SiteSpec]:
    """Every family, small (2 agencies × 3 years, own agencies per site), paging in some; plus a
    static portal that answers everything with a 瑞数 412 challenge."""
    base = default_specs()
    names = agency_names(2 * (len(base) + 1))
    out = [
        dataclasses.replace(
            spec, agencies=names[2 * i : 2 * i + 2], years=(2022, 2024), full_files=1, non_reports=8
        )
        for i, spec in enumerate(base)
    ]
    # one column long enough to page like a real one (30 reports, 12 rows a page)
    out = [dataclasses.replace(s, years=(2010, 2024)) if s.name == DEEP_FAMILY else s for s in out]
    out.append(SiteSpec("waf", "static", agencies=names[-2:], years=(2023, 2024), seed=20))
    return out


def _profile_id(name: str) -> str:
    return "replica-static" if name == "waf" else f"replica-{name}"


# --- the subprocess side ------------------------------------------------------------------------


def main(job_file: str) -> int:
    """Crawl the jobs of `job_file` (profile path, id, bases) with `run_crawls`; write summaries."""
    from crawler.commands.crawl import CrawlJob, run_crawls
    from crawler.commands.demo import FAST_SETTINGS
    from spiders.profiles import load_profile

    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    jobs = []
    for j in job["jobs"]:
        profile = load_profile(Path(j["path"])).bind(j["base"], oss=j["oss"])
        jobs.append(CrawlJob(dataclasses.replace(profile, id=j["id"])))
    overrides = {**FAST_SETTINGS, "LOG_LEVEL": "ERROR"}
    if job.get("warc"):
        overrides["NIANBAOKU_WARC_PATH"] = job["warc"]
    summaries = run_crawls(jobs, overrides=overrides, progress=False)
    out = [
        {"profile": s.profile, "finish_reason": s.finish_reason, "counts": s.counts, "errors": s.errors}
        for s in summaries
    ]
    Path(job["out"]).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return 0


# --- the test side ------------------------------------------------------------------------------


def _crawl(replica: ReplicaServer, data_dir: Path, tag: str, warc: Path | None = None) -> dict[str, dict]:
    jobs = [
        {
            "path": str(PROFILES / f"{_profile_id(name)}.yaml"),
            "id": f"replica-{name}",
            "base": replica.base(name),
            "oss": replica.oss.base,
        }
        for name in replica.sites
    ]
    job_file, out = data_dir.parent / f"{tag}.json", data_dir.parent / f"{tag}-out.json"
    job_file.write_text(json.dumps({"jobs": jobs, "out": str(out), "warc": str(warc) if warc else None}))
    env = {**os.environ, "NIANBAOKU_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.test_crawl_replica", str(job_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {s["profile"]: s for s in json.loads(out.read_text(encoding="utf-8"))}


def _count(store, model) -> int:
    with store.Session() as s:
        return s.scalar(select(func.count(model.id))) or 0


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    root = tmp_path_factory.mktemp("crawl-replica")
    data_dir, warc = root / "data", root / "first.warc.gz"
    with ReplicaServer(specs()) as replica:
        replica.site("waf").challenge = "412"
        first = _crawl(replica, data_dir, "first", warc=warc)
        store = open_store(resolve(data_dir=data_dir))
        after_first = (_count(store, ReportVersion), _count(store, Capture))
        second = _crawl(replica, data_dir, "second")
        after_second = (_count(store, ReportVersion), _count(store, Capture))
        site = replica.site(REVISED_FAMILY)
        revised = replica.revise(REVISED_FAMILY, site.reports[0].key)
        third = _crawl(replica, data_dir, "third")
        yield {
            "replica": replica,
            "store": store,
            "first": first,
            "second": second,
            "third": third,
            "after_first": after_first,
            "after_second": after_second,
            "revised": revised,
            "warc": warc,
        }
        store.close()


@pytest.mark.parametrize("name", list(PATHS))
def test_every_report_is_stored_with_parsed_cells(scenario, name):
    replica, store = scenario["replica"], scenario["store"]
    site = replica.site(name)
    summary = scenario["first"][f"replica-{name}"]
    assert summary["finish_reason"] == "finished"
    assert summary["counts"]["new"] == len(site.reports) and summary["counts"]["failed"] == 0
    expected = {site.base + PATHS[name](site, it): it for it in site.reports}
    with store.Session() as s:
        query = select(Capture).where(Capture.kind == "detail", Capture.url.like(site.base + "%"))
        details: dict[str, Capture] = {}
        for c in s.scalars(query.order_by(Capture.id)):  # the first crawl's capture of each page
            details.setdefault(c.url, c)
        assert set(details) == set(expected)  # all reports; no companion, no other column
        for url, item in expected.items():
            version = details[url].versions[-1]
            assert version.report.stat_year == item.year
            parsed = current_parse(s, version)
            assert parsed is not None and len(parsed.cells) > 50, url
            if item.attachment and not (name == "jcms-js" and item.key % 2 == 0):  # off-host: not allowed
                assert any(c.kind == "attachment" for c in version.captures), url
        lists = s.scalar(
            select(func.count(Capture.id)).where(Capture.kind == "list", Capture.url.like(site.base + "%"))
        )
        assert lists >= 1
        other = {
            site.base + PATHS[name](site, it) for it in site.items if not it.is_report or it.column != "main"
        }
        assert not other & {c.url for c in s.scalars(select(Capture))}


def test_a_challenged_portal_is_blocked_on_the_run_and_stores_no_report(scenario):
    replica, store = scenario["replica"], scenario["store"]
    waf = scenario["first"]["replica-waf"]
    assert waf["counts"]["blocked"] >= 1 and waf["counts"]["new"] == 0
    assert any(
        e["error"].startswith("blocked:") and e["url"].startswith(replica.base("waf")) for e in waf["errors"]
    )
    with store.Session() as s:
        run = s.scalars(
            select(CrawlRun).where(CrawlRun.profile == "replica-waf").order_by(CrawlRun.id)
        ).first()
        assert run.status == "finished" and any(e["error"].startswith("blocked:") for e in run.errors)
        assert not s.scalars(select(Capture).where(Capture.url.like(replica.base("waf") + "%"))).first()


def test_an_unchanged_recrawl_stores_nothing_new_and_fetches_a_fraction(scenario):
    second, first = scenario["second"], scenario["first"]
    for name in PATHS:
        counts = second[f"replica-{name}"]["counts"]
        assert counts["new"] == 0 and counts["changed"] == 0, (name, counts)
        assert counts["unchanged"] >= 1
    assert scenario["after_second"][0] == scenario["after_first"][0]  # no new version
    for n in PATHS:
        r1, r2 = (c[f"replica-{n}"]["counts"]["requests"] for c in (first, second))
        print(f"re-crawl requests {n}: {r2}/{r1} = {r2 / r1:.2f}")
    requests1 = sum(first[f"replica-{n}"]["counts"]["requests"] for n in PATHS)
    requests2 = sum(second[f"replica-{n}"]["counts"]["requests"] for n in PATHS)
    ratio = requests2 / requests1
    print(f"re-crawl requests, all families: {requests2}/{requests1} = {ratio:.2f}")
    assert ratio < RECRAWL_RATIO_MAX
    deep1, deep2 = (c[f"replica-{DEEP_FAMILY}"]["counts"] for c in (first, second))
    assert deep2["requests"] / deep1["requests"] < DEEP_RATIO_MAX
    assert deep1["list_pages"] >= 3 and deep2["list_pages"] == 1  # paging stopped at known reports
    assert sum(second[f"replica-{n}"]["counts"]["not_modified"] for n in PATHS) >= len(PATHS)


def test_a_report_revised_in_place_gets_a_second_version(scenario):
    replica, store, third = scenario["replica"], scenario["store"], scenario["third"]
    assert third[f"replica-{REVISED_FAMILY}"]["counts"]["changed"] == 1
    assert all(third[f"replica-{n}"]["counts"]["changed"] == 0 for n in PATHS if n != REVISED_FAMILY)
    site, item = replica.site(REVISED_FAMILY), scenario["revised"]
    url = site.base + PATHS[REVISED_FAMILY](site, item)
    with store.Session() as s:
        capture = s.scalars(select(Capture).where(Capture.url == url).order_by(Capture.id.desc())).first()
        report = s.get(Report, next(v for v in capture.versions if v.is_current).report_id)
        assert len(report.versions) == 2 and report.versions[-1].is_current


def test_the_warc_passes_warcio_check(scenario):
    from warcio.archiveiterator import ArchiveIterator

    warc = scenario["warc"]
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("warcio")), "check", "-v", str(warc)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    kinds: dict[str, int] = {}
    with open(warc, "rb") as fh:
        for record in ArchiveIterator(fh):
            kinds[record.rec_type] = kinds.get(record.rec_type, 0) + 1
    first = scenario["first"]
    assert kinds["response"] == kinds["request"]
    assert kinds["response"] >= sum(s["counts"]["responses"] for s in first.values()) - len(first)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
