"""The coverage matrix: for each agency and statistical year, what the archive holds.

Why: a researcher comparing agencies must know which cells of the agency × year grid are empty, and
*why* — never published, published late, on a portal that blocks us, or in a file we cannot read. The
states, decided in this order for each (agency, year):

- ``collected``   — a current report version whose current parse result read the report (cells, or a
                    recognised format era: a ``legacy_2008`` report is free text and has no table);
- ``late``        — collected, but published after the statutory deadline (`statutory_deadline`);
- ``unparseable`` — a current version exists, but it was never parsed, or the parse found neither a
                    format era nor a cell;
- ``blocked``     — no report, and the most recent crawl of the agency's portal profile recorded
                    ``blocked:<kind>`` errors (for that year when the error names one, else for all);
- ``missing``     — the agency is known, no report for that year, nothing blocked.

An agency with several scopes in one year (its own report and an aggregate) takes the best state of
them, in the order collected, late, unparseable.

Deadlines (format-spec §9.8, 条例 Art. 49): from statistical year 2019 on, departments publish by
31 January of year+1 and people's governments by 31 March; up to 2018 everyone had until 31 March.
An agency of unknown kind gets the later date, so nothing is called late that might not be.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from storage.queries import AgencyRow, ReportFact
from storage.selection import Selection

COLLECTED = "collected"
LATE = "late"
UNPARSEABLE = "unparseable"
BLOCKED = "blocked"
MISSING = "missing"
STATES = (COLLECTED, LATE, UNPARSEABLE, BLOCKED, MISSING)
"""Every state, best first (the order a multi-scope year is resolved in)."""
NEW_DEADLINES_FROM = 2019
"""The first statistical year under the 2019 条例's deadlines (Art. 49)."""


# --- deadlines -------------------------------------------------------------------------------------


def statutory_deadline(stat_year: int, kind: str | None) -> date:
    """The last day the report of `stat_year` may be published on, for an agency of `kind`
    (``government`` / ``department`` / None = unknown)."""
    if stat_year >= NEW_DEADLINES_FROM and kind == "department":
        return date(stat_year + 1, 1, 31)
    return date(stat_year + 1, 3, 31)


