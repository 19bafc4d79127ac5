"""storage.coverage, storage.heatmap and ``python -m crawler coverage``: the agency × year states on a
hand-built store, the deadlines, the CSV and the PNG."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from crawler.config import resolve
from storage.coverage import (
    BLOCKED,
    COLLECTED,
    LATE,
    MISSING,
    UNPARSEABLE,
    blocked_evidence,
    coverage_matrix,
    is_late,
    statutory_deadline,
    write_csv,
)
from storage.db import Store, open_store
from storage.heatmap import cjk_font, render_png
from storage.repository import finish_crawl_run, start_crawl_run
from storage.selection import Selection
from tests.cli import run_crawler as _crawler
from tests.store_fill import add_report, synthetic_result

DEPT = "湖州市吴兴区人力资源和社会保障局"  # department, 330502
GOV = "宁波市海曙区人民政府"  # government, 330203
WALLED = "人力资源社会保障部"  # its portal blocks us (profile mohrss-nb)
ONE_YEAR = "杭州市西湖区教育局"  # blocked for 2022 only
UNBLOCKED = "杭州市西湖区民政局"  # blocked once, but the latest crawl went through
GHOST = "某某市某某局"  # named by a blocked profile, never stored
PROFILES = {"mohrss-nb": WALLED, "xihu-jyj": ONE_YEAR, "xihu-mzj": UNBLOCKED, "ghost": GHOST}
T = datetime(2024, 2, 1, tzinfo=UTC)


def test_statutory_deadlines() -> None:
    assert statutory_deadline(2023, "department") == date(2024, 1, 31)
    assert statutory_deadline(2023, "government") == date(2024, 3, 31)
    assert statutory_deadline(2023, None) == date(2024, 3, 31)  # unknown kind: the later date
    assert statutory_deadline(2018, "department") == date(2019, 3, 31)  # before the 2019 条例
    assert statutory_deadline(2019, "department") == date(2020, 1, 31)
    assert is_late(2023, "department", "2024-02-01") is True
    assert is_late(2023, "department", "2024-01-31") is False
    assert is_late(2023, "government", "2024-03-31") is False
    assert is_late(2023, "government", None) is None
    assert is_late(2023, "government", "not a date") is None


def _fill(store: Store) -> None:
    def parsed(agency: str, year: int, published: str | None) -> dict:
        return synthetic_result(agency=agency, stat_year=year, published_date=published)

    with store.Session() as s, s.begin():
        blobs = store.blobs
        add_report(
            s, blobs, agency=DEPT, year=2021, region_code="330502", result=parsed(DEPT, 2021, "2022-01-20")
        )
        add_report(
            s, blobs, agency=DEPT, year=2022, region_code="330502", result=parsed(DEPT, 2022, "2023-02-15")
        )
        # DEPT 2023: nothing → missing
        gov = {"region_code": "330203", "level": "county", "kind": "government"}
        add_report(s, blobs, agency=GOV, year=2022, result=parsed(GOV, 2022, "2023-03-20"), **gov)
        add_report(s, blobs, agency=GOV, year=2023, result=None, **gov)  # archived, never parsed
        empty = synthetic_result(agency=GOV, stat_year=2021, era="unknown", keys=[])
        add_report(s, blobs, agency=GOV, year=2021, result=empty, **gov)  # parsed, read nothing
        # an aggregate next to an unparseable own report: the year counts as collected
        add_report(
            s,
            blobs,
            agency=GOV,
            year=2023,
            scope="government_aggregate",
            result=parsed(GOV, 2023, "2024-03-01"),
            **gov,
        )
        add_report(
            s, blobs, agency=WALLED, year=2021, level="national", result=parsed(WALLED, 2021, "2022-01-30")
        )
        add_report(
            s,
            blobs,
            agency=ONE_YEAR,
            year=2021,
            region_code="330106",
            result=parsed(ONE_YEAR, 2021, "2022-01-05"),
        )
        add_report(
            s,
            blobs,
            agency=UNBLOCKED,
            year=2021,
            region_code="330106",
            result=parsed(UNBLOCKED, 2021, "2022-01-05"),
        )

        def run(profile: str, errors: list[dict], started: datetime) -> None:
            r = start_crawl_run(s, profile, started_at=started)
            finish_crawl_run(s, r, errors=errors, finished_at=started + timedelta(minutes=5))

        url = "https://www.mohrss.gov.cn/xxgk2020/zfxxgknb/"
        run("mohrss-nb", [{"error": "blocked:edgeone", "url": url}], T)
        run(
            "xihu-jyj",
            [{"error": "blocked:waf", "url": "http://x/2022.html", "year": 2022}, {"error": "timeout"}],
            T,
        )
        run("xihu-mzj", [{"error": "blocked:412", "url": "http://y/"}], T - timedelta(days=10))
        run("xihu-mzj", [], T)  # the latest run of this profile was not blocked
        run("ghost", [{"error": "blocked:rs", "url": "http://ghost/"}], T)


def test_states_on_a_hand_built_store(store: Store) -> None:
    _fill(store)
    with store.Session() as s:
        matrix = coverage_matrix(s, Selection(), None, PROFILES)
    assert matrix.years == [2021, 2022, 2023]  # the store's first..last year by default
    expected = {
        DEPT: (COLLECTED, LATE, MISSING),
        GOV: (UNPARSEABLE, COLLECTED, COLLECTED),
        WALLED: (COLLECTED, BLOCKED, BLOCKED),
        ONE_YEAR: (COLLECTED, BLOCKED, MISSING),
        UNBLOCKED: (COLLECTED, MISSING, MISSING),
        GHOST: (BLOCKED, BLOCKED, BLOCKED),
    }
    assert [row.agency.name for row in matrix.rows] == sorted(expected)
    for agency, states in expected.items():
        assert tuple(matrix.state(agency, y) for y in matrix.years) == states, agency
    counts = matrix.counts()
    assert counts == {COLLECTED: 6, LATE: 1, UNPARSEABLE: 1, BLOCKED: 6, MISSING: 4}
    walled = next(r for r in matrix.rows if r.agency.name == WALLED)
    assert walled.cells[2022].blocked_kinds == ["edgeone"]
    gov = next(r for r in matrix.rows if r.agency.name == GOV)
    assert sorted(gov.cells[2023].scopes) == ["agency", "government_aggregate"]


def test_region_and_years_filters(store: Store) -> None:
    _fill(store)
    with store.Session() as s:
        matrix = coverage_matrix(s, Selection(region_prefix="3301"), [2022, 2023, 2024], PROFILES)
    # Hangzhou only; the ghost agency has no region, so a region filter leaves it out
    assert [r.agency.name for r in matrix.rows] == sorted([ONE_YEAR, UNBLOCKED])
    assert matrix.years == [2022, 2023, 2024]
    assert [matrix.state(ONE_YEAR, y) for y in matrix.years] == [BLOCKED, MISSING, MISSING]


def test_blocked_evidence_needs_a_known_agency() -> None:
    class Run:
        def __init__(self, profile: str, errors: list) -> None:
            self.profile, self.errors = profile, errors

    runs = [
        Run("unknown-profile", [{"error": "blocked:waf", "url": "u"}]),
        Run("p", [{"error": "blocked:waf", "url": "u"}, "not a dict", {"error": "http:500"}]),
        Run("q", [{"error": "blocked:", "agency": "自带机构", "year": True}]),
    ]
    found = blocked_evidence(runs, {"p": "甲局"})
    assert [(e.agency, e.kind, e.year) for e in found] == [
        ("甲局", "waf", None),
        ("自带机构", "unknown", None),
    ]


def test_csv_and_png(store: Store, tmp_path: Path) -> None:
    _fill(store)
    with store.Session() as s:
        matrix = coverage_matrix(s, Selection(), [2021, 2022, 2023], PROFILES)
    path = write_csv(matrix, tmp_path / "out" / "coverage.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    dept = next(r for r in rows if r["agency"] == DEPT)
    assert (dept["2021"], dept["2022"], dept["2023"]) == (COLLECTED, LATE, MISSING)
    assert dept["2022_detail"] == "published 2023-02-15, deadline 2023-01-31"
    assert dept["region_code"] == "330502" and dept["kind"] == "department"
    assert next(r for r in rows if r["agency"] == WALLED)["2023_detail"] == "blocked: edgeone"

    png = tmp_path / "out" / "coverage.png"
    drawn = render_png(matrix, png)
    assert drawn["rows"] == 6 and drawn["years"] == 3 and not drawn["truncated"]
    with Image.open(png) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width > 300 and height > 150
        colours = {
            image.convert("RGB").getpixel((x, y)) for x in range(0, width, 7) for y in range(0, height, 7)
        }
    assert (0x2E, 0x7D, 0x32) in colours  # collected green was painted


def test_cjk_font_is_found_when_installed() -> None:
    if not Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").is_file():
        pytest.skip("fonts-noto-cjk is not installed")
    assert cjk_font() and "CJK" in cjk_font()


def test_empty_store_draws_an_empty_matrix(store: Store, tmp_path: Path) -> None:
    with store.Session() as s:
        matrix = coverage_matrix(s, Selection(), None, {})
    assert matrix.years == [] and matrix.rows == []
    render_png(matrix, tmp_path / "empty.png")
    assert (tmp_path / "empty.png").stat().st_size > 0




def test_coverage_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with open_store(
        resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}")
    ) as st:
        _fill(st)
    out_csv, out_png = tmp_path / "c.csv", tmp_path / "c.png"
    done = _crawler(
        data_dir, "coverage", "--years", "2021-2023", "--csv", str(out_csv), "--png", str(out_png)
    )
    assert done.returncode == 0, done.stderr
    assert DEPT in done.stdout and "late 1" in done.stdout
    # mohrss-nb is a shipped profile whose agency is 人力资源社会保障部: blocked from the real profiles
    assert "blocked" in done.stdout
    with out_csv.open(encoding="utf-8-sig") as fh:
        rows = {r["agency"]: r for r in csv.DictReader(fh)}
    assert rows[WALLED]["2022"] == BLOCKED
    assert out_png.stat().st_size > 1000
    bad = _crawler(data_dir, "coverage", "--years", "soon")
    assert bad.returncode == 1 and bad.stderr.startswith("error: year 'soon' is not understood")
