"""storage.history, the cross-year checks of storage.queries, and ``python -m crawler history``."""

from __future__ import annotations

import copy
import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.config import resolve
from parsers.schema import T3_COL_KEYS
from storage.db import Store, open_store
from storage.history import ADDED, CHANGED, REMOVED, CellChange, UnknownAgency, diff_cells, report_history
from storage.models import CrossYearCheck
from storage.queries import refresh_cross_year_checks, reports_of
from storage.repository import find_agency, record_parse
from tests.cli import run_crawler
from tests.store_fill import T0, add_report, synthetic_result

AGENCY = "湖州市吴兴区人力资源和社会保障局"
CHANGED_KEYS = ("active.regulations.issued", "applications.new.natural_person", "review.total")


def _cell(value: float | None, raw: str, flag: str = "ok", **src: int) -> dict:
    return {"value": value, "raw": raw, "flag": flag, "unit": "件", "src": src}


def test_diff_cells() -> None:
    old = {
        "a": _cell(1, "1", row_idx=1),
        "b": _cell(2, "2"),
        "c": _cell(None, "—", "dash"),
        "gone": _cell(4, "4"),
    }
    new = {
        "a": _cell(1, "1", row_idx=9),  # moved in the source only: not a change
        "b": _cell(3, "3"),
        "c": _cell(0, "0"),
        "fresh": _cell(5, "5"),
    }
    assert diff_cells(old, new) == [
        CellChange("b", CHANGED, "2", 2, "ok", "3", 3, "ok"),
        CellChange("c", CHANGED, "—", None, "dash", "0", 0, "ok"),
        CellChange("fresh", ADDED, new_raw="5", new_value=5, new_flag="ok"),
        CellChange("gone", REMOVED, "4", 4, "ok"),
    ]
    assert diff_cells(old, old) == []


def _two_versions(store: Store) -> dict:
    first = synthetic_result(agency=AGENCY, stat_year=2023, published_date="2024-01-10")
    second = copy.deepcopy(first)
    for key in CHANGED_KEYS:
        cell = second["cells"][key]
        cell["value"] += 1000
        cell["raw"] = str(int(cell["value"]))
    second["cells"]["applications.carried_over.total"]["src"] = {"table_idx": 9}  # src only
    with store.Session() as s, s.begin():
        add_report(
            s,
            store.blobs,
            agency=AGENCY,
            year=2023,
            region_code="330502",
            result=first,
            url="http://www.wuxing.gov.cn/art/2024/1/10/art_1.html",
        )
        add_report(
            s,
            store.blobs,
            agency=AGENCY,
            year=2023,
            region_code="330502",
            result=second,
            url="http://www.wuxing.gov.cn/art/2024/1/10/art_1.html",
            attachment_url="http://www.wuxing.gov.cn/attach/fixed.pdf",
            seen_at=T0 + timedelta(days=7),
        )
    return {"first": first, "second": second}


def test_two_versions_diff_lists_exactly_the_changed_cells(store: Store) -> None:
    results = _two_versions(store)
    with store.Session() as s, s.begin():
        histories = report_history(s, AGENCY, 2023)
    assert len(histories) == 1
    h = histories[0]
    assert [v.is_current for v in h.versions] == [False, True]
    assert h.versions[0].first_seen == T0 and h.versions[1].first_seen == T0 + timedelta(days=7)
    assert [c.kind for c in h.versions[1].captures] == ["detail", "attachment"]
    assert h.versions[1].captures[1].url == "http://www.wuxing.gov.cn/attach/fixed.pdf"
    assert h.versions[0].n_cells == len(results["first"]["cells"])
    (diff,) = h.diffs
    assert (diff.from_version, diff.to_version) == (h.versions[0].id, h.versions[1].id)
    assert [c.key for c in diff.changes] == list(CHANGED_KEYS)  # table order, nothing else
    for change in diff.changes:
        old, new = results["first"]["cells"][change.key], results["second"]["cells"][change.key]
        assert change.change == CHANGED
        assert (change.old_raw, change.old_value) == (old["raw"], old["value"])
        assert (change.new_raw, change.new_value) == (new["raw"], new["value"])
    assert h.cross_year == []  # no 2022 or 2024 report
    as_json = h.to_dict()
    json.dumps(as_json, ensure_ascii=False)  # plain JSON
    assert as_json["diffs"][0]["changes"][0]["key"] == CHANGED_KEYS[0]


def test_an_unparsed_version_gets_a_note_not_a_diff(store: Store) -> None:
    with store.Session() as s, s.begin():
        add_report(
            s, store.blobs, agency=AGENCY, year=2023, result=synthetic_result(agency=AGENCY, stat_year=2023)
        )
        add_report(
            s, store.blobs, agency=AGENCY, year=2023, result=None, body=b"a scan", seen_at=T0 + timedelta(1)
        )
        (h,) = report_history(s, AGENCY, 2023)
    assert h.diffs[0].changes == [] and "never parsed" in h.diffs[0].note


def test_unknown_agency(store: Store) -> None:
    with store.Session() as s, pytest.raises(UnknownAgency, match="不存在局"):
        report_history(s, "不存在局", 2023)


def _two_years(store: Store, *, mismatch: bool = True) -> dict:
    """2022 and 2023 of one agency: 2023's 上年结转 equals 2022's 结转下年度 in every column but
    natural_person (when `mismatch`)."""
    now = synthetic_result(agency=AGENCY, stat_year=2023, start=10)
    prev = synthetic_result(agency=AGENCY, stat_year=2022, start=500)
    for col in T3_COL_KEYS:
        carried = now["cells"][f"applications.carried_over.{col}"]["value"]
        if mismatch and col == "natural_person":
            carried += 7
        prev["cells"][f"applications.carried_forward.{col}"].update(value=carried, raw=str(carried))
    with store.Session() as s, s.begin():
        add_report(s, store.blobs, agency=AGENCY, year=2022, result=prev)
        add_report(s, store.blobs, agency=AGENCY, year=2023, result=now)
    return {"now": now, "prev": prev}


