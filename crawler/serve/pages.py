"""What the report page and the report index show, read from the store in one read-only session.

Why separate from the routes: these are plain functions of a `Session` returning plain data (the routes
only run them in a thread and render the template), so they can be tested without a server. The version
history comes from `storage.history.report_history` (read-only: ``refresh=False``), the cells from
`storage.queries.parse_cells`, the rule texts from the rule tables of `parsers.checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from crawler.serve.layout import Tables, failing_keys, format_number, lay_out
from storage.models import Agency, CheckResult, ParseResult, Report, ReportVersion

SOURCE_KIND_ORDER = ("attachment", "import", "detail")
"""Which capture of a version is "the source" (as in `storage.queries`): the attachment, if any."""


@cache
def rule_texts() -> dict[str, str]:
    """Rule id → what it states, from the rule tables of `parsers.checks` (rules coded as functions,
    such as the non-negativity checks, have no entry)."""
    from parsers import checks

    texts: dict[str, str] = {}
    for name, value in vars(checks).items():
        if name.startswith("RULES_") and isinstance(value, tuple):
            for rule in value:
                if isinstance(rule, checks.Rule):
                    left, right = " + ".join(rule.left), " + ".join(rule.right)
                    text = rule.description or f"{left} {rule.op} {right}"
                    texts.setdefault(rule.id, f"{text} ({rule.section})")
    return texts


@dataclass(slots=True)
class CheckRow:
    """A consistency check as the page lists it."""

    rule: str
    status: str
    left: str
    right: str
    delta: str
    keys: list[str]
    kind: str | None
    text: str


@dataclass(slots=True)
class ReportPage:
    """Everything the report page renders."""

    version_id: int
    report_id: int
    agency: str
    agency_id: int
    stat_year: int
    scope: str
    is_current: bool
    content_hash: str
    meta: dict[str, Any]
    parse_id: int | None
    parser_version: str | None
    format_version: str | None
    parses: list[dict[str, Any]]
    tables: Tables | None
    counts: dict[str, int]
    failing: list[CheckRow]
    source: dict[str, Any] | None
    captures: list[dict[str, Any]]
    history: dict[str, Any] | None
    current_version_id: int | None = None
    warnings: list[str] = field(default_factory=list)


def _check_row(check: CheckResult) -> CheckRow:
    return CheckRow(
        rule=check.rule,
        status=check.status,
        left=format_number(check.left),
        right=format_number(check.right),
        delta=format_number(check.delta),
        keys=list(check.keys or []),
        kind=check.kind,
        text=rule_texts().get(check.rule, ""),
    )


def _capture_dict(capture: Any) -> dict[str, Any]:
    return {
        "id": getattr(capture, "id", None),
        "url": capture.url,
        "kind": capture.kind,
        "sha256": capture.sha256,
        "fetched_at": capture.fetched_at.isoformat(timespec="seconds"),
        "content_type": getattr(capture, "content_type", None),
        "size": getattr(capture, "size", None),
    }


def source_capture(captures: list[Any]) -> Any | None:
    """The capture that names a version's source (attachment, else import, else detail; lowest id)."""

    def rank(capture: Any) -> tuple[int, int]:
        kind = capture.kind
        order = SOURCE_KIND_ORDER.index(kind) if kind in SOURCE_KIND_ORDER else len(SOURCE_KIND_ORDER)
        return order, capture.id

    return min(captures, key=rank) if captures else None


