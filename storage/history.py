"""A report's history: its versions, what changed between them cell by cell, and its cross-year checks.

Why: agencies quietly re-publish corrected reports (a fixed total, a re-typed table, a PDF swapped for
a scan). A researcher citing a figure needs to see which versions existed, when each was seen and from
which URLs, and exactly which cells moved — and whether the report agrees with the year before
(format-spec §7.1/§7.3 cross-year rules, computed by `parsers.checks.run_cross_year_checks` and stored
by `storage.queries.record_cross_year_checks`).

The diff of two versions compares each version's *current* parse result. A cell changed when its raw
text, value or flag differs; a move in the source (``src``) alone is not a change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy.orm import Session

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True, slots=True)
class CellChange:
    """One cell that differs between two versions (old_* is None for an added cell, new_* for a removed)."""

    key: str
    change: str
    old_raw: str | None = None
    old_value: float | None = None
    old_flag: str | None = None
    new_raw: str | None = None
    new_value: float | None = None
    new_flag: str | None = None


def diff_cells(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> list[CellChange]:
    """The cells that differ between two ``cells`` objects (key → value, raw, flag, …): changed and
    added keys in `new`'s order, then removed keys in `old`'s order."""
    changes: list[CellChange] = []
    for key, cell in new.items():
        before = old.get(key)
        if before is None:
            changes.append(
                CellChange(
                    key,
                    ADDED,
                    new_raw=cell.get("raw"),
                    new_value=cell.get("value"),
                    new_flag=cell.get("flag"),
                )
            )
            continue
        if (before.get("raw"), before.get("value"), before.get("flag")) != (
            cell.get("raw"),
            cell.get("value"),
            cell.get("flag"),
        ):
            changes.append(
                CellChange(
                    key,
                    CHANGED,
                    before.get("raw"),
                    before.get("value"),
                    before.get("flag"),
                    cell.get("raw"),
                    cell.get("value"),
                    cell.get("flag"),
                )
            )
    for key, cell in old.items():
        if key not in new:
            changes.append(CellChange(key, REMOVED, cell.get("raw"), cell.get("value"), cell.get("flag")))
    return changes


@dataclass(frozen=True, slots=True)
class CaptureInfo:
    url: str
    kind: str
    sha256: str
    fetched_at: datetime


@dataclass(slots=True)
class VersionInfo:
    """One version of a report as `history` shows it."""

    id: int
    content_hash: str
    first_seen: datetime
    last_seen: datetime
    is_current: bool
    captures: list[CaptureInfo]
    parser_version: str | None = None
    format_version: str | None = None
    n_cells: int = 0
    published_date: str | None = None


@dataclass(slots=True)
class VersionDiff:
    """What changed from one version to the next (`note` says why there is no diff, if there is none)."""

    from_version: int
    to_version: int
    changes: list[CellChange] = field(default_factory=list)
    note: str = ""


@dataclass(slots=True)
class CrossYearInfo:
    """The cross-year checks of year `prev_year` → `year` of the same agency and scope."""

    prev_year: int
    year: int
    checks: list[dict[str, Any]]

    def counts(self) -> dict[str, int]:
        out = {"PASS": 0, "FAIL": 0, "NOT_ASSESSABLE": 0}
        for check in self.checks:
            out[check["status"]] = out.get(check["status"], 0) + 1
        return out


@dataclass(slots=True)
class ReportHistory:
    """Everything `history` says about one report (agency, year, scope)."""

    agency: str
    stat_year: int
    scope: str
    versions: list[VersionInfo]
    diffs: list[VersionDiff]
    cross_year: list[CrossYearInfo]

    def to_dict(self) -> dict[str, Any]:
        def plain(obj: Any) -> Any:
            if isinstance(obj, datetime):
                return obj.isoformat()
            if isinstance(obj, dict):
                return {k: plain(v) for k, v in obj.items()}
            if isinstance(obj, list | tuple):
                return [plain(v) for v in obj]
            return obj

        return plain(asdict(self))


class UnknownAgency(LookupError):
    """No agency of that name or alias in the store."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no agency named {name!r} (canonical name or alias) in the store")


def report_history(
    session: Session, agency_name: str, stat_year: int, scope: str | None = None, *, refresh: bool = True
) -> list[ReportHistory]:
    """The history of the agency's report(s) for `stat_year` — one `ReportHistory` per scope (or only
    `scope`), ``agency`` scope first. With `refresh` the cross-year checks of the report are brought
    up to date and stored first (`storage.queries.refresh_cross_year_checks`), which writes: run it in
    a unit of work that commits; without it the stored checks are shown as they are. Raises
    `UnknownAgency`."""
    from storage.queries import (
        parse_cells,
        refresh_cross_year_checks,
        reports_of,
        version_captures,
    )
    from storage.repository import current_parse, find_agency

    agency = find_agency(session, agency_name)
    if agency is None:
        raise UnknownAgency(agency_name)
    histories = []
    for report in reports_of(session, agency.id, stat_year):
        if scope is not None and report.scope != scope:
            continue
        versions = sorted(report.versions, key=lambda v: (v.first_seen, v.id))
        infos: list[VersionInfo] = []
        cells_of: dict[int, dict[str, dict[str, Any]] | None] = {}
        for version in versions:
            parsed = current_parse(session, version)
            cells = parse_cells(session, parsed.id) if parsed is not None else None
            cells_of[version.id] = cells
            meta = (parsed.report or {}) if parsed is not None else {}
            infos.append(
                VersionInfo(
                    id=version.id,
                    content_hash=version.content_hash,
                    first_seen=version.first_seen,
                    last_seen=version.last_seen,
                    is_current=version.is_current,
                    captures=[
                        CaptureInfo(c.url, c.kind, c.sha256, c.fetched_at)
                        for c in version_captures(session, version.id)
                    ],
                    parser_version=parsed.parser_version if parsed is not None else None,
                    format_version=parsed.format_version if parsed is not None else None,
                    n_cells=len(cells or {}),
                    published_date=meta.get("published_date"),
                )
            )
        diffs = []
        for before, after in pairwise(versions):
            old, new = cells_of[before.id], cells_of[after.id]
            if old is None or new is None:
                unparsed = before.id if old is None else after.id
                diffs.append(VersionDiff(before.id, after.id, note=f"version {unparsed} was never parsed"))
            else:
                diffs.append(VersionDiff(before.id, after.id, diff_cells(old, new)))
        cross = []
        for pair in refresh_cross_year_checks(session, report, compute=refresh):
            cross.append(
                CrossYearInfo(
                    pair.prev_report.stat_year,
                    pair.report.stat_year,
                    [
                        {
                            "rule": c.rule,
                            "status": c.status,
                            "severity": c.severity,
                            "left": c.left,
                            "right": c.right,
                            "delta": c.delta,
                            "keys": list(c.keys or []),
                            "kind": c.kind,
                            "message": c.message,
                        }
                        for c in pair.checks
                    ],
                )
            )
        histories.append(ReportHistory(agency.name, stat_year, report.scope, infos, diffs, cross))
    return histories