def _xyear(checks: list[dict]) -> dict[str, str]:
    """T3-XYEAR status per column, read from the keys each result names."""
    out = {}
    for c in checks:
        if c["rule"] == "T3-XYEAR":
            (col,) = {k.rsplit(".", 1)[1] for k in c["keys"]}
            out[col] = c["status"]
    return out


def test_cross_year_checks_are_computed_stored_and_shown(store: Store) -> None:
    _two_years(store)
    with store.Session() as s, s.begin():
        (h,) = report_history(s, AGENCY, 2023)
    (pair,) = h.cross_year
    assert (pair.prev_year, pair.year) == (2022, 2023)
    statuses = _xyear(pair.checks)
    assert statuses == {col: ("FAIL" if col == "natural_person" else "PASS") for col in T3_COL_KEYS}
    failed = next(c for c in pair.checks if c["rule"] == "T3-XYEAR" and c["status"] == "FAIL")
    assert failed["delta"] == -7 and "prev:applications.carried_forward.natural_person" in failed["keys"]
    assert failed["kind"] in ("source_inconsistent", "extraction_suspect")

    with store.Session() as s:
        stored = s.scalar(select(func.count(CrossYearCheck.id)))
        assert stored == len(pair.checks)
        (h2022,) = report_history(s, AGENCY, 2022, refresh=False)  # read-only: what is stored
        assert [(p.prev_year, p.year) for p in h2022.cross_year] == [(2022, 2023)]
        assert _xyear(h2022.cross_year[0].checks) == statuses

    with store.Session() as s, s.begin():  # asking again recomputes nothing
        report = reports_of(s, find_agency(s, AGENCY).id, 2023)[0]
        (again,) = refresh_cross_year_checks(s, report)
        assert [c.id for c in again.checks] == [
            c.id for c in s.scalars(select(CrossYearCheck).order_by(CrossYearCheck.id))
        ]


def test_a_corrected_parse_makes_the_cross_year_checks_stale(store: Store) -> None:
    results = _two_years(store)
    with store.Session() as s, s.begin():
        report_history(s, AGENCY, 2023)
    fixed = copy.deepcopy(results["prev"])
    value = results["now"]["cells"]["applications.carried_over.natural_person"]["value"]
    fixed["cells"]["applications.carried_forward.natural_person"].update(value=value, raw=str(value))
    with store.Session() as s, s.begin():
        prev_report = reports_of(s, find_agency(s, AGENCY).id, 2022)[0]
        record_parse(s, prev_report.versions[-1], fixed)  # same parser version: replaced in place
    with store.Session() as s, s.begin():
        (h,) = report_history(s, AGENCY, 2023)
    assert set(_xyear(h.cross_year[0].checks).values()) == {"PASS"}
    with store.Session() as s:
        assert s.scalar(select(func.count(CrossYearCheck.id))) == len(h.cross_year[0].checks)  # replaced


def _crawler(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_crawler(data_dir, *args, columns=220)


def test_history_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with open_store(
        resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}")
    ) as st:
        _two_versions(st)
        prev = synthetic_result(agency=AGENCY, stat_year=2022)
        with st.Session() as s, s.begin():
            add_report(s, st.blobs, agency=AGENCY, year=2022, result=prev)

    done = _crawler(data_dir, "history", "--agency", AGENCY, "--year", "2023", "--json")
    assert done.returncode == 0, done.stderr
    (h,) = json.loads(done.stdout)
    assert [c["key"] for c in h["diffs"][0]["changes"]] == list(CHANGED_KEYS)
    assert h["cross_year"][0]["prev_year"] == 2022 and h["cross_year"][0]["checks"]

    text = _crawler(data_dir, "history", "--agency", AGENCY, "--year", "2023")
    assert text.returncode == 0, text.stderr
    assert "3 cells changed" in text.stdout and "applications.new.natural_person" in text.stdout
    assert "cross-year 2022 → 2023" in text.stdout
    assert "http://www.wuxing.gov.cn/attach/fixed.pdf" in text.stdout

    # the checks are stored: the export lists them
    out = tmp_path / "checks.jsonl"
    assert (
        _crawler(data_dir, "export", "--what", "checks", "--format", "jsonl", "-o", str(out)).returncode == 0
    )
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert any(r["check_type"] == "cross_year" and r["prev_year"] == 2022 for r in rows)

    bad = _crawler(data_dir, "history", "--agency", "不存在局", "--year", "2023")
    assert (
        bad.returncode == 1 and "no agency named '不存在局'" in bad.stderr and "Traceback" not in bad.stderr
    )
    none = _crawler(data_dir, "history", "--agency", AGENCY, "--year", "2019")
    assert none.returncode == 0 and "no report" in none.stdout


def test_migration_0002_up_and_down(tmp_path: Path) -> None:
    from sqlalchemy import inspect
    from sqlalchemy.pool import NullPool

    from storage import migrate
    from storage.db import create_store_engine

    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    migrate.upgrade(url)

    def tables() -> set[str]:
        engine = create_store_engine(url, poolclass=NullPool)
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    assert "cross_year_checks" in tables()
    migrate.downgrade(url, "0001")
    assert migrate.current(url) == "0001"
    assert "cross_year_checks" not in tables() and "check_results" in tables()
    migrate.upgrade(url, "0002")
    assert "cross_year_checks" in tables()
