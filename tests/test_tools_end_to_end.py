"""The tools issue's proof, end to end through the real CLI against one replica portal.

One small static-family portal (2 agencies × 3 years, one agency-year never published) on 127.0.0.1:

1. ``crawl`` it; revise one report in place on the replica (same URL, new numbers); ``crawl`` again;
2. ``history --json`` of the revised report lists two versions and exactly the cells the revision changed;
3. ``export`` cells (CSV, Parquet) and reports (JSONL) load in pandas with the columns that
   ``docs/data-dictionary.md`` documents;
4. ``coverage --csv`` marks the omitted agency-year ``missing`` and every published one collected
   (``late`` when its publication date is past the statutory deadline — still collected);
5. ``reparse <detail URL> --json`` prints the cells the forge put in that report, and a ``stored`` object.

Every command is a subprocess (`tests.cli.run_crawler`) on one tmp data directory, as a user runs them.
The replica knows each report's truth: its body is forged from `tests.replica.content._data` (agency,
year, item key as seed, revision, title), whose `ReportData.expected(key)` is what a parser must read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from crawler.commands.demo import FAST_SETTINGS
from spiders.profiles import load_profile
from storage.coverage import statutory_deadline
from tests.cli import PROJECT_ROOT, run_crawler
from tests.replica.content import _data as forged
from tests.replica.families import st_path
from tests.replica.server import PROFILES, ReplicaServer, Site
from tests.replica.sites import Item, SiteSpec, agency_names

pytestmark = pytest.mark.slow

AGENCIES = agency_names(2)
YEARS = (2022, 2024)
OMITTED = (AGENCIES[1], 2023)  # never published on the portal: coverage must say "missing"
REVISED = (AGENCIES[0], 2024)  # revised in place between the two crawls
REPARSED = (AGENCIES[1], 2022)  # re-parsed from its URL at the end
PROFILE = "replica-static"
DICTIONARY = PROJECT_ROOT / "docs" / "data-dictionary.md"

SPEC = SiteSpec(
    "static",
    "static",
    agencies=AGENCIES,
    years=YEARS,
    non_reports=2,
    other_column=2,
    attachments=False,  # the detail page is the report: its cells are the forge's, not a stub file's
    seed=7,
    omit=frozenset({OMITTED}),
)


def _ok(proc) -> str:
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


def _report(site: Site, agency: str, year: int) -> Item:
    return next(it for it in site.reports if (it.agency, it.year) == (agency, year))


def _truth(item: Item):
    """The forge's `ReportData` of the report as the replica serves it now."""
    return forged(item.agency, item.year, item.key, item.revision, item.title)


