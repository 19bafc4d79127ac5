"""storage.exporters and ``python -m crawler export``: every export in every format, read back by pandas
with the documented columns; filters; the data dictionary; streaming with flat memory."""

from __future__ import annotations

import json
import math
import subprocess
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from crawler.config import PROJECT_ROOT, resolve
from parsers import schema
from storage.db import Store, open_store
from storage.exporters import EXPORTS, FORMATS, ExportError, data_dictionary, export, split_key
from storage.queries import iter_cell_rows, read_session, refresh_all_cross_year_checks
from storage.repository import find_agency
from storage.selection import Selection, SelectionError, parse_years, region_prefix
from tests.cli import run_crawler
from tests.store_fill import T0, add_report, forged_result, synthetic_result

WUXING = "湖州市吴兴区人力资源和社会保障局"
HAISHU = "宁波市海曙区人民政府"


# --- key → table, row, column --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("applications.denied.state_secret.natural_person", ("三", "denied.state_secret", "natural_person")),
        ("active.fees.amount_wan", ("二", "fees", "amount_wan")),
        ("litigation.direct.total", ("四", "litigation.direct", "total")),
        ("litigation.after_review.pending", ("四", "litigation.after_review", "pending")),
        ("litigation.total.upheld", ("四", "litigation.total", "upheld")),
        ("review.corrected", ("四", "review", "corrected")),
        ("applications.new.total", ("三", "new", "total")),
        ("applications.denied.subtotal.legal_person", ("三", "denied.subtotal", "legal_person")),
        ("legacy.apps.received.total", ("legacy", "apps.received.total", "value")),
        ("legacy.fees_wan", ("legacy", "fees_wan", "value")),
        ("something.else", ("other", "something", "else")),
    ],
)
def test_split_key(key: str, expected: tuple[str, str, str]) -> None:
    assert split_key(key) == expected


def test_split_key_covers_every_canonical_key_of_every_era() -> None:
    for era in (schema.GOV2021, schema.GOV2019, schema.LEGACY_2014):
        for key in schema.leaf_keys(era) + schema.derived_keys(era):
            table, row, column = split_key(key)
            assert table in ("二", "三", "四", "legacy"), key
            assert row and column, key
            if table != "legacy":
                assert key.endswith(f"{row}.{column}"), key


# --- selection -------------------------------------------------------------------------------------


def test_parse_years_and_region_prefix() -> None:
    assert parse_years(["2019-2021", "2023"]) == frozenset({2019, 2020, 2021, 2023})
    assert parse_years("2021..2019") == frozenset({2019, 2020, 2021})
    assert parse_years(None) is None
    with pytest.raises(SelectionError, match="not understood"):
        parse_years(["twenty"])
    with pytest.raises(SelectionError, match="outside"):
        parse_years(["1900"])
    assert region_prefix("330500") == "3305"
    assert region_prefix("330000") == "33"
    assert region_prefix("330110") == "330110"  # a county whose code ends in one zero
    assert region_prefix(" ") is None
    assert region_prefix("湖州市") == "3305"
    with pytest.raises(SelectionError, match="neither"):
        region_prefix("不存在的地方")


# --- a filled store --------------------------------------------------------------------------------


