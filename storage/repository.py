"""The store's unit-of-work functions: the only module that queries or writes the relational store.

Every function takes a `Session` first and never commits. The caller owns the transaction, one unit of
work at a time (the SQLAlchemy FAQ's "better way")::

    store = open_store()
    with store.Session() as s, s.begin():
        run = start_crawl_run(s, "zj-wuxing-rsj-nianbao")
        cap = store_capture(s, store.blobs, body, url=url, final_url=url, status=200, headers=hdrs,
                            content_type="text/html", fetched_at=now, crawl_run=run, kind="detail")
        agency = upsert_agency(s, "湖州市吴兴区人力资源和社会保障局", level="county", kind="department")
        version, outcome = record_version(s, agency=agency, stat_year=2023, scope="agency", captures=[cap])
        record_parse(s, version, parse_result_dict)

Versioning rules (what `record_version` and `record_parse` promise):

- A report is one (agency, statistical year, scope). Its content is identified by `content_hash`: the
  sha256 of its source captures' sha256s, sorted, so the order captures arrive in does not matter.
- The same content seen again moves ``last_seen`` and adds no version ("unchanged").
- Different content adds a version and makes it current; the old one is kept ("changed"). Content that
  returns to an earlier version's hash makes that version current again (also "changed").
- A version seen *incompletely* is completed in place, not superseded (`complete_version`): when a
  report page comes back with the very same bytes together with an attachment it linked all along but
  whose fetch had failed or been cut off (a crawl stopped between the two), the attachment is linked to
  the current version and its content hash recomputed over all its captures — the report did not
  change, our observation of it was partial. The caller then records the better-filled parse on it.
- A parse result is one per (version, parser version). A newer parser adds a parse result (never a
  version) and becomes current; recording the same parser version again replaces it in place.

Captures: the bytes go to the blob archive first, then the row. A rolled-back transaction can leave a
blob no row points to (harmless: content-addressed, and re-used by the next identical fetch); a row
whose blob is missing cannot happen. Identical bytes fetched again from the same URL reuse the existing
row (``last_fetched_at`` moves, ``fetch_count`` grows) rather than adding a row per visit: a daily
crawl of unchanged pages would otherwise grow the table without new facts.
Identical bytes from a *different* URL get their own row (the blob is still stored once), because
where a document was published is itself a fact.

Rows returned stay usable after the transaction commits (``expire_on_commit=False``), but relationships
not loaded inside the session cannot be loaded after it closes: read what you need inside the unit.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, BinaryIO, Literal

from sqlalchemy import String, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.blobs import BlobStore
from storage.errors import InvalidRecord
from storage.models import (
    AGENCY_KINDS,
    AGENCY_LEVELS,
    CAPTURE_KINDS,
    CHECK_STATUSES,
    CRAWL_STATUSES,
    Agency,
    Capture,
    Cell,
    CheckResult,
    CrawlRun,
    ParseResult,
    Report,
    ReportVersion,
)
from storage.types import utcnow

Outcome = Literal["new", "changed", "unchanged"]
DEFAULT_SCOPE = "agency"
"""The scope of a report about one agency alone (format-spec §6 ``report.scope``)."""
FIRST_YEAR, LAST_YEAR = 1990, 2100
"""Plausible statistical years; anything outside is a parsing slip, refused rather than stored."""


# --- helpers ---------------------------------------------------------------------------------------


def content_hash(sha256s: Iterable[str]) -> str:
    """The content hash of a report version: sha256 of its captures' digests, sorted and deduplicated,
    one per line. Order-independent, so the same documents always give the same version."""
    digests = sorted(set(sha256s))
    if not digests:
        raise InvalidRecord("a report version needs at least one capture: got none")
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()


def _text(value: str | bytes) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")  # HTTP's own header charset
    return str(value)


def normalize_headers(headers: Mapping[Any, Any] | None) -> dict[str, str | list[str]]:
    """Headers as JSON: str keys; one value as a str, repeated values (Set-Cookie) as a list.

    Accepts a plain dict or Scrapy's `Headers` (bytes keys, lists of bytes values).
    """
    out: dict[str, str | list[str]] = {}
    for key, raw in (headers or {}).items():
        values = raw if isinstance(raw, list | tuple) else [raw]
        texts = [_text(v) for v in values]
        out[_text(key)] = texts[0] if len(texts) == 1 else texts
    return out


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRecord(f"naive datetime {moment.isoformat()} refused: pass an aware datetime")
    return moment


def _number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidRecord(f"{what} must be a number or null, got {type(value).__name__}: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidRecord(f"{what} must be a finite number or null, got {value!r}")
    return number


def _one_of(value: Any, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise InvalidRecord(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value


# --- captures --------------------------------------------------------------------------------------


def store_capture(
    session: Session,
    blobs: BlobStore,
    data: bytes | BinaryIO,
    *,
    url: str,
    final_url: str | None = None,
    status: int | None = None,
    headers: Mapping[Any, Any] | None = None,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
    crawl_run: CrawlRun | None = None,
    kind: str = "detail",
) -> Capture:
    """Archive `data` in `blobs`, then record (or re-record) the capture row. Returns the `Capture`.

    `data` is bytes or a binary file object (streamed). `status` is the HTTP status (None for imports);
    `kind` is one of `storage.models.CAPTURE_KINDS`; `fetched_at` defaults to now (aware UTC).
    Identical bytes from the same URL return the existing row with ``last_fetched_at``/``fetch_count``
    moved (see the module docstring); the first fetch's HTTP context and crawl run are kept.
    """
    _one_of(kind, CAPTURE_KINDS, "capture kind")
    if not url:
        raise InvalidRecord("a capture needs the URL it was fetched from (or a file:// URL for imports)")
    fetched_at = _aware(fetched_at)
    ref = blobs.put(data)  # bytes first: nothing below may lose them
    key = url_key(url)
    existing = session.scalars(
        select(Capture)
        .where(Capture.url_key == key, Capture.sha256 == ref.sha256, Capture.url == url)
        .order_by(Capture.id)
        .limit(1)
    ).first()
    if existing is not None:
        existing.fetch_count += 1
        existing.last_fetched_at = max(existing.last_fetched_at, fetched_at)
        return existing
    capture = Capture(
        url=url,
        url_key=key,
        final_url=final_url,
        http_status=status,
        headers=normalize_headers(headers),
        content_type=content_type,
        size=ref.size,
        sha256=ref.sha256,
        kind=kind,
        fetched_at=fetched_at,
        last_fetched_at=fetched_at,
        fetch_count=1,
        crawl_run=crawl_run,
    )
    session.add(capture)
    session.flush()
    return capture


def url_key(url: str) -> str:
    """The index key of a URL (`Capture.url_key`): its sha256, hex."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def last_capture(session: Session, url: str) -> Capture | None:
    """The capture most recently fetched from `url` (e.g. for ETag / Last-Modified on the next visit)."""
    return session.scalars(
        select(Capture)
        .where(Capture.url_key == url_key(url), Capture.url == url)
        .order_by(Capture.last_fetched_at.desc(), Capture.id.desc())
        .limit(1)
    ).first()