def report_page(session: Session, version_id: int, parse_id: int | None = None) -> ReportPage | None:
    """The page of report version `version_id` with its current parse result (or parse `parse_id` of
    the same version); None if there is no such version (or parse of it)."""
    from storage.history import report_history
    from storage.queries import parse_cells, version_captures

    version = session.get(ReportVersion, version_id)
    if version is None:
        return None
    report = version.report
    agency = report.agency
    parses = list(
        session.scalars(
            select(ParseResult).where(ParseResult.version_id == version.id).order_by(ParseResult.id)
        )
    )
    if parse_id is None:
        parsed = next((p for p in parses if p.is_current), None)
    else:
        parsed = next((p for p in parses if p.id == parse_id), None)
        if parsed is None:
            return None

    captures = version_captures(session, version.id)
    source = source_capture(captures)
    cells: dict[str, dict[str, Any]] = {}
    checks: list[CheckResult] = []
    if parsed is not None:
        cells = parse_cells(session, parsed.id)
        checks = list(
            session.scalars(
                select(CheckResult).where(CheckResult.parse_result_id == parsed.id).order_by(CheckResult.id)
            )
        )
    meta = dict(parsed.report or {}) if parsed is not None else {}
    counts = {"PASS": 0, "FAIL": 0, "NOT_ASSESSABLE": 0}
    for check in checks:
        counts[check.status] = counts.get(check.status, 0) + 1
    check_dicts = [{"status": c.status, "keys": c.keys} for c in checks]
    tables = None
    if parsed is not None:
        tables = lay_out(
            cells,
            table2_version=meta.get("table2_version"),
            table3_version=meta.get("table3_version"),
            format_version=parsed.format_version,
            failing=failing_keys(check_dicts, cells),
        )

    histories = report_history(session, agency.name, report.stat_year, report.scope, refresh=False)
    history = histories[0].to_dict() if histories else None
    current = next((v for v in report.versions if v.is_current), None)
    return ReportPage(
        version_id=version.id,
        report_id=report.id,
        agency=agency.name,
        agency_id=agency.id,
        stat_year=report.stat_year,
        scope=report.scope,
        is_current=version.is_current,
        content_hash=version.content_hash,
        meta=meta,
        parse_id=parsed.id if parsed is not None else None,
        parser_version=parsed.parser_version if parsed is not None else None,
        format_version=parsed.format_version if parsed is not None else None,
        parses=[
            {
                "id": p.id,
                "parser_version": p.parser_version,
                "is_current": p.is_current,
                "created_at": p.created_at.isoformat(timespec="seconds"),
            }
            for p in parses
        ],
        tables=tables,
        counts=counts,
        failing=[_check_row(c) for c in checks if c.status == "FAIL"],
        source=_capture_dict(source) if source is not None else None,
        captures=[_capture_dict(c) for c in captures],
        history=history,
        current_version_id=current.id if current is not None else None,
        warnings=[] if parsed is not None else ["this version was never parsed"],
    )


def report_index(
    session: Session, *, year: int | None = None, query: str | None = None
) -> list[Mapping[str, Any]]:
    """The current version of every report (optionally of one statistical year, or whose agency name
    contains `query`), with its format and number of failed checks; by agency, then year."""
    failed = (
        select(CheckResult.parse_result_id, func.count().label("failed"))
        .where(CheckResult.status == "FAIL")
        .group_by(CheckResult.parse_result_id)
        .subquery()
    )
    stmt = (
        select(
            ReportVersion.id.label("version_id"),
            Agency.name.label("agency"),
            Report.stat_year.label("stat_year"),
            Report.scope.label("scope"),
            ParseResult.format_version.label("format_version"),
            ParseResult.parser_version.label("parser_version"),
            ReportVersion.last_seen.label("last_seen"),
            func.coalesce(failed.c.failed, 0).label("failed_checks"),
            (ParseResult.id.is_not(None)).label("parsed"),
        )
        .select_from(Report)
        .join(Agency, Agency.id == Report.agency_id)
        .join(ReportVersion, and_(ReportVersion.report_id == Report.id, ReportVersion.is_current))
        .outerjoin(ParseResult, and_(ParseResult.version_id == ReportVersion.id, ParseResult.is_current))
        .outerjoin(failed, failed.c.parse_result_id == ParseResult.id)
        .order_by(Agency.name, Report.stat_year, Report.scope)
    )
    if year is not None:
        stmt = stmt.where(Report.stat_year == year)
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Agency.name.like(f"%{escaped}%", escape="\\"))
    return [dict(row) for row in session.execute(stmt).mappings()]