def _fill(store: Store) -> dict[str, object]:
    """Two agencies in two provinces, two years each; Wuxing 2023 was re-published (two versions)
    and carries a PDF attachment; Haishu 2023 has a failed check and is published late."""
    forged = forged_result()
    failing = {
        "rule": "T3-BAL",
        "status": "FAIL",
        "severity": "T",
        "left": 5,
        "right": 4,
        "delta": 1,
        "keys": ["applications.new.total"],
        "kind": "source_inconsistent",
        "mode": "lenient",
        "message": "…",
    }
    with store.Session() as s, s.begin():
        add_report(
            s,
            store.blobs,
            agency=WUXING,
            year=2022,
            region_code="330502",
            result=synthetic_result(agency=WUXING, stat_year=2022, published_date="2023-01-15"),
        )
        add_report(
            s,
            store.blobs,
            agency=WUXING,
            year=2023,
            region_code="330502",
            result=synthetic_result(agency=WUXING, stat_year=2023, published_date="2024-01-10", start=100),
        )
        add_report(  # the correction: a new version, with an attachment, becomes current
            s,
            store.blobs,
            agency=WUXING,
            year=2023,
            region_code="330502",
            attachment_url="http://www.wuxing.gov.cn/attach/2023.pdf",
            seen_at=T0 + timedelta(days=30),
            result=synthetic_result(agency=WUXING, stat_year=2023, published_date="2024-01-10", start=200),
        )
        add_report(
            s,
            store.blobs,
            agency=HAISHU,
            year=2022,
            region_code="330203",
            kind="government",
            result=forged,
        )
        add_report(
            s,
            store.blobs,
            agency=HAISHU,
            year=2023,
            region_code="330203",
            kind="government",
            result=synthetic_result(
                agency=HAISHU, stat_year=2023, published_date="2024-04-02", checks=[failing]
            ),
        )
    return {"forged_cells": len(forged["cells"]), "gov2021_cells": len(schema.leaf_keys(schema.GOV2021))}


@pytest.fixture
def filled(store: Store) -> tuple[Store, dict[str, object]]:
    return store, _fill(store)