def as_date(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` string (or a date) as a date; anything else None."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def is_late(stat_year: int, kind: str | None, published: Any) -> bool | None:
    """Whether a report published on `published` missed its deadline; None when the date is unknown."""
    day = as_date(published)
    if day is None:
        return None
    return day > statutory_deadline(stat_year, kind)


# --- blocked evidence ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockedEvidence:
    """One ``blocked:<kind>`` error of a crawl run, attributed to an agency (and maybe a year)."""

    agency: str
    kind: str
    url: str | None = None
    year: int | None = None
    profile: str | None = None


def blocked_evidence(runs: Iterable[Any], profile_agencies: Mapping[str, str]) -> list[BlockedEvidence]:
    """The ``blocked:<kind>`` entries of `runs` (`storage.models.CrawlRun`s, or anything with
    ``profile`` and ``errors``), attributed to the agency of the run's profile.

    An error entry may name its own ``agency`` (a profile that covers several agencies) and ``year``;
    otherwise the profile's agency (`profile_agencies`: profile id → canonical agency name) is used,
    for every year. Entries of a profile with no known agency are skipped.
    """
    out = []
    for run in runs:
        for entry in run.errors or []:
            if not isinstance(entry, Mapping):
                continue
            error = str(entry.get("error") or "")
            if not error.startswith("blocked:"):
                continue
            agency = entry.get("agency") or profile_agencies.get(run.profile)
            if not agency:
                continue
            year = entry.get("year")
            out.append(
                BlockedEvidence(
                    agency=str(agency),
                    kind=error.partition(":")[2] or "unknown",
                    url=entry.get("url"),
                    year=year if isinstance(year, int) and not isinstance(year, bool) else None,
                    profile=run.profile,
                )
            )
    return out


# --- the matrix ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CoverageCell:
    """The state of one (agency, year) and what it rests on."""

    state: str
    scopes: list[str] = field(default_factory=list)
    published_date: str | None = None
    deadline: date | None = None
    blocked_kinds: list[str] = field(default_factory=list)

    @property
    def detail(self) -> str:
        """A short note for the CSV: publication date vs deadline, or the blocking kinds."""
        if self.state in (COLLECTED, LATE) and self.published_date:
            deadline = self.deadline.isoformat() if self.deadline else "?"
            return f"published {self.published_date}, deadline {deadline}"
        if self.state == BLOCKED:
            return "blocked: " + ", ".join(self.blocked_kinds)
        return ""


@dataclass(slots=True)
class CoverageRow:
    agency: AgencyRow
    cells: dict[int, CoverageCell]


@dataclass(slots=True)
class CoverageMatrix:
    """Agencies (rows, by name) × years (columns, ascending)."""

    years: list[int]
    rows: list[CoverageRow]

    def counts(self) -> dict[str, int]:
        """How many (agency, year) cells are in each state (every state listed, zeros included)."""
        totals = dict.fromkeys(STATES, 0)
        for row in self.rows:
            for cell in row.cells.values():
                totals[cell.state] += 1
        return totals

    def state(self, agency: str, year: int) -> str:
        """The state of (`agency` by canonical name, `year`); KeyError if not in the matrix."""
        for row in self.rows:
            if row.agency.name == agency:
                return row.cells[year].state
        raise KeyError(agency)


#: "no format detected" as stored: "unknown" before 2026-11-27, format-spec §1.2's name since
_UNDETECTED = (None, "", "unknown", "unknown_free_text")


def report_state(fact: ReportFact, kind: str | None) -> str:
    """The state one current report puts its (agency, year) in (see the module docstring)."""
    readable = fact.parsed and (fact.n_cells > 0 or fact.format_version not in _UNDETECTED)
    if not readable:
        return UNPARSEABLE
    return LATE if is_late(fact.stat_year, kind, fact.published_date) else COLLECTED


def build_matrix(
    agencies: Sequence[AgencyRow],
    facts: Iterable[ReportFact],
    years: Sequence[int],
    blocked: Mapping[int, Sequence[BlockedEvidence]] | None = None,
) -> CoverageMatrix:
    """The matrix of `agencies` × `years` from the report `facts` and the `blocked` evidence, keyed by
    agency id (see `blocked_evidence` and the command, which resolves names to ids)."""
    years = sorted(set(years))
    wanted = set(years)
    by_agency: dict[int, dict[int, list[ReportFact]]] = {}
    for fact in facts:
        if fact.stat_year in wanted:
            by_agency.setdefault(fact.agency_id, {}).setdefault(fact.stat_year, []).append(fact)
    blocked = blocked or {}
    rows = []
    for agency in agencies:
        cells: dict[int, CoverageCell] = {}
        for year in years:
            found = by_agency.get(agency.id, {}).get(year, [])
            if found:
                ranked = sorted(found, key=lambda f: (STATES.index(report_state(f, agency.kind)), f.scope))
                best = ranked[0]
                cells[year] = CoverageCell(
                    state=report_state(best, agency.kind),
                    scopes=[f.scope for f in found],
                    published_date=best.published_date,
                    deadline=statutory_deadline(year, agency.kind),
                )
                continue
            kinds = sorted({e.kind for e in blocked.get(agency.id, ()) if e.year is None or e.year == year})
            cells[year] = CoverageCell(state=BLOCKED if kinds else MISSING, blocked_kinds=kinds)
        rows.append(CoverageRow(agency, cells))
    return CoverageMatrix(years, rows)


def write_csv(matrix: CoverageMatrix, path: Path) -> Path:
    """The matrix as a wide CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese names):
    agency, region_code, level, kind, one column per year holding the state, then ``<year>_detail``
    columns with the publication date vs deadline or the blocking kinds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["agency", "region_code", "level", "kind"]
            + [str(y) for y in matrix.years]
            + [f"{y}_detail" for y in matrix.years]
        )
        for row in matrix.rows:
            a = row.agency
            writer.writerow(
                [a.name, a.region_code or "", a.level or "", a.kind or ""]
                + [row.cells[y].state for y in matrix.years]
                + [row.cells[y].detail for y in matrix.years]
            )
    return path


def coverage_matrix(
    session: Session,
    selection: Selection | None = None,
    years: Sequence[int] | None = None,
    profile_agencies: Mapping[str, str] | None = None,
) -> CoverageMatrix:
    """Build the matrix from the store: agencies and reports in `selection` (a
    `storage.selection.Selection`; its years are ignored in favour of `years`), blocked evidence from
    the latest crawl run of each profile. `years` defaults to the store's first..last report year.

    Agencies named only by a blocked profile (not yet in the store) get a row of their own when no
    region or agency filter is given — their portal is the reason we know nothing about them.
    """
    from storage.queries import coverage_agencies, coverage_facts, latest_crawl_runs, report_years
    from storage.repository import find_agency

    selection = selection or Selection()
    if years is None:
        span = report_years(session)
        years = list(range(span[0], span[1] + 1)) if span else []
    agencies = coverage_agencies(session, selection)
    facts = coverage_facts(
        session, Selection(frozenset(years), selection.region_prefix, selection.agency_ids)
    )
    evidence = blocked_evidence(latest_crawl_runs(session), profile_agencies or {})
    known = {a.id for a in agencies}
    blocked: dict[int, list[BlockedEvidence]] = {}
    extra: dict[str, AgencyRow] = {}
    for item in evidence:
        agency = find_agency(session, item.agency)
        if agency is not None:
            if agency.id in known:
                blocked.setdefault(agency.id, []).append(item)
            continue
        if selection.region_prefix is None and selection.agency_ids is None:
            # not in the store: a negative id keeps it apart from every real agency
            row = extra.setdefault(item.agency, AgencyRow(-1 - len(extra), item.agency, None, None, None))
            blocked.setdefault(row.id, []).append(item)
    rows = sorted([*agencies, *extra.values()], key=lambda a: a.name)
    return build_matrix(rows, facts, years, blocked)