def _documented_columns(what: str) -> list[str]:
    """The column names of export `what`, in order, from the data dictionary's ``## `what` `` table."""
    text = DICTIONARY.read_text(encoding="utf-8")
    section = text.split(f"## `{what}`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def _bound_profile(replica: ReplicaServer, directory: Path) -> Path:
    """The replica profile YAML with this run's host filled in: `crawl --profile` reads profiles from a
    directory and refuses unbound ones."""
    base = replica.base(SPEC.name)
    text = (PROFILES / f"{PROFILE}.yaml").read_text(encoding="utf-8")
    text = text.replace("{base}", base).replace("{host}", base.split("//", 1)[1])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{PROFILE}.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_profile(path).is_bound
    return path


def _crawl(data_dir: Path, profiles: Path) -> str:
    fast = [a for k, v in FAST_SETTINGS.items() for a in ("--set", f"{k}={v}")]
    return _ok(
        run_crawler(
            data_dir, "crawl", "--profile", PROFILE, "--profiles-dir", str(profiles), "--no-progress", *fast
        )
    )


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """crawl → revise → re-crawl; the replica stays up for ``reparse``."""
    root = tmp_path_factory.mktemp("tools-e2e")
    data_dir = root / "data"
    with ReplicaServer([SPEC]) as replica:
        site = replica.site(SPEC.name)
        assert len(site.reports) == len(AGENCIES) * (YEARS[1] - YEARS[0] + 1) - 1
        profiles = root / "profiles"
        _bound_profile(replica, profiles)
        first = _crawl(data_dir, profiles)
        item = _report(site, *REVISED)
        before = _truth(item)
        replica.revise(SPEC.name, item.key)
        after = _truth(item)
        second = _crawl(data_dir, profiles)
        yield {
            "root": root,
            "data_dir": data_dir,
            "replica": replica,
            "site": site,
            "first": first,
            "second": second,
            "revised": item,
            "before": before,
            "after": after,
        }


def test_history_lists_two_versions_and_the_cells_the_revision_changed(chain):
    item, before, after = chain["revised"], chain["before"], chain["after"]
    out = _ok(
        run_crawler(chain["data_dir"], "history", "--agency", item.agency, "--year", str(item.year), "--json")
    )
    histories = json.loads(out)
    assert [h["scope"] for h in histories] == ["agency"]
    h = histories[0]
    assert (h["agency"], h["stat_year"]) == (item.agency, item.year)
    versions = h["versions"]
    assert len(versions) == 2
    assert [v["is_current"] for v in versions] == [False, True]
    assert all(v["n_cells"] > 50 for v in versions)
    assert [(d["from_version"], d["to_version"]) for d in h["diffs"]] == [
        (versions[0]["id"], versions[1]["id"])
    ]
    changes = h["diffs"][0]["changes"]
    expected = {k for k in after.keys if before.expected(k) != after.expected(k)}
    assert expected, "the revision changed no cell of the forged report"
    printed = [c for c in changes if c["key"] in set(after.keys)]
    assert {c["key"] for c in printed} == expected
    # the rest are cells the parser derives from printed ones (format-spec §4.2): they follow the numbers
    derived = [c for c in changes if c["key"] not in set(after.keys)]
    assert all("derived" in (c["old_flag"], c["new_flag"]) for c in derived), derived
    for c in printed:
        assert c["change"] == "changed"
        for side, data in (("old", before), ("new", after)):
            value, flag = data.expected(c["key"])
            assert c[f"{side}_flag"] == flag, (c, side)
            assert (c[f"{side}_value"] is None) == (value is None), (c, side)
            if value is not None:
                assert c[f"{side}_value"] == pytest.approx(float(value)), (c, side)


def test_exports_load_in_pandas_with_the_documented_columns(chain):
    data_dir, root, site = chain["data_dir"], chain["root"], chain["site"]
    frames = {}
    for what, fmt in (("cells", "csv"), ("cells", "parquet"), ("reports", "jsonl")):
        path = root / f"{what}.{fmt}"
        out = _ok(run_crawler(data_dir, "export", "--what", what, "--format", fmt, "--output", str(path)))
        assert f"to {path}" in out
        reader = {"csv": pd.read_csv, "parquet": pd.read_parquet}.get(fmt)
        frame = reader(path) if reader else pd.read_json(path, lines=True)
        assert list(frame.columns) == _documented_columns(what), (what, fmt)
        frames[what, fmt] = frame
    reports = frames["reports", "jsonl"]
    published = {(it.agency, it.year) for it in site.reports}
    assert set(zip(reports["agency"], reports["stat_year"], strict=True)) == published
    revised = reports[(reports["agency"] == REVISED[0]) & (reports["stat_year"] == REVISED[1])]
    assert revised["version_count"].tolist() == [2]
    assert (reports["n_cells"] > 50).all()
    csv_cells, parquet_cells = frames["cells", "csv"], frames["cells", "parquet"]
    assert len(csv_cells) == len(parquet_cells) == reports["n_cells"].sum()
    assert set(zip(csv_cells["agency"], csv_cells["stat_year"], strict=True)) == published
    # the current version's cells are the revised numbers
    after = chain["after"]
    mine = parquet_cells[
        (parquet_cells["agency"] == REVISED[0]) & (parquet_cells["stat_year"] == REVISED[1])
    ].set_index("key")
    for key in after.keys:
        value, flag = after.expected(key)
        assert mine.loc[key, "flag"] == flag, key
        if value is None:
            assert pd.isna(mine.loc[key, "value"]), key
        else:
            assert mine.loc[key, "value"] == pytest.approx(float(value)), key


def test_coverage_marks_the_omitted_agency_year_missing(chain):
    data_dir, root, site = chain["data_dir"], chain["root"], chain["site"]
    path = root / "coverage.csv"
    out = _ok(run_crawler(data_dir, "coverage", "--years", f"{YEARS[0]}-{YEARS[1]}", "--csv", str(path)))
    assert "missing" in out
    rows = {r["agency"]: r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}
    assert set(rows) == set(AGENCIES)
    published = {(it.agency, it.year): it for it in site.reports}
    for agency in AGENCIES:
        for year in range(YEARS[0], YEARS[1] + 1):
            state = rows[agency][str(year)]
            if (agency, year) == OMITTED:
                assert state == "missing", (agency, year, rows[agency])
                continue
            item = published[agency, year]
            late = item.published > statutory_deadline(year, rows[agency]["kind"] or None)
            assert state == ("late" if late else "collected"), (agency, year, item.published, rows[agency])


def test_reparse_of_a_detail_page_prints_the_forged_cells_and_what_it_stored(chain):
    site = chain["site"]
    item = _report(site, *REPARSED)
    url = site.base + st_path(item)
    out = _ok(run_crawler(chain["data_dir"], "reparse", url, "--json"))
    result = json.loads(out)
    truth = _truth(item)
    cells = result["cells"]
    assert set(truth.keys) <= set(cells)
    for key in truth.keys:
        value, flag = truth.expected(key)
        assert cells[key]["flag"] == flag, (key, cells[key])
        if value is None:
            assert cells[key]["value"] is None, (key, cells[key])
        else:
            assert cells[key]["value"] == pytest.approx(float(value)), (key, cells[key])
    stored = result["stored"]
    assert all(isinstance(stored[k], int) for k in ("capture_id", "version_id", "parse_result_id"))
    assert stored["outcome"] in ("new", "changed", "unchanged")
