"""Streaming exports of the store for researchers: cells, reports, checks and captures as CSV, Parquet
or JSON Lines.

Why streaming: an archive of every agency's reports since 2008 holds tens of millions of cells. The
rows come from `storage.queries` with ``yield_per`` (a server-side cursor on PostgreSQL) and go to the
file as they come — CSV and JSONL row by row, Parquet one row group per batch through
`pyarrow.parquet.ParquetWriter` — so memory holds one batch whatever the archive's size.

Why specs as data: each export is an `ExportSpec` — its columns (name, type, meaning), the query that
feeds it and the function that shapes a query row into column values. The same specs write the files
and the data dictionary (`data_dictionary`, kept in ``docs/data-dictionary.md``), so the two cannot
drift apart.

Column types and how each format writes them:

========== ============================ ======================= ==========================
type        CSV                          JSONL                   Parquet
========== ============================ ======================= ==========================
string      text ("" for null)           string or null          string
int         digits                       number                  int64
float       shortest repr, 12 not 12.0   number                  float64
bool        true / false                 true / false            bool
timestamp   ISO 8601 with +00:00         ISO 8601 string         timestamp[us, UTC]
date        YYYY-MM-DD                   YYYY-MM-DD              date32
json        JSON text                    nested JSON             string (JSON text)
========== ============================ ======================= ==========================

A file is written to ``<path>.part`` and renamed when complete: an interrupted export never leaves a
file that looks whole.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from parsers.schema import T4_GROUPS, T4_PARENT
from storage.coverage import as_date, is_late
from storage.errors import StoreError
from storage.selection import Selection

FORMATS = ("csv", "parquet", "jsonl")
TYPES = ("string", "int", "float", "bool", "timestamp", "date", "json")
PARQUET_BATCH = 10_000
"""Rows per Parquet row group (and per streamed query batch)."""


class ExportError(StoreError):
    """An export that cannot be written: unknown table or format, unwritable path."""


# --- canonical key → table, row, column --------------------------------------------------------------

TABLE_ACTIVE = "二"
TABLE_APPLICATIONS = "三"
TABLE_REVIEW = "四"
TABLE_LEGACY = "legacy"
TABLE_OTHER = "other"
_T4_ROOTS = frozenset({T4_PARENT.key, *(g.key.split(".")[0] for g in T4_GROUPS)})
"""First segments of table 四 keys: ``review``, ``litigation``."""
LEGACY_COLUMN = "value"
"""The one value column of the legacy_2014 list-style table (统计数)."""


def split_key(key: str) -> tuple[str, str, str]:
    """A canonical key as (table, row, column) — the long format's coordinates.

    The column is the last segment; the row is what sits between the table prefix and the column:

    - table 二 ``active.fees.amount_wan`` → (二, ``fees``, ``amount_wan``);
    - table 三 ``applications.denied.state_secret.natural_person`` → (三, ``denied.state_secret``,
      ``natural_person``), ``applications.denied.subtotal.total`` → (三, ``denied.subtotal``, ``total``);
    - table 四 ``litigation.direct.total`` → (四, ``litigation.direct``, ``total``), ``review.upheld`` →
      (四, ``review``, ``upheld``) — the group prefix is kept, it is the row;
    - legacy_2014 ``legacy.apps.received.total`` → (legacy, ``apps.received.total``, ``value``): that
      table is a list of indicators with one value column, so the whole indicator is the row;
    - anything else → (other, all but the last segment, the last segment).
    """
    parts = key.split(".")
    head = parts[0]
    if head == "legacy" and len(parts) > 1:
        return TABLE_LEGACY, ".".join(parts[1:]), LEGACY_COLUMN
    if head == "active" and len(parts) >= 3:
        return TABLE_ACTIVE, ".".join(parts[1:-1]), parts[-1]
    if head == "applications" and len(parts) >= 3:
        return TABLE_APPLICATIONS, ".".join(parts[1:-1]), parts[-1]
    if head in _T4_ROOTS and len(parts) >= 2:
        return TABLE_REVIEW, ".".join(parts[:-1]), parts[-1]
    if len(parts) == 1:
        return TABLE_OTHER, "", key
    return TABLE_OTHER, ".".join(parts[:-1]), parts[-1]


# --- specs -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an export: its name, type (one of `TYPES`) and meaning (for the dictionary)."""

    name: str
    type: str
    doc: str

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: type must be one of {TYPES}, not {self.type!r}")