def _read(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.read_json(path, lines=True, dtype=False)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("what", list(EXPORTS))
def test_every_export_in_every_format_reads_back_with_the_documented_columns(
    filled: tuple[Store, dict], tmp_path: Path, what: str, fmt: str
) -> None:
    store, facts = filled
    path = tmp_path / f"{what}.{fmt}"
    with read_session(store) as session:
        count = export(session, what, fmt, path)
    frame = _read(path, fmt)
    assert list(frame.columns) == EXPORTS[what].names
    assert len(frame) == count
    expected = {
        # current versions only: Wuxing 2022 + Wuxing 2023 (v2) + Haishu 2023 synthetic, Haishu 2022 forged
        "cells": 3 * facts["gov2021_cells"] + facts["forged_cells"],
        "reports": 4,
        "captures": 6,  # 5 detail pages + 1 attachment, each carrying one version
    }
    if what in expected:
        assert count == expected[what]
    if what == "checks":
        assert (frame["check_type"] == "report").all()
        assert count > 0
    assert not path.with_name(path.name + ".part").exists()


def test_cells_values_and_provenance(filled: tuple[Store, dict], tmp_path: Path) -> None:
    store, _ = filled
    path = tmp_path / "cells.csv"
    with read_session(store) as session:
        export(session, "cells", "csv", path, Selection(agency_ids=_ids(store, WUXING)))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    v2023 = frame[frame["stat_year"] == "2023"]
    keys = schema.leaf_keys(schema.GOV2021)
    assert list(v2023["key"]) == keys  # table order, the current (corrected) version only
    row = v2023[v2023["key"] == "applications.denied.state_secret.natural_person"].iloc[0]
    assert (row["table"], row["row"], row["column"]) == ("三", "denied.state_secret", "natural_person")
    assert row["value"] == str(200 + keys.index(row["key"]))  # integral floats as integers
    assert json.loads(row["src"]) == {"table_idx": 0, "row_idx": keys.index(row["key"]), "col_idx": 1}
    assert row["capture_url"] == "http://www.wuxing.gov.cn/attach/2023.pdf"  # the attachment is the source
    assert row["fetched_at"] == (T0 + timedelta(days=30)).isoformat()
    assert row["parser_version"] == "test-1"
    assert row["format_version"] == "gov2021" and row["region_code"] == "330502" and row["level"] == "county"
    assert len(row["sha256"]) == 64


def test_blank_values_stay_null_in_every_format(store: Store, tmp_path: Path) -> None:
    result = synthetic_result(agency=WUXING, stat_year=2023, keys=["review.upheld", "review.total"])
    result["cells"]["review.upheld"].update(value=None, raw="—", flag="dash")
    with store.Session() as s, s.begin():
        add_report(s, store.blobs, agency=WUXING, year=2023, result=result)
    for fmt in FORMATS:
        path = tmp_path / f"cells.{fmt}"
        with read_session(store) as session:
            export(session, "cells", fmt, path)
        frame = _read(path, fmt)
        dash = frame[frame["key"] == "review.upheld"].iloc[0]
        assert dash["flag"] == "dash" and dash["raw"] == "—"
        assert dash["value"] in ("", None) or (isinstance(dash["value"], float) and math.isnan(dash["value"]))


def test_reports_row(filled: tuple[Store, dict], tmp_path: Path) -> None:
    store, _ = filled
    path = tmp_path / "reports.parquet"
    with read_session(store) as session:
        export(session, "reports", "parquet", path)
    frame = pd.read_parquet(path).set_index(["agency", "stat_year"])
    wuxing = frame.loc[(WUXING, 2023)]
    assert wuxing["version_count"] == 2
    assert wuxing["first_seen"] == pd.Timestamp(T0)
    assert wuxing["current_since"] == pd.Timestamp(T0 + timedelta(days=30))
    assert wuxing["source_url"] == "http://www.wuxing.gov.cn/attach/2023.pdf"
    assert not wuxing["late"]  # a department, published 10 Jan
    assert wuxing["n_cells"] == len(schema.leaf_keys(schema.GOV2021))
    haishu = frame.loc[(HAISHU, 2023)]
    assert haishu["late"]  # a government publishing on 2 April misses 31 March
    assert haishu["n_checks_failed"] == 1 and haishu["failed_rules"] == "T3-BAL"
    assert str(haishu["published_date"]) == "2024-04-02"
    assert frame.loc[(WUXING, 2022)]["version_count"] == 1


def test_filters(filled: tuple[Store, dict], tmp_path: Path) -> None:
    store, facts = filled
    n = facts["gov2021_cells"]

    def count(selection: Selection) -> int:
        path = tmp_path / "f.jsonl"
        with read_session(store) as session:
            written = export(session, "cells", "jsonl", path, selection)
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert len(rows) == written
        return written

    assert count(Selection(years=frozenset({2023}))) == 2 * n
    assert count(Selection(region_prefix="3305")) == 2 * n  # Huzhou: Wuxing only
    assert count(Selection(region_prefix="33")) == 3 * n + facts["forged_cells"]
    assert count(Selection(agency_ids=_ids(store, HAISHU), years=frozenset({2022}))) == facts["forged_cells"]
    assert count(Selection(region_prefix="11")) == 0


def test_checks_export_lists_cross_year_checks(filled: tuple[Store, dict], tmp_path: Path) -> None:
    store, _ = filled
    with store.Session() as s, s.begin():
        assert refresh_all_cross_year_checks(s) == 2  # Wuxing 2022→2023 and Haishu 2022→2023
    path = tmp_path / "checks.jsonl"
    with read_session(store) as session:
        export(session, "checks", "jsonl", path, Selection(agency_ids=_ids(store, WUXING)))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    cross = [r for r in rows if r["check_type"] == "cross_year"]
    assert cross and all(r["prev_year"] == 2022 and r["stat_year"] == 2023 for r in cross)
    assert {r["rule"] for r in cross} >= {"T3-XYEAR"}
    assert all(k.startswith(("prev:", "applications.", "active.")) for r in cross for k in r["keys"])


def test_captures_filtered_by_report(filled: tuple[Store, dict], tmp_path: Path) -> None:
    store, _ = filled
    path = tmp_path / "captures.csv"
    with read_session(store) as session:
        export(
            session,
            "captures",
            "csv",
            path,
            Selection(agency_ids=_ids(store, WUXING), years=frozenset({2023})),
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert sorted(frame["capture_kind"]) == ["attachment", "detail", "detail"]
    assert sorted(frame["is_current"]) == ["false", "true", "true"]


def test_bad_arguments_are_named_errors(store: Store, tmp_path: Path) -> None:
    with read_session(store) as session:
        with pytest.raises(ExportError, match="unknown export"):
            export(session, "tables", "csv", tmp_path / "x.csv")
        with pytest.raises(ExportError, match="unknown format"):
            export(session, "cells", "xlsx", tmp_path / "x.xlsx")
        with pytest.raises(ExportError, match="directory"):
            export(session, "cells", "csv", tmp_path)


def _ids(store: Store, *names: str) -> tuple[int, ...]:
    with store.Session() as s:
        return tuple(find_agency(s, n).id for n in names)


# --- the data dictionary ---------------------------------------------------------------------------


def test_data_dictionary_is_current_and_complete() -> None:
    text = (PROJECT_ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert text == data_dictionary(), (
        "regenerate: .venv/bin/python -m storage.exporters > docs/data-dictionary.md"
    )
    for spec in EXPORTS.values():
        section = text.split(f"## `{spec.name}`", 1)[1].split("\n## ", 1)[0]
        for column in spec.columns:
            assert f"| `{column.name}` | {column.type} |" in section, (spec.name, column.name)


# --- streaming -------------------------------------------------------------------------------------


def _big_store(store: Store, reports: int = 30) -> int:
    """`reports` reports of 200 cells, each cell's raw text 1 kB: ~6 MB of row data."""
    with store.Session() as s, s.begin():
        for i in range(reports):
            result = synthetic_result(agency=f"测试县第{i}局", stat_year=2023, start=i * 1000)
            for cell in result["cells"].values():
                cell["raw"] = f"{cell['value']}" + "注" * 340  # 1 kB of UTF-8
            add_report(s, store.blobs, agency=f"测试县第{i}局", year=2023, result=result)
    return reports * len(schema.leaf_keys(schema.GOV2021))


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_export_streams_with_flat_memory(store: Store, tmp_path: Path) -> None:
    cells = _big_store(store)
    assert cells == 6000

    def everything() -> None:
        with read_session(store) as session:
            rows = list(iter_cell_rows(session, batch=100_000))
            assert len(rows) == cells

    loaded = _peak(everything)
    for fmt in ("csv", "jsonl"):
        path = tmp_path / f"big.{fmt}"

        def stream(fmt: str = fmt, path: Path = path) -> None:
            with read_session(store) as session:
                assert export(session, "cells", fmt, path, batch=250) == cells

        streamed = _peak(stream)
        assert path.stat().st_size > 6_000_000
        # Loading the result holds ~6 MB of rows; streaming holds one batch of 250 (~0.3 MB) plus
        # the machinery. A quarter of the loaded peak fails whenever rows are accumulated.
        assert streamed < loaded / 4, (fmt, streamed, loaded)

    path = tmp_path / "big.parquet"
    with read_session(store) as session:
        assert export(session, "cells", "parquet", path, batch=1000) == cells
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == cells and meta.num_row_groups == 6  # written batch by batch


# --- the command -----------------------------------------------------------------------------------


def _crawler(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_crawler(data_dir, *args, columns=200)


def test_export_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with open_store(
        resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}")
    ) as st:
        _fill(st)
    out = tmp_path / "out" / "cells.parquet"
    done = _crawler(
        data_dir,
        "export",
        "--what",
        "cells",
        "--format",
        "parquet",
        "-o",
        str(out),
        "--year",
        "2023",
        "--region",
        "3305",
    )
    assert done.returncode == 0, done.stderr
    assert f"wrote {len(schema.leaf_keys(schema.GOV2021))} cells rows" in done.stdout
    assert set(pd.read_parquet(out)["agency"]) == {WUXING}

    bad = _crawler(data_dir, "export", "--what", "cells", "-o", str(out), "--agency", "不存在局")
    assert bad.returncode == 1 and bad.stderr.startswith("error: no agency named '不存在局'")
    assert "Traceback" not in bad.stderr
    bad = _crawler(data_dir, "export", "--what", "tables", "-o", str(out))
    assert bad.returncode == 1 and "choose one of cells, reports, checks, captures" in bad.stderr
    bad = _crawler(data_dir, "export", "--what", "cells", "-o", str(out), "--year", "20x3")
    assert bad.returncode == 1 and "not understood" in bad.stderr