# --- agencies --------------------------------------------------------------------------------------


def find_agency(
    session: Session,
    name: str | None = None,
    *,
    uscc: str | None = None,
    index_prefix: str | None = None,
    xxgk_area: str | None = None,
) -> Agency | None:
    """The agency with one of these identifiers, else this canonical name, else this alias; or None.

    Identifiers come first: they survive the renames (机构改革) that make names drift.
    """
    for column, value in (
        (Agency.uscc, uscc),
        (Agency.index_prefix, index_prefix),
        (Agency.xxgk_area, xxgk_area),
    ):
        if value:
            found = session.scalars(select(Agency).where(column == value).order_by(Agency.id)).first()
            if found is not None:
                return found
    if not name:
        return None
    name = name.strip()
    found = session.scalars(select(Agency).where(Agency.name == name)).first()
    if found is not None:
        return found
    # Aliases are a JSON list written with ensure_ascii=False, so the quoted name appears verbatim in
    # its text on both backends; the LIKE narrows, the Python check decides.
    pattern = '%"' + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
    candidates = session.scalars(
        select(Agency).where(cast(Agency.aliases, String).like(pattern, escape="\\")).order_by(Agency.id)
    )
    return next((a for a in candidates if name in (a.aliases or [])), None)


def upsert_agency(
    session: Session,
    name: str,
    *,
    aliases: Iterable[str] = (),
    region_code: str | None = None,
    level: str | None = None,
    kind: str | None = None,
    parent: Agency | None = None,
    index_prefix: str | None = None,
    uscc: str | None = None,
    xxgk_area: str | None = None,
) -> Agency:
    """The agency with canonical `name`, created if new; given fields are merged in.

    Aliases are added (never removed); the other fields are set when given (not None) and otherwise
    left as they were, so a caller that knows less never erases what another knew. `level` is one of
    `storage.models.AGENCY_LEVELS`, `kind` one of `AGENCY_KINDS`. To fill region and level from the
    name, see `storage.regions.resolve_region`.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidRecord("an agency needs a non-empty canonical name")
    if level is not None:
        _one_of(level, AGENCY_LEVELS, "agency level")
    if kind is not None:
        _one_of(kind, AGENCY_KINDS, "agency kind")
    agency = session.scalars(select(Agency).where(Agency.name == name)).first()
    if agency is None:
        agency = Agency(name=name, aliases=[])
        try:
            with session.begin_nested():  # another writer may create the same agency meanwhile
                session.add(agency)
        except IntegrityError:
            agency = session.scalars(select(Agency).where(Agency.name == name)).one()
    new_aliases = [a.strip() for a in aliases if a and a.strip() and a.strip() != name]
    merged = list(agency.aliases or [])
    merged += [a for a in dict.fromkeys(new_aliases) if a not in merged]
    if merged != (agency.aliases or []):
        agency.aliases = merged  # a new list: JSON columns do not track in-place mutation
    for field, value in (
        ("region_code", region_code),
        ("level", level),
        ("kind", kind),
        ("index_prefix", index_prefix),
        ("uscc", uscc),
        ("xxgk_area", xxgk_area),
    ):
        if value is not None:
            setattr(agency, field, value)
    if parent is not None:
        if parent is agency:
            raise InvalidRecord(f"agency {name!r} cannot be its own parent")
        agency.parent = parent
    session.flush()
    return agency


# --- reports and versions --------------------------------------------------------------------------


def get_or_create_report(session: Session, agency: Agency, stat_year: int, scope: str | None) -> Report:
    """The report of `agency` for `stat_year` and `scope` (default ``agency``), created if new."""
    is_int = isinstance(stat_year, int) and not isinstance(stat_year, bool)
    if not is_int or not FIRST_YEAR <= stat_year <= LAST_YEAR:
        raise InvalidRecord(
            f"statistical year must be an int in {FIRST_YEAR}..{LAST_YEAR}, got {stat_year!r}"
        )
    scope = scope or DEFAULT_SCOPE
    if len(scope) > 32:
        raise InvalidRecord(f"report scope is at most 32 characters, got {scope!r}")
    if agency.id is None:
        session.flush()
    query = select(Report).where(
        Report.agency_id == agency.id, Report.stat_year == stat_year, Report.scope == scope
    )
    report = session.scalars(query).first()
    if report is None:
        report = Report(agency_id=agency.id, stat_year=stat_year, scope=scope)
        try:
            with session.begin_nested():
                session.add(report)
        except IntegrityError:
            report = session.scalars(query).one()
    return report


def record_version(
    session: Session,
    *,
    agency: Agency,
    stat_year: int,
    scope: str | None = DEFAULT_SCOPE,
    captures: Sequence[Capture],
    seen_at: datetime | None = None,
) -> tuple[ReportVersion, Outcome]:
    """Record that the report (agency, stat_year, scope) was seen with the content of `captures`.

    `captures` are the documents carrying the report's content (the detail page and/or its
    attachments — leave out list pages, whose bytes change with every new post). Returns the version
    and ``"new"`` (the report's first version), ``"changed"`` (a different content became current)
    or ``"unchanged"`` (same as the current version: only ``last_seen`` moved). A capture row not yet
    linked to the version (same bytes from another URL) is linked, without making a new version.
    """
    seen_at = _aware(seen_at)
    if not captures:
        raise InvalidRecord("record_version needs the captures the report content came from: got none")
    digest = content_hash(c.sha256 for c in captures)
    report = get_or_create_report(session, agency, stat_year, scope)
    versions = session.scalars(select(ReportVersion).where(ReportVersion.report_id == report.id)).all()
    current = next((v for v in versions if v.is_current), None)
    version = next((v for v in versions if v.content_hash == digest), None)

    if version is not None and version is current:
        outcome: Outcome = "unchanged"
    else:
        outcome = "changed" if versions else "new"
        if current is not None:
            current.is_current = False
            session.flush()  # the partial unique index allows one current version per report
        if version is None:
            version = ReportVersion(
                report=report, content_hash=digest, first_seen=seen_at, last_seen=seen_at, is_current=True
            )
            session.add(version)
        else:
            version.is_current = True
    version.last_seen = max(version.last_seen, seen_at)
    linked = {c.id for c in version.captures} if version.id is not None else set()
    for capture in captures:
        if capture.id is None or capture.id not in linked:
            version.captures.append(capture)
            linked.add(capture.id)
    session.flush()
    return version, outcome


def complete_version(
    session: Session, version: ReportVersion, captures: Sequence[Capture], *, seen_at: datetime | None = None
) -> ReportVersion | None:
    """Link `captures` to `version` and recompute its content hash over all its captures; returns the
    version, or None (nothing changed) when another version of the report already has that content.

    For a version observed incompletely (see the versioning rules above): the caller decides that the
    new captures complete the version — the same page bytes, plus attachments the page linked whose
    fetch had failed — rather than revise it. None means the completed content was seen before as a
    version of its own: `record_version` then makes that one current, as for any returning content.
    """
    if not captures:
        raise InvalidRecord("complete_version needs the captures that complete the version: got none")
    linked = {c.id for c in version.captures}
    digest = content_hash([c.sha256 for c in version.captures] + [c.sha256 for c in captures])
    clash = session.scalars(
        select(ReportVersion.id).where(
            ReportVersion.report_id == version.report_id,
            ReportVersion.content_hash == digest,
            ReportVersion.id != version.id,
        )
    ).first()
    if clash is not None:
        return None
    for capture in captures:
        if capture.id not in linked:
            version.captures.append(capture)
            linked.add(capture.id)
    version.content_hash = digest
    version.last_seen = max(version.last_seen, _aware(seen_at))
    session.flush()
    return version


def history(
    session: Session, agency_name: str, stat_year: int, scope: str | None = None
) -> list[ReportVersion]:
    """Every version of the agency's report for `stat_year` (all scopes unless `scope` is given), oldest
    first. The agency is found by canonical name or alias; an unknown agency has no history."""
    agency = find_agency(session, agency_name)
    if agency is None:
        return []
    query = (
        select(ReportVersion)
        .join(Report)
        .where(Report.agency_id == agency.id, Report.stat_year == stat_year)
        .order_by(ReportVersion.first_seen, ReportVersion.id)
    )
    if scope is not None:
        query = query.where(Report.scope == scope)
    return list(session.scalars(query))


# --- parse results ---------------------------------------------------------------------------------


def _cells(raw_cells: Any) -> list[dict[str, Any]]:
    if not isinstance(raw_cells, Mapping):
        raise InvalidRecord(
            f"parse result 'cells' must be an object of key -> cell, got {type(raw_cells).__name__}"
        )
    cells = []
    for key, cell in raw_cells.items():
        if not isinstance(cell, Mapping):
            raise InvalidRecord(f"cell {key!r} must be an object, got {type(cell).__name__}")
        value = _number(cell.get("value"), f"cell {key!r} value")
        unit, src = cell.get("unit"), cell.get("src") or {}
        if not isinstance(src, Mapping):
            raise InvalidRecord(f"cell {key!r} src must be an object, got {type(src).__name__}")
        cells.append(
            {
                "key": str(key),
                "value": value,
                "raw": "" if cell.get("raw") is None else str(cell["raw"]),
                "flag": str(cell.get("flag") or ("blank" if value is None else "ok")),
                "unit": None if unit is None else str(unit),
                "src": dict(src),
            }
        )
    return cells


def _checks(raw_checks: Any) -> list[dict[str, Any]]:
    if not isinstance(raw_checks, list | tuple):
        raise InvalidRecord(f"parse result 'checks' must be a list, got {type(raw_checks).__name__}")
    checks = []
    for check in raw_checks:
        if not isinstance(check, Mapping) or not check.get("rule"):
            raise InvalidRecord(f"each check needs a 'rule', got {check!r}")
        rule = str(check["rule"])
        keys = check.get("keys") or []
        checks.append(
            {
                "rule": rule,
                "status": _one_of(check.get("status"), CHECK_STATUSES, f"check {rule} status"),
                "left": _number(check.get("left"), f"check {rule} left"),
                "right": _number(check.get("right"), f"check {rule} right"),
                "delta": _number(check.get("delta"), f"check {rule} delta"),
                "keys": [str(k) for k in keys],
                "kind": check.get("kind"),
            }
        )
    return checks


def record_parse(session: Session, version: ReportVersion, result: Mapping[str, Any]) -> ParseResult:
    """Store a parse result (the ``parse --json`` dict) for `version`; it becomes the current one.

    One row per (version, ``result["parser_version"]``): a new parser version adds a row, the same one
    replaces the earlier row's content in place (same id), so re-running a parse is idempotent.
    Raises `InvalidRecord` naming the offending field if `result` breaks the contract.
    """
    if not isinstance(result, Mapping):
        raise InvalidRecord(f"a parse result must be a dict, got {type(result).__name__}")
    parser_version = result.get("parser_version")
    if not isinstance(parser_version, str) or not parser_version or len(parser_version) > 32:
        raise InvalidRecord(f"parse result needs 'parser_version' (a short string), got {parser_version!r}")
    report_meta = result.get("report") or {}
    sections = result.get("sections") or {}
    if not isinstance(report_meta, Mapping) or not isinstance(sections, Mapping):
        raise InvalidRecord("parse result 'report' and 'sections' must be objects")
    cells = _cells(result.get("cells") or {})
    checks = _checks(result.get("checks") or [])
    try:  # fail here, with the reason, rather than at flush time inside the JSON serializer
        json.dumps([report_meta, sections, [c["src"] for c in cells]], ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(
            f"parse result is not plain JSON (report, sections or a cell src): {exc}"
        ) from exc
    if version.id is None:
        session.flush()

    parsed = session.scalars(
        select(ParseResult).where(
            ParseResult.version_id == version.id, ParseResult.parser_version == parser_version
        )
    ).first()
    others = update(ParseResult).where(ParseResult.version_id == version.id, ParseResult.is_current)
    if parsed is not None:
        others = others.where(ParseResult.id != parsed.id)
    session.execute(others.values(is_current=False).execution_options(synchronize_session="fetch"))

    if parsed is None:
        parsed = ParseResult(version=version, parser_version=parser_version)
        session.add(parsed)
    else:
        # Replace in place: rows go by bulk statements (a report has hundreds of cells; ORM objects
        # one by one cost ~0.3 ms each), so the loaded collections are expired below.
        session.execute(delete(Cell).where(Cell.parse_result_id == parsed.id))
        session.execute(delete(CheckResult).where(CheckResult.parse_result_id == parsed.id))
        parsed.created_at = utcnow()
    parsed.format_version = str(report_meta.get("format_version") or "unknown")
    parsed.report = dict(report_meta)
    parsed.sections = dict(sections)
    parsed.is_current = True
    session.flush()
    if cells:
        session.execute(insert(Cell), [{**row, "parse_result_id": parsed.id} for row in cells])
    if checks:
        session.execute(insert(CheckResult), [{**row, "parse_result_id": parsed.id} for row in checks])
    session.expire(parsed, ["cells", "checks"])
    return parsed


def current_parse(session: Session, version: ReportVersion) -> ParseResult | None:
    """The current parse result of `version`, if it was ever parsed."""
    return session.scalars(
        select(ParseResult).where(ParseResult.version_id == version.id, ParseResult.is_current)
    ).first()


def versions_to_parse(
    session: Session, parser_version: str, *, limit: int | None = None
) -> list[ReportVersion]:
    """Current report versions not yet parsed by `parser_version` (never parsed, or by another one),
    oldest report first — what a ``reparse`` after a parser upgrade walks through, in batches."""
    done = select(ParseResult.version_id).where(ParseResult.parser_version == parser_version)
    query = (
        select(ReportVersion)
        .where(ReportVersion.is_current, ReportVersion.id.not_in(done))
        .order_by(ReportVersion.report_id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


# --- crawl runs ------------------------------------------------------------------------------------


def start_crawl_run(session: Session, profile: str, *, started_at: datetime | None = None) -> CrawlRun:
    """Open a crawl run of `profile` (status ``running``)."""
    if not profile:
        raise InvalidRecord("a crawl run needs the profile id it crawls")
    run = CrawlRun(profile=profile, started_at=_aware(started_at), status="running", counts={}, errors=[])
    session.add(run)
    session.flush()
    return run


def update_crawl_run(
    session: Session,
    run: CrawlRun,
    *,
    counts: Mapping[str, int] | None = None,
    errors: Iterable[Mapping[str, Any]] = (),
) -> CrawlRun:
    """Merge `counts` into the run's counters (given keys overwrite) and append `errors` entries
    (e.g. ``{"error": "blocked:waf", "url": ...}``). Usable while the run is going on."""
    if counts:
        run.counts = {**(run.counts or {}), **{str(k): v for k, v in counts.items()}}
    new_errors = [dict(e) for e in errors]
    if new_errors:
        run.errors = [*(run.errors or []), *new_errors]
    session.flush()
    return run


def finish_crawl_run(
    session: Session,
    run: CrawlRun,
    *,
    status: str = "finished",
    counts: Mapping[str, int] | None = None,
    errors: Iterable[Mapping[str, Any]] = (),
    finished_at: datetime | None = None,
) -> CrawlRun:
    """Close a crawl run with `status` (finished / interrupted / failed), merging final counts/errors."""
    _one_of(status, [s for s in CRAWL_STATUSES if s != "running"], "final crawl status")
    run.status = status
    run.finished_at = _aware(finished_at)
    return update_crawl_run(session, run, counts=counts, errors=errors)


# --- status ----------------------------------------------------------------------------------------


def store_status(session: Session) -> dict[str, Any]:
    """Counts of what the store holds (the ``status`` command's data; blobs are counted separately,
    on the filesystem, by `BlobStore.stats`)."""

    def count(column: Any) -> int:
        return session.scalar(select(func.count(column))) or 0

    def grouped(column: Any) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).group_by(column).order_by(column))
        return {str(key): n for key, n in rows}

    last = session.scalars(select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())).first()
    return {
        "agencies": count(Agency.id),
        "reports": count(Report.id),
        "report_versions": count(ReportVersion.id),
        "captures": count(Capture.id),
        "capture_bytes": int(session.scalar(select(func.coalesce(func.sum(Capture.size), 0))) or 0),
        "captures_by_kind": grouped(Capture.kind),
        "parse_results": count(ParseResult.id),
        "cells": count(Cell.id),
        "check_failures": session.scalar(
            select(func.count(CheckResult.id))
            .join(ParseResult)
            .where(ParseResult.is_current, CheckResult.status == "FAIL")
        )
        or 0,
        "crawl_runs": count(CrawlRun.id),
        "crawl_runs_by_status": grouped(CrawlRun.status),
        "last_crawl": None
        if last is None
        else {
            "id": last.id,
            "profile": last.profile,
            "status": last.status,
            "started_at": last.started_at.isoformat(),
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
            "counts": dict(last.counts or {}),
            "errors": len(last.errors or []),
        },
    }