Rows = Callable[[Session, Selection | None, int], Iterator[Mapping[str, Any]]]
Shape = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ExportSpec:
    """One ``--what``: what a row is, its columns, the streaming query and the row shaper."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    rows: Rows
    shape: Shape

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


_REPORT_COLS = (
    Column("agency", "string", "Canonical name of the publishing agency (`agencies.name`)."),
    Column(
        "region_code",
        "string",
        "GB/T 2260 code of the agency's place (6 digits; towns carry their county's).",
    ),
    Column("level", "string", "Administrative level: national, province, city, county or town."),
    Column("stat_year", "int", "Statistical year the report covers (published in the following year)."),
    Column(
        "scope",
        "string",
        "Report scope: `agency` (its own work) or an aggregate such as `government_aggregate`.",
    ),
    Column(
        "format_version",
        "string",
        "Template era of the report as parsed: gov2021, gov2019, legacy_2014, legacy_2008 or unknown.",
    ),
)
_IDS = (
    Column("report_id", "int", "Id of the report (agency, year, scope) in the store; joins the exports."),
    Column("version_id", "int", "Id of the current report version (one per distinct published content)."),
)


def _report_part(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "agency": row["agency"],
        "region_code": row["region_code"],
        "level": row["level"],
        "stat_year": row["stat_year"],
        "scope": row["scope"],
        "format_version": row["format_version"],
        "report_id": row["report_id"],
        "version_id": row["version_id"],
    }


def _shape_cell(row: Mapping[str, Any]) -> dict[str, Any]:
    table, row_key, column_key = split_key(row["key"])
    return {
        **_report_part(row),
        "table": table,
        "row": row_key,
        "column": column_key,
        "key": row["key"],
        "raw": row["raw"],
        "value": row["value"],
        "flag": row["flag"],
        "unit": row["unit"],
        "src": row["src"] or {},
        "capture_url": row["capture_url"],
        "sha256": row["sha256"],
        "fetched_at": row["fetched_at"],
        "parser_version": row["parser_version"],
    }


def _shape_report(row: Mapping[str, Any]) -> dict[str, Any]:
    meta = row["meta"] or {}
    published = as_date(meta.get("published_date"))
    rules = sorted({r for r in (row["failed_rules"] or "").split(";") if r})
    return {
        **_report_part(row),
        "agency_kind": row["agency_kind"],
        "title": meta.get("title"),
        "published_date": published,
        "late": is_late(row["stat_year"], row["agency_kind"], published),
        "version_count": row["version_count"],
        "first_seen": row["first_seen"],
        "current_since": row["current_since"],
        "last_seen": row["last_seen"],
        "source_url": row["source_url"],
        "parser_version": row["parser_version"],
        "n_cells": row["n_cells"],
        "n_checks_failed": row["n_checks_failed"],
        "failed_rules": ";".join(rules),
    }


def _shape_check(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **_report_part(row),
        "parse_result_id": row["parse_result_id"],
        "parser_version": row["parser_version"],
        "check_type": row["check_type"],
        "prev_year": row["prev_year"],
        "rule": row["rule"],
        "status": row["status"],
        "severity": row["severity"],
        "left": row["left"],
        "right": row["right"],
        "delta": row["delta"],
        "keys": list(row["keys"] or []),
        "kind": row["kind"],
        "message": row["message"],
    }


def _shape_capture(row: Mapping[str, Any]) -> dict[str, Any]:
    return dict(row)


def _cell_rows(session: Session, selection: Selection | None, batch: int) -> Iterator[Mapping[str, Any]]:
    from storage.queries import iter_cell_rows

    return iter_cell_rows(session, selection, batch=batch)


def _report_rows(session: Session, selection: Selection | None, batch: int) -> Iterator[Mapping[str, Any]]:
    from storage.queries import iter_report_rows

    return iter_report_rows(session, selection, batch=batch)


def _check_rows(session: Session, selection: Selection | None, batch: int) -> Iterator[Mapping[str, Any]]:
    from storage.queries import iter_check_rows

    return iter_check_rows(session, selection, batch=batch)


def _capture_rows(session: Session, selection: Selection | None, batch: int) -> Iterator[Mapping[str, Any]]:
    from storage.queries import iter_capture_rows

    return iter_capture_rows(session, selection, batch=batch)


EXPORTS: dict[str, ExportSpec] = {
    spec.name: spec
    for spec in (
        ExportSpec(
            "cells",
            "The long format: one row per statistical cell of the current parse result of the current "
            "version of every report.",
            (
                *_REPORT_COLS,
                Column(
                    "table",
                    "string",
                    "Table of the cell: 二 (active disclosure), 三 (applications), "
                    "四 (review and litigation), legacy (the 2014–2018 统计表) or other.",
                ),
                Column(
                    "row",
                    "string",
                    "Row of the canonical key within its table (see `split_key`): "
                    "`fees`, `denied.state_secret`, `litigation.direct`, `apps.received.total`.",
                ),
                Column(
                    "column",
                    "string",
                    "Column of the canonical key: `amount_wan`, `natural_person`, "
                    "`total`; `value` for the legacy list table.",
                ),
                Column(
                    "key",
                    "string",
                    "The canonical key (format-spec §3–5, §8.2), e.g. "
                    "`applications.denied.state_secret.natural_person`.",
                ),
                Column(
                    "raw", "string", "The cell text as printed in the source (after whitespace clean-up)."
                ),
                Column(
                    "value",
                    "float",
                    "The number read from `raw`; null for blanks, dashes, slashes "
                    "and unreadable text — never a silent 0.",
                ),
                Column(
                    "flag", "string", "How the value was read: ok, blank, dash, slash, zero_text, derived, …"
                ),
                Column(
                    "unit",
                    "string",
                    "Unit of the value: 件, 项, 万元, …; null where the template prints none.",
                ),
                Column(
                    "src",
                    "json",
                    "Where the cell sits in the source document: table_idx, row_idx, "
                    "col_idx, path/page…; `derived_from` for derived cells.",
                ),
                Column(
                    "capture_url",
                    "string",
                    "URL of the version's source capture (attachment first, "
                    "else imported file, else detail page).",
                ),
                Column("sha256", "string", "sha256 of the source capture's bytes (the blob archive key)."),
                Column("fetched_at", "timestamp", "When the source capture was first fetched (UTC)."),
                Column("parser_version", "string", "Version of the parser that produced the cell."),
                *_IDS,
            ),
            _cell_rows,
            _shape_cell,
        ),
        ExportSpec(
            "reports",
            "One wide row per report (agency, year, scope) with a current version, parsed or not.",
            (
                *_REPORT_COLS,
                Column("agency_kind", "string", "government or department (decides the deadline)."),
                Column("title", "string", "Title of the report as parsed."),
                Column("published_date", "date", "Publication date as parsed; null if the page gave none."),
                Column(
                    "late",
                    "bool",
                    "Published after the statutory deadline (31 Jan of year+1 for "
                    "departments, 31 Mar for governments; 31 Mar for all up to 2018); null if undated.",
                ),
                Column("version_count", "int", "How many distinct contents of the report were seen."),
                Column("first_seen", "timestamp", "When any version of the report was first seen (UTC)."),
                Column("current_since", "timestamp", "When the current version was first seen (UTC)."),
                Column("last_seen", "timestamp", "When the current version was last seen (UTC)."),
                Column("source_url", "string", "URL of the current version's source capture."),
                Column(
                    "parser_version",
                    "string",
                    "Parser version of the current parse result; null if unparsed.",
                ),
                Column("n_cells", "int", "Number of cells in the current parse result (0 if unparsed)."),
                Column("n_checks_failed", "int", "Number of FAIL results among its consistency checks."),
                Column("failed_rules", "string", "Ids of the failed rules, sorted, `;`-separated."),
                *_IDS,
            ),
            _report_rows,
            _shape_report,
        ),
        ExportSpec(
            "checks",
            "One row per consistency check (format-spec §7) of every current parse result, then one per "
            "stored cross-year check whose two parse results are both current.",
            (
                *_REPORT_COLS,
                Column("parser_version", "string", "Parser version of the parse result checked."),
                Column(
                    "check_type",
                    "string",
                    "`report` (a rule within one report) or `cross_year` "
                    "(year N against N−1 of the same agency and scope).",
                ),
                Column("prev_year", "int", "For cross-year checks, the earlier year compared; else null."),
                Column("rule", "string", "Rule id, e.g. T3-BALANCE, T3-XYEAR."),
                Column("status", "string", "PASS, FAIL or NOT_ASSESSABLE."),
                Column(
                    "severity", "string", "T, S, R or H (cross-year checks only; null for report checks)."
                ),
                Column("left", "float", "Left-hand side of the relation as evaluated."),
                Column("right", "float", "Right-hand side of the relation as evaluated."),
                Column("delta", "float", "left − right."),
                Column("keys", "json", "Canonical keys the rule read (`prev:<key>` for the earlier year)."),
                Column("kind", "string", "For a FAIL: source_inconsistent or extraction_suspect."),
                Column("message", "string", "Explanation (cross-year checks only)."),
                Column("parse_result_id", "int", "Id of the parse result checked (year N for cross-year)."),
                *_IDS,
            ),
            _check_rows,
            _shape_check,
        ),
        ExportSpec(
            "captures",
            "One row per capture and report version it carries; captures carrying no report (list "
            "pages, robots.txt) appear once with empty report columns, and only in an unfiltered export.",
            (
                Column("capture_id", "int", "Id of the capture."),
                Column("url", "string", "URL requested (file:// for imports)."),
                Column("final_url", "string", "URL after redirects."),
                Column("http_status", "int", "HTTP status; null for imports."),
                Column("content_type", "string", "Content-Type as served."),
                Column("size", "int", "Size of the bytes in the archive."),
                Column("sha256", "string", "sha256 of the bytes (the blob archive key)."),
                Column(
                    "capture_kind", "string", "list, detail, attachment, import, robots, challenge or other."
                ),
                Column("fetched_at", "timestamp", "First fetch of these bytes from this URL (UTC)."),
                Column("last_fetched_at", "timestamp", "Latest fetch of the same bytes from this URL (UTC)."),
                Column("fetch_count", "int", "How many times these bytes were fetched from this URL."),
                Column("crawl_run_id", "int", "Crawl run that first fetched it; null for imports."),
                Column("crawl_profile", "string", "Portal profile of that crawl run."),
                Column("version_id", "int", "Report version this capture carries; null if none."),
                Column("is_current", "bool", "Whether that version is the report's current one."),
                Column("report_id", "int", "Report of that version."),
                Column("agency", "string", "Agency of that report."),
                Column("region_code", "string", "GB/T 2260 code of that agency."),
                Column("stat_year", "int", "Statistical year of that report."),
                Column("scope", "string", "Scope of that report."),
            ),
            _capture_rows,
            _shape_capture,
        ),
    )
}


# --- writers ---------------------------------------------------------------------------------------


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# Per-type converters, chosen once per column (not per value): the csv module writes None as "" and
# str()s ints itself, so strings and ints pass through.
_CSV_CONVERT: dict[str, Callable[[Any], Any] | None] = {
    "string": None,
    "int": None,
    "float": lambda v: None if v is None else str(_number(v)),
    "bool": lambda v: None if v is None else ("true" if v else "false"),
    "timestamp": lambda v: None if v is None else v.isoformat(),
    "date": lambda v: None if v is None else v.isoformat(),
    "json": lambda v: None if v is None else _json_text(v),
}
_JSON_CONVERT: dict[str, Callable[[Any], Any] | None] = {
    "string": None,
    "int": None,
    "float": lambda v: None if v is None else _number(v),
    "bool": None,
    "timestamp": lambda v: None if v is None else v.isoformat(),
    "date": lambda v: None if v is None else v.isoformat(),
    "json": None,
}


def _row_converter(
    columns: tuple[Column, ...], table: Mapping[str, Callable[[Any], Any] | None]
) -> Callable[[Mapping[str, Any]], list[Any]]:
    plan = [(c.name, table[c.type]) for c in columns]

    def convert(row: Mapping[str, Any]) -> list[Any]:
        return [row.get(name) if fn is None else fn(row.get(name)) for name, fn in plan]

    return convert


class _Writer:
    def __init__(self, fh: io.BufferedWriter, columns: tuple[Column, ...]) -> None:
        self.fh = fh
        self.columns = columns

    def write(self, rows: list[dict[str, Any]]) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass


class _CsvWriter(_Writer):
    """UTF-8 with a byte-order mark: Excel then reads the Chinese text; pandas and csv skip it."""

    def __init__(self, fh: io.BufferedWriter, columns: tuple[Column, ...]) -> None:
        super().__init__(fh, columns)
        self.text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
        self.csv = csv.writer(self.text)
        self.csv.writerow([c.name for c in columns])
        self.convert = _row_converter(columns, _CSV_CONVERT)

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.csv.writerows([self.convert(row) for row in rows])

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class _JsonlWriter(_Writer):
    def __init__(self, fh: io.BufferedWriter, columns: tuple[Column, ...]) -> None:
        super().__init__(fh, columns)
        self.names = [c.name for c in columns]
        self.convert = _row_converter(columns, _JSON_CONVERT)
        self.encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False)

    def write(self, rows: list[dict[str, Any]]) -> None:
        encode, names, convert = self.encoder.encode, self.names, self.convert
        text = "".join(encode(dict(zip(names, convert(row), strict=True))) + "\n" for row in rows)
        self.fh.write(text.encode("utf-8"))


def arrow_schema(columns: Iterable[Column]) -> Any:
    """The pyarrow schema of an export's columns (see the type table in the module docstring)."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "json": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
    }
    return pa.schema([pa.field(c.name, types[c.type], nullable=True) for c in columns])


