"""Read queries of the researcher tools (``export``, ``coverage``, ``history``) and the cross-year checks.

Same rules as `storage.repository`: every function takes a `Session` first and never commits; the
caller owns the transaction. Why a module of its own: these are many, read-mostly and shaped for the
tools (wide rows joined across the whole schema), while the repository is the write path.

Streaming: the ``iter_*_rows`` functions return generators over ``session.execute(…)`` with
``yield_per`` — a server-side cursor on PostgreSQL (psycopg), SQLite's own incremental cursor — so an
export of millions of cells holds one batch in memory, never the result. Rows are
`sqlalchemy.RowMapping`s keyed by the labels documented at each function.

"Current" everywhere means the current version of a report and that version's current parse result:
what the archive believes the report says now. History (`report_versions`) reads every version.

The *source capture* of a version — the one document whose URL, digest and fetch time the exports
name — is its attachment if it has one (portals publish the tables in the attached file), else an
imported file, else the detail page; the lowest id among equals (`_source_capture`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, and_, case, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import aggregate_strings

from storage.db import Store
from storage.models import (
    Agency,
    Capture,
    Cell,
    CheckResult,
    CrawlRun,
    CrossYearCheck,
    ParseResult,
    Report,
    ReportVersion,
    report_version_captures,
)
from storage.selection import Selection
from storage.types import utcnow

DEFAULT_BATCH = 2000
"""Rows fetched per round trip while streaming (and the memory an export holds at once)."""
SOURCE_KIND_ORDER = ("attachment", "import", "detail")
"""Which capture of a version names its source, best first (see the module docstring)."""


# --- shared pieces ---------------------------------------------------------------------------------


def _select_where(query: Select[Any], selection: Selection | None) -> Select[Any]:
    """Apply a `Selection` to a query that already joins `Report` and `Agency`."""
    if selection is None:
        return query
    if selection.years is not None:
        query = query.where(Report.stat_year.in_(sorted(selection.years)))
    if selection.region_prefix:
        query = query.where(Agency.region_code.like(f"{selection.region_prefix}%"))
    if selection.agency_ids is not None:
        query = query.where(Agency.id.in_(selection.agency_ids))
    return query


def _source_capture():
    """A subquery: for each current version, its source capture (``rn = 1``) — url, sha256, fetched_at."""
    rvc = report_version_captures
    priority = case(
        *((Capture.kind == kind, n) for n, kind in enumerate(SOURCE_KIND_ORDER)), else_=len(SOURCE_KIND_ORDER)
    )
    rank = func.row_number().over(partition_by=rvc.c.version_id, order_by=(priority, Capture.id))
    return (
        select(
            rvc.c.version_id.label("version_id"),
            Capture.url.label("url"),
            Capture.sha256.label("sha256"),
            Capture.fetched_at.label("fetched_at"),
            rank.label("rn"),
        )
        .join(Capture, Capture.id == rvc.c.capture_id)
        .join(ReportVersion, and_(ReportVersion.id == rvc.c.version_id, ReportVersion.is_current))
        .subquery("source_capture")
    )


def _current_reports(*columns: Any) -> Select[Any]:
    """``SELECT columns FROM reports ⋈ agencies ⋈ current version ⋈ current parse result``."""
    return (
        select(*columns)
        .select_from(Report)
        .join(Agency, Agency.id == Report.agency_id)
        .join(ReportVersion, and_(ReportVersion.report_id == Report.id, ReportVersion.is_current))
        .join(ParseResult, and_(ParseResult.version_id == ReportVersion.id, ParseResult.is_current))
    )


_REPORT_COLUMNS = (
    Report.id.label("report_id"),
    ReportVersion.id.label("version_id"),
    Agency.name.label("agency"),
    Agency.region_code.label("region_code"),
    Agency.level.label("level"),
    Agency.kind.label("agency_kind"),
    Report.stat_year.label("stat_year"),
    Report.scope.label("scope"),
    ParseResult.format_version.label("format_version"),
    ParseResult.parser_version.label("parser_version"),
)


def _stream(session: Session, query: Select[Any], batch: int) -> Iterator[Mapping[str, Any]]:
    result = session.execute(query, execution_options={"yield_per": batch})
    try:
        yield from result.mappings()
    finally:
        result.close()  # a consumer that stops early must not leave a server-side cursor open


# --- exports ---------------------------------------------------------------------------------------


def iter_cell_rows(
    session: Session, selection: Selection | None = None, *, batch: int = DEFAULT_BATCH
) -> Iterator[Mapping[str, Any]]:
    """Every cell of every current parse result, with its report, agency and source capture.

    Labels: report_id, version_id, agency, region_code, level, agency_kind, stat_year, scope,
    format_version, parser_version, key, raw, value, flag, unit, src (dict), capture_url, sha256,
    fetched_at. Ordered by agency, year, scope, then the cell's insertion order (table order).
    """
    source = _source_capture()
    query = (
        _current_reports(
            *_REPORT_COLUMNS,
            Cell.key.label("key"),
            Cell.raw.label("raw"),
            Cell.value.label("value"),
            Cell.flag.label("flag"),
            Cell.unit.label("unit"),
            Cell.src.label("src"),
            source.c.url.label("capture_url"),
            source.c.sha256.label("sha256"),
            source.c.fetched_at.label("fetched_at"),
        )
        .join(Cell, Cell.parse_result_id == ParseResult.id)
        .outerjoin(source, and_(source.c.version_id == ReportVersion.id, source.c.rn == 1))
        .order_by(Agency.name, Report.stat_year, Report.scope, Cell.id)
    )
    return _stream(session, _select_where(query, selection), batch)


def iter_report_rows(
    session: Session, selection: Selection | None = None, *, batch: int = DEFAULT_BATCH
) -> Iterator[Mapping[str, Any]]:
    """One row per report with a current version (parsed or not).

    Labels: the report columns of `iter_cell_rows` (format/parser version null when never parsed),
    meta (the parse result's ``report`` dict: title, published_date, …), version_count, first_seen
    (earliest version), current_since and last_seen (current version), source_url, n_cells,
    n_checks_failed, failed_rules (``;``-joined, unordered, possibly repeated — tidy in the caller).
    """
    source = _source_capture()
    versions = aliased(ReportVersion)
    n_versions = select(func.count(versions.id)).where(versions.report_id == Report.id).scalar_subquery()
    first_seen = (
        select(func.min(versions.first_seen)).where(versions.report_id == Report.id).scalar_subquery()
    )
    n_cells = select(func.count(Cell.id)).where(Cell.parse_result_id == ParseResult.id).scalar_subquery()
    failed = (CheckResult.parse_result_id == ParseResult.id, CheckResult.status == "FAIL")
    n_failed = select(func.count(CheckResult.id)).where(*failed).scalar_subquery()
    failed_rules = select(aggregate_strings(CheckResult.rule, ";")).where(*failed).scalar_subquery()
    query = (
        select(
            *_REPORT_COLUMNS,
            ParseResult.report.label("meta"),
            n_versions.label("version_count"),
            first_seen.label("first_seen"),
            ReportVersion.first_seen.label("current_since"),
            ReportVersion.last_seen.label("last_seen"),
            source.c.url.label("source_url"),
            n_cells.label("n_cells"),
            n_failed.label("n_checks_failed"),
            failed_rules.label("failed_rules"),
        )
        .select_from(Report)
        .join(Agency, Agency.id == Report.agency_id)
        .join(ReportVersion, and_(ReportVersion.report_id == Report.id, ReportVersion.is_current))
        .outerjoin(ParseResult, and_(ParseResult.version_id == ReportVersion.id, ParseResult.is_current))
        .outerjoin(source, and_(source.c.version_id == ReportVersion.id, source.c.rn == 1))
        .order_by(Agency.name, Report.stat_year, Report.scope)
    )
    return _stream(session, _select_where(query, selection), batch)


def iter_check_rows(
    session: Session, selection: Selection | None = None, *, batch: int = DEFAULT_BATCH
) -> Iterator[Mapping[str, Any]]:
    """Every consistency check of every current parse result, then every stored cross-year check
    whose two parse results are both current.

    Labels: the report columns of `iter_cell_rows`, parse_result_id, check_type (``report`` or
    ``cross_year``), prev_year (cross-year only), rule, status, severity and message (cross-year only:
    the report checks store neither), left, right, delta, keys (list), kind.
    """
    own = (
        _current_reports(
            *_REPORT_COLUMNS,
            ParseResult.id.label("parse_result_id"),
            CheckResult.rule.label("rule"),
            CheckResult.status.label("status"),
            CheckResult.left.label("left"),
            CheckResult.right.label("right"),
            CheckResult.delta.label("delta"),
            CheckResult.keys.label("keys"),
            CheckResult.kind.label("kind"),
        )
        .join(CheckResult, CheckResult.parse_result_id == ParseResult.id)
        .order_by(Agency.name, Report.stat_year, Report.scope, CheckResult.id)
    )
    for row in _stream(session, _select_where(own, selection), batch):
        yield {**row, "check_type": "report", "prev_year": None, "severity": None, "message": None}

    prev_parse, prev_version, prev_report = aliased(ParseResult), aliased(ReportVersion), aliased(Report)
    cross = (
        _current_reports(
            *_REPORT_COLUMNS,
            ParseResult.id.label("parse_result_id"),
            prev_report.stat_year.label("prev_year"),
            CrossYearCheck.rule.label("rule"),
            CrossYearCheck.status.label("status"),
            CrossYearCheck.severity.label("severity"),
            CrossYearCheck.message.label("message"),
            CrossYearCheck.left.label("left"),
            CrossYearCheck.right.label("right"),
            CrossYearCheck.delta.label("delta"),
            CrossYearCheck.keys.label("keys"),
            CrossYearCheck.kind.label("kind"),
        )
        .join(CrossYearCheck, CrossYearCheck.parse_result_id == ParseResult.id)
        .join(prev_parse, and_(prev_parse.id == CrossYearCheck.prev_parse_result_id, prev_parse.is_current))
        .join(prev_version, and_(prev_version.id == prev_parse.version_id, prev_version.is_current))
        .join(prev_report, prev_report.id == prev_version.report_id)
        .order_by(Agency.name, Report.stat_year, Report.scope, CrossYearCheck.id)
    )
    for row in _stream(session, _select_where(cross, selection), batch):
        yield {**row, "check_type": "cross_year"}


def iter_capture_rows(
    session: Session, selection: Selection | None = None, *, batch: int = DEFAULT_BATCH
) -> Iterator[Mapping[str, Any]]:
    """One row per capture and report version it carries (captures carrying no report — list pages,
    robots.txt — once, with empty report columns; left out when any filter is given).

    Labels: capture_id, url, final_url, http_status, content_type, size, sha256, capture_kind,
    fetched_at, last_fetched_at, fetch_count, crawl_run_id, crawl_profile, version_id, is_current,
    report_id, agency, region_code, stat_year, scope.
    """
    rvc = report_version_captures
    query = (
        select(
            Capture.id.label("capture_id"),
            Capture.url.label("url"),
            Capture.final_url.label("final_url"),
            Capture.http_status.label("http_status"),
            Capture.content_type.label("content_type"),
            Capture.size.label("size"),
            Capture.sha256.label("sha256"),
            Capture.kind.label("capture_kind"),
            Capture.fetched_at.label("fetched_at"),
            Capture.last_fetched_at.label("last_fetched_at"),
            Capture.fetch_count.label("fetch_count"),
            Capture.crawl_run_id.label("crawl_run_id"),
            CrawlRun.profile.label("crawl_profile"),
            ReportVersion.id.label("version_id"),
            ReportVersion.is_current.label("is_current"),
            Report.id.label("report_id"),
            Agency.name.label("agency"),
            Agency.region_code.label("region_code"),
            Report.stat_year.label("stat_year"),
            Report.scope.label("scope"),
        )
        .select_from(Capture)
        .outerjoin(CrawlRun, CrawlRun.id == Capture.crawl_run_id)
        .outerjoin(rvc, rvc.c.capture_id == Capture.id)
        .outerjoin(ReportVersion, ReportVersion.id == rvc.c.version_id)
        .outerjoin(Report, Report.id == ReportVersion.report_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .order_by(Capture.id, ReportVersion.id)
    )
    return _stream(session, _select_where(query, selection), batch)


# --- coverage --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgencyRow:
    """An agency as the coverage matrix lists it."""

    id: int
    name: str
    region_code: str | None
    level: str | None
    kind: str | None


@dataclass(frozen=True, slots=True)
class ReportFact:
    """What coverage needs to know about one report: is it parsed, into how many cells, published when."""

    agency_id: int
    stat_year: int
    scope: str
    parsed: bool
    format_version: str | None
    n_cells: int
    published_date: str | None


def coverage_agencies(session: Session, selection: Selection | None = None) -> list[AgencyRow]:
    """The agencies a coverage matrix has rows for (region and agency filters apply), by name."""
    query = select(Agency.id, Agency.name, Agency.region_code, Agency.level, Agency.kind).order_by(
        Agency.name
    )
    if selection is not None and selection.region_prefix:
        query = query.where(Agency.region_code.like(f"{selection.region_prefix}%"))
    if selection is not None and selection.agency_ids is not None:
        query = query.where(Agency.id.in_(selection.agency_ids))
    return [AgencyRow(*row) for row in session.execute(query)]


def coverage_facts(session: Session, selection: Selection | None = None) -> list[ReportFact]:
    """One `ReportFact` per report with a current version in the selection (years, region, agencies)."""
    n_cells = select(func.count(Cell.id)).where(Cell.parse_result_id == ParseResult.id).scalar_subquery()
    query = (
        select(
            Report.agency_id,
            Report.stat_year,
            Report.scope,
            ParseResult.id,
            ParseResult.format_version,
            n_cells,
            ParseResult.report,
        )
        .select_from(Report)
        .join(Agency, Agency.id == Report.agency_id)
        .join(ReportVersion, and_(ReportVersion.report_id == Report.id, ReportVersion.is_current))
        .outerjoin(ParseResult, and_(ParseResult.version_id == ReportVersion.id, ParseResult.is_current))
        .order_by(Report.agency_id, Report.stat_year, Report.scope)
    )
    facts = []
    for agency_id, year, scope, parse_id, fmt, cells, meta in session.execute(
        _select_where(query, selection)
    ):
        published = (meta or {}).get("published_date") if parse_id is not None else None
        facts.append(
            ReportFact(
                agency_id=agency_id,
                stat_year=year,
                scope=scope,
                parsed=parse_id is not None,
                format_version=fmt,
                n_cells=int(cells or 0) if parse_id is not None else 0,
                published_date=published if isinstance(published, str) else None,
            )
        )
    return facts


def report_years(session: Session) -> tuple[int, int] | None:
    """The first and last statistical year the store holds a report for (None for an empty store)."""
    first, last = session.execute(select(func.min(Report.stat_year), func.max(Report.stat_year))).one()
    return None if first is None else (int(first), int(last))


def latest_crawl_runs(session: Session) -> list[CrawlRun]:
    """The most recent crawl run of each profile (the one whose errors say how the portal is now)."""
    newest = (
        select(CrawlRun.profile, func.max(CrawlRun.started_at).label("started_at"))
        .group_by(CrawlRun.profile)
        .subquery()
    )
    runs = session.scalars(
        select(CrawlRun)
        .join(newest, and_(newest.c.profile == CrawlRun.profile, newest.c.started_at == CrawlRun.started_at))
        .order_by(CrawlRun.profile, CrawlRun.id.desc())
    )
    latest: dict[str, CrawlRun] = {}
    for run in runs:
        latest.setdefault(run.profile, run)  # two runs started at the same instant: the later id wins
    return list(latest.values())


# --- history ---------------------------------------------------------------------------------------


def parse_cells(session: Session, parse_result_id: int) -> dict[str, dict[str, Any]]:
    """The cells of one parse result as the ``parse --json`` ``cells`` object (key → value, raw, flag,
    unit, src), in insertion order."""
    rows = session.execute(
        select(Cell.key, Cell.value, Cell.raw, Cell.flag, Cell.unit, Cell.src)
        .where(Cell.parse_result_id == parse_result_id)
        .order_by(Cell.id)
    )
    return {
        key: {"value": value, "raw": raw, "flag": flag, "unit": unit, "src": dict(src or {})}
        for key, value, raw, flag, unit, src in rows
    }


def report_for(session: Session, agency_id: int, stat_year: int, scope: str) -> Report | None:
    """The report of (agency, year, scope), if the store has one."""
    return session.scalars(
        select(Report).where(
            Report.agency_id == agency_id, Report.stat_year == stat_year, Report.scope == scope
        )
    ).first()


def reports_of(session: Session, agency_id: int, stat_year: int) -> list[Report]:
    """The reports of an agency for a year, one per scope, ``agency`` scope first."""
    reports = session.scalars(
        select(Report).where(Report.agency_id == agency_id, Report.stat_year == stat_year).order_by(Report.id)
    )
    return sorted(reports, key=lambda r: (r.scope != "agency", r.scope))


def current_parse_of(session: Session, report: Report) -> ParseResult | None:
    """The current parse result of the current version of `report` (None if unparsed)."""
    return session.scalars(
        select(ParseResult)
        .join(ReportVersion, ReportVersion.id == ParseResult.version_id)
        .where(ReportVersion.report_id == report.id, ReportVersion.is_current, ParseResult.is_current)
    ).first()


def version_captures(session: Session, version_id: int) -> list[Capture]:
    """The captures a version's content came from, by id."""
    return list(
        session.scalars(
            select(Capture)
            .join(report_version_captures, report_version_captures.c.capture_id == Capture.id)
            .where(report_version_captures.c.version_id == version_id)
            .order_by(Capture.id)
        )
    )


# --- cross-year checks -----------------------------------------------------------------------------


def stored_cross_year_checks(
    session: Session, parse_result_id: int, prev_parse_result_id: int
) -> list[CrossYearCheck]:
    """The cross-year results stored for the pair (year N parse, year N−1 parse), in rule order."""
    return list(
        session.scalars(
            select(CrossYearCheck)
            .where(
                CrossYearCheck.parse_result_id == parse_result_id,
                CrossYearCheck.prev_parse_result_id == prev_parse_result_id,
            )
            .order_by(CrossYearCheck.id)
        )
    )


def _table_versions(parsed: ParseResult) -> dict[str, str]:
    meta = parsed.report or {}
    return {
        name: str(meta[f"{name}_version"])
        for name in ("table2", "table3")
        if isinstance(meta.get(f"{name}_version"), str)
    }


def record_cross_year_checks(
    session: Session, parsed: ParseResult, prev_parsed: ParseResult, *, force: bool = False
) -> list[CrossYearCheck]:
    """Compute `parsers.checks.run_cross_year_checks` for year N (`parsed`) against year N−1
    (`prev_parsed`) and store the results, replacing what the pair had. Returns the stored rows.

    Without `force` a pair whose results are newer than both parse results is left as it is (the
    stored rows are returned): a parse result re-recorded in place moves its ``created_at`` and so
    makes its pair stale.
    """
    from parsers.checks import run_cross_year_checks

    existing = stored_cross_year_checks(session, parsed.id, prev_parsed.id)
    newest_parse = max(parsed.created_at, prev_parsed.created_at)
    if existing and not force and min(c.computed_at for c in existing) >= newest_parse:
        return existing
    for row in existing:
        session.delete(row)
    session.flush()
    results = run_cross_year_checks(
        parse_cells(session, prev_parsed.id),
        parse_cells(session, parsed.id),
        prev_table_versions=_table_versions(prev_parsed),
        table_versions=_table_versions(parsed),
    )
    now = max(utcnow(), newest_parse)
    rows = []
    for result in results:
        d = result.to_dict()
        rows.append(
            CrossYearCheck(
                parse_result_id=parsed.id,
                prev_parse_result_id=prev_parsed.id,
                rule=d["rule"],
                status=d["status"],
                severity=d.get("severity"),
                left=_float(d.get("left")),
                right=_float(d.get("right")),
                delta=_float(d.get("delta")),
                keys=list(d.get("keys") or []),
                kind=d.get("kind"),
                message=str(d.get("message") or ""),
                computed_at=now,
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class CrossYearPair:
    """Year N−1 and year N of one agency and scope, both parsed, and their stored checks."""

    prev_report: Report
    report: Report
    prev_parse: ParseResult
    parse: ParseResult
    checks: list[CrossYearCheck]


def refresh_cross_year_checks(
    session: Session, report: Report, *, force: bool = False, compute: bool = True
) -> list[CrossYearPair]:
    """Bring the cross-year checks that involve `report` up to date: the pair (N−1, N) and the pair
    (N, N+1) of its agency and scope, for whichever neighbour year is present and parsed.

    Call it after `storage.repository.record_parse` of a report (the crawl pipeline) or before
    showing a report's history. Returns the pairs, earlier pair first. With ``compute=False`` nothing
    is computed or written: the pairs come with whatever checks are stored.
    """
    pairs = []
    parsed = current_parse_of(session, report)
    if parsed is None:
        return []
    for other_year in (report.stat_year - 1, report.stat_year + 1):
        other = report_for(session, report.agency_id, other_year, report.scope)
        other_parsed = current_parse_of(session, other) if other is not None else None
        if other is None or other_parsed is None:
            continue
        if other_year < report.stat_year:
            prev_r, now_r, prev_p, now_p = other, report, other_parsed, parsed
        else:
            prev_r, now_r, prev_p, now_p = report, other, parsed, other_parsed
        if compute:
            checks = record_cross_year_checks(session, now_p, prev_p, force=force)
        else:  # read-only: what is stored (possibly nothing, possibly stale)
            checks = stored_cross_year_checks(session, now_p.id, prev_p.id)
        pairs.append(CrossYearPair(prev_r, now_r, prev_p, now_p, checks))
    return pairs


def refresh_all_cross_year_checks(
    session: Session, selection: Selection | None = None, *, force: bool = False
) -> int:
    """Refresh the (N−1, N) pairs of every report in `selection` that has a parsed previous year.
    Returns the number of pairs. For a backfill after an import or a reparse."""
    query = _current_reports(Report.id).order_by(Report.id)
    ids = list(session.scalars(_select_where(query, selection)))
    pairs = 0
    for report_id in ids:
        report = session.get(Report, report_id)
        if report is None:
            continue
        for pair in refresh_cross_year_checks(session, report, force=force):
            pairs += pair.report.id == report.id
    return pairs


# --- reading without holding the writers up --------------------------------------------------------


@contextmanager
def read_session(store: Store) -> Iterator[Session]:
    """A session for long reads (an export streaming for minutes) that does not hold writers up.

    The store's own SQLite engine opens every transaction with ``BEGIN IMMEDIATE`` (the write lock,
    see `storage.db`), which would stall a crawl for the length of an export. On SQLite this opens a
    separate, query-only engine whose reads run on WAL snapshots; on other backends it is the store's
    ordinary session (PostgreSQL readers never block writers).
    """
    url = store.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        with store.Session() as session:
            yield session
        return
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _query_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")

    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


# --- the archive sweep (``db verify``) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """A capture as the sweep names it to a person: enough to find it and fetch its bytes again."""

    id: int
    url: str
    kind: str
    sha256: str
    profile: str | None
    """The profile of the crawl run that fetched it (None for imports and reparse fetches)."""


def _digest_key(session: Session) -> Any:
    """`Capture.sha256` in byte order on every backend.

    Why: the sweep merges the digests from the database with the archive's files, which it walks in
    Python's (byte) order. SQLite compares text bytewise already; PostgreSQL uses the database's
    collation, which need not be bytewise, so the column is compared under ``COLLATE "C"`` there.
    """
    if session.get_bind().dialect.name == "postgresql":
        return Capture.sha256.collate("C")
    return Capture.sha256


def capture_totals(session: Session) -> tuple[int, int]:
    """(captures, distinct digests they refer to) — the sweep's progress totals."""
    row = session.execute(select(func.count(Capture.id), func.count(Capture.sha256.distinct()))).one()
    return int(row[0]), int(row[1])


def capture_digest_page(session: Session, after: str | None, limit: int) -> list[str]:
    """The next `limit` distinct capture digests greater than `after`, in byte order (keyset paging:
    each page is a short query, so a sweep of hours holds no transaction open)."""
    key = _digest_key(session)
    query = select(Capture.sha256).group_by(Capture.sha256).order_by(key).limit(limit)
    if after is not None:
        query = query.where(key > after)
    return list(session.scalars(query))


def captures_of_digests(session: Session, digests: Sequence[str]) -> dict[str, list[CaptureRef]]:
    """The captures whose bytes are each of `digests` (by id), with their crawl profile."""
    found: dict[str, list[CaptureRef]] = {digest: [] for digest in digests}
    if not digests:
        return found
    rows = session.execute(
        select(Capture.id, Capture.url, Capture.kind, Capture.sha256, CrawlRun.profile)
        .outerjoin(CrawlRun, CrawlRun.id == Capture.crawl_run_id)
        .where(Capture.sha256.in_(list(digests)))
        .order_by(Capture.id)
    )
    for row in rows:
        found[row.sha256].append(CaptureRef(row.id, row.url, row.kind, row.sha256, row.profile))
    return found


def digest_is_referenced(session: Session, sha256: str) -> bool:
    """Whether any capture refers to `sha256` now (re-checked just before an orphan is deleted)."""
    return session.scalar(select(Capture.id).where(Capture.sha256 == sha256).limit(1)) is not None


# --- copying a store table by table (``serve`` snapshots) -------------------------------------------


def table_row_count(session: Session, table: Table) -> int:
    """How many rows `table` holds."""
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def iter_table_rows(
    session: Session, table: Table, *, batch: int = DEFAULT_BATCH
) -> Iterator[Mapping[str, Any]]:
    """Every row of `table` in primary-key order, streamed in batches, keyed by column name, values
    as the models' types return them (aware datetimes, decoded JSON) — ready to insert elsewhere."""
    return _stream(session, select(table).order_by(*table.primary_key.columns), batch)