class _ParquetWriter(_Writer):
    def __init__(self, fh: io.BufferedWriter, columns: tuple[Column, ...]) -> None:
        import pyarrow.parquet as pq

        super().__init__(fh, columns)
        self.schema = arrow_schema(columns)
        self.writer = pq.ParquetWriter(fh, self.schema, compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        data = {}
        for c in self.columns:
            values = [row.get(c.name) for row in rows]
            if c.type == "json":
                values = [None if v is None else _json_text(v) for v in values]
            elif c.type == "float":
                values = [None if v is None else float(v) for v in values]
            data[c.name] = values
        self.writer.write_batch(pa.RecordBatch.from_pydict(data, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


_WRITERS: dict[str, type[_Writer]] = {"csv": _CsvWriter, "jsonl": _JsonlWriter, "parquet": _ParquetWriter}


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def export(
    session: Session,
    what: str,
    fmt: str,
    path: str | Path,
    selection: Selection | None = None,
    *,
    batch: int = PARQUET_BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Stream the `what` export (a key of `EXPORTS`) of `selection` to `path` in `fmt` (one of
    `FORMATS`); returns the number of rows. `progress`, if given, is called with the running count
    after each batch. The file appears at `path` only once complete."""
    spec = EXPORTS.get(what)
    if spec is None:
        raise ExportError(f"unknown export {what!r}: choose one of {', '.join(EXPORTS)}")
    if fmt not in _WRITERS:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if batch < 1:
        raise ExportError(f"batch size must be at least 1, got {batch}")
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"cannot write the export to {path}: it is a directory; give a file name")
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = part.open("wb")
    except OSError as exc:
        raise ExportError(f"cannot write the export to {path}: {exc.strerror or exc}") from exc
    count = 0
    try:
        with fh:
            writer = _WRITERS[fmt](fh, spec.columns)
            rows = (spec.shape(row) for row in spec.rows(session, selection, batch))
            for chunk in _batches(rows, batch):
                writer.write(chunk)
                count += len(chunk)
                if progress is not None:
                    progress(count)
            writer.close()
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count


# --- the data dictionary ---------------------------------------------------------------------------


def _cell_text(text: str) -> str:
    return text.replace("|", "\\|")


def data_dictionary() -> str:
    """The Markdown data dictionary of every export (the text of ``docs/data-dictionary.md``)."""
    out = [
        "# Data dictionary of the exports",
        "",
        "Generated from `storage/exporters.py` (`EXPORTS`): regenerate with",
        "`.venv/bin/python -m storage.exporters > docs/data-dictionary.md` — a test keeps the two equal.",
        "",
        "`python -m crawler export --what cells|reports|checks|captures --format csv|parquet|jsonl -o PATH "
        "[--year …] [--region …] [--agency …]`",
        "",
        "Types and how each format writes them:",
        "",
        "| type | CSV (UTF-8 with BOM) | JSONL | Parquet |",
        "|---|---|---|---|",
        "| string | text (empty for null) | string or null | string |",
        "| int | digits | number | int64 |",
        "| float | shortest form, `12` not `12.0` | number | float64 |",
        "| bool | `true` / `false` | true / false | bool |",
        "| timestamp | ISO 8601, UTC (`+00:00`) | ISO 8601 string | timestamp[us, UTC] |",
        "| date | `YYYY-MM-DD` | `YYYY-MM-DD` | date32 |",
        "| json | JSON text | nested JSON | string (JSON text) |",
        "",
        '"Current" means the current version of a report and that version\'s current parse result. Filters: '
        "`--year` (repeatable; `2023` or `2019-2023`), `--region` (GB/T 2260 code prefix such as `33`, "
        "`3305`, `330502`, or a place name), `--agency` (canonical name or alias, repeatable).",
    ]
    for spec in EXPORTS.values():
        out += ["", f"## `{spec.name}`", "", spec.doc, "", "| column | type | meaning |", "|---|---|---|"]
        out += [f"| `{c.name}` | {c.type} | {_cell_text(c.doc)} |" for c in spec.columns]
    out += [
        "",
        "## Canonical key → table, row, column",
        "",
        "`cells.table`, `cells.row` and `cells.column` split the key (`storage.exporters.split_key`):",
        "",
        "| key | table | row | column |",
        "|---|---|---|---|",
    ]
    for key in (
        "active.fees.amount_wan",
        "applications.denied.state_secret.natural_person",
        "applications.denied.subtotal.total",
        "review.upheld",
        "litigation.direct.total",
        "legacy.apps.received.total",
    ):
        table, row, column = split_key(key)
        out.append(f"| `{key}` | {table} | `{row}` | `{column}` |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    print(data_dictionary(), end="")
