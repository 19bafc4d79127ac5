"""Re-parse: one URL, file or capture on the spot, or the whole archive after a parser upgrade.

Why: the parser keeps getting better, and every fetched byte is archived (architecture.md, "bytes
before interpretation"). So a report is never fetched again just to read it again: its version's
captures are read back from the blob archive (verified reads) and parsed by the running parser; the
result is recorded as a new parse result of the *same* version (`storage.repository.record_parse`: one
per parser version) — never as a new version, since the published content did not change.

Three spot targets (`reparse_url`, `reparse_file`, `reparse_capture`), all ending in `reparse_version`:

- a **URL** is fetched by a one-URL crawl (`crawler.single_url.SingleUrlSpider`: the portal spider,
  its middlewares and the archive → parse → store pipelines; attachments of a stub page followed);
- a **file** is imported: a capture of kind ``import`` with a ``file://`` URL, then stored like a
  crawled document (`crawler.pipelines.store.store_group`);
- a **capture id** re-parses that capture's version from the archive (a capture that never made a
  version is stored as one first).

The archive (`reparse_archive`) walks the current versions not yet parsed by the running parser
(`storage.repository.versions_to_parse`), optionally only those last parsed by parser ``V`` or older
(``--since-parser V``), and reports what changed per report: cells (`storage.history.diff_cells`) and
check statuses. Each version is three short steps — read what to parse, parse outside any transaction
(a slow PDF must not hold a SQLite write lock), record — so one bad report cannot stop the walk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.pipelines.parse import ParseOutcome, better_parse, parse_document_bytes
from storage.history import CellChange, diff_cells

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session

    from parsers.report import ParseOptions
    from storage.blobs import BlobStore
    from storage.db import Store
    from storage.models import Capture

#: Capture kinds that can carry a report, in the order their parses are offered to `better_parse`
#: (first wins ties: the detail page's HTML text is exact, a PDF's is extracted).
_DOCUMENT_ORDER = {"detail": 0, "import": 1, "other": 2, "attachment": 3}
#: Same cap as the ``parse`` command and `parsers.limits.MAX_INPUT_BYTES`.
MAX_FILE_BYTES = 64 * 1024 * 1024


class ReparseError(Exception):
    """A spot re-parse that did not work, shown as ``error: <what>: <why>``."""

    def __init__(self, what: str, why: str) -> None:
        self.what, self.why = what, why
        super().__init__(f"{what}: {why}")


def current_parser_version() -> str:
    """The running parser's version, read at call time (an upgrade in-process is seen)."""
    import parsers.report

    return parsers.report.PARSER_VERSION


def _default_parse() -> Callable[..., Any]:
    import parsers.report

    return parsers.report.parse


def version_key(version: str) -> tuple[Any, ...]:
    """Order parser versions: ``0.10.0`` after ``0.9.1``; non-numeric parts compare as text after numbers."""
    parts = re.split(r"[.\-+]", version.strip())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


# --- one version -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """What parsing one capture needs, read inside a unit of work and used outside it."""

    capture_id: int
    url: str
    kind: str
    sha256: str
    content_type: str | None


@dataclass(frozen=True, slots=True)
class VersionPlan:
    """A version to re-parse: its documents (best-first order), its report and its current parse."""

    version_id: int
    agency: str
    stat_year: int
    scope: str
    content_hash: str
    documents: tuple[DocumentRef, ...]
    old_parse_id: int | None
    old_parser: str | None


@dataclass(frozen=True, slots=True)
class CheckChange:
    """A check whose status differs between the old and the new parse (None: absent on that side)."""

    rule: str
    old: str | None
    new: str | None


@dataclass(slots=True)
class VersionReparse:
    """What re-parsing one version did: the recorded parse (or why none) and what changed."""

    version_id: int
    agency: str
    stat_year: int
    scope: str
    old_parser: str | None
    parser_version: str | None = None
    parse_result_id: int | None = None
    result: dict[str, Any] | None = field(default=None, repr=False)
    cells: list[CellChange] = field(default_factory=list)
    checks: list[CheckChange] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        """Cells or check statuses differ from the previous parse (a first parse is no change)."""
        return bool(self.cells or self.checks)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: the report, the parsers, the changed cells and checks (not the whole result)."""
        return {
            "version_id": self.version_id,
            "report": {"agency": self.agency, "stat_year": self.stat_year, "scope": self.scope},
            "old_parser": self.old_parser,
            "parser_version": self.parser_version,
            "parse_result_id": self.parse_result_id,
            "cells": [asdict(c) for c in self.cells],
            "checks": [asdict(c) for c in self.checks],
            "error": self.error,
        }


def plan_version(session: Session, version_id: int) -> VersionPlan:
    """Read what re-parsing version `version_id` needs (raises `ReparseError` for an unknown id)."""
    from storage.models import ReportVersion
    from storage.repository import current_parse

    version = session.get(ReportVersion, version_id)
    if version is None:
        raise ReparseError(f"version {version_id}", "no such report version in the store")
    documents = sorted(
        (c for c in version.captures if c.kind in _DOCUMENT_ORDER),
        key=lambda c: (_DOCUMENT_ORDER[c.kind], c.id),
    )
    old = current_parse(session, version)
    report = version.report
    return VersionPlan(
        version_id=version.id,
        agency=report.agency.name,
        stat_year=report.stat_year,
        scope=report.scope,
        content_hash=version.content_hash,
        documents=tuple(DocumentRef(c.id, c.url, c.kind, c.sha256, c.content_type) for c in documents),
        old_parse_id=old.id if old is not None else None,
        old_parser=old.parser_version if old is not None else None,
    )


def parse_plan(
    blobs: BlobStore,
    plan: VersionPlan,
    *,
    options: ParseOptions | None = None,
    parse_func: Callable[..., Any] | None = None,
    cache: Mapping[int, Mapping[str, Any]] | None = None,
) -> tuple[dict[str, Any] | None, DocumentRef | None, list[str]]:
    """Parse the plan's documents from the archive; return the better-filled parse, its document, and
    one reason per document that could not be parsed. `cache` holds parses already made this run
    (capture id → ``to_dict()``), so a document just fetched is not parsed twice."""
    from storage.errors import StoreError

    parse_func = parse_func or _default_parse()
    best: dict[str, Any] | None = None
    best_doc: DocumentRef | None = None
    problems: list[str] = []
    for doc in plan.documents:
        parsed = (cache or {}).get(doc.capture_id)
        if parsed is None:
            try:
                data = blobs.get(doc.sha256)
            except (StoreError, OSError) as exc:  # missing or corrupted blob: say so, go on
                problems.append(f"{doc.url}: archive: {exc}")
                continue
            outcome: ParseOutcome = parse_document_bytes(
                data, url=doc.url, content_type=doc.content_type, options=options, parse_func=parse_func
            )
            if outcome.parsed is None:
                problems.append(f"{doc.url}: {outcome.error_kind}: {outcome.reason}")
                continue
            parsed = outcome.parsed
        if better_parse(parsed, best):
            best, best_doc = dict(parsed), doc
    return best, best_doc, problems


def _statuses(checks: Iterable[Any]) -> dict[str, str]:
    """rule → status; a rule reported twice gets ``rule#2`` for its second entry."""
    out: dict[str, str] = {}
    for check in checks:
        rule = check.rule
        name, n = rule, 1
        while name in out:
            n += 1
            name = f"{rule}#{n}"
        out[name] = check.status
    return out


def record_plan(
    session: Session,
    plan: VersionPlan,
    best: dict[str, Any] | None,
    best_doc: DocumentRef | None,
    problems: list[str],
) -> VersionReparse:
    """Record the new parse of the plan's version and diff it against the previous current parse."""
    from storage.models import ParseResult, ReportVersion
    from storage.queries import parse_cells
    from storage.repository import record_parse

    done = VersionReparse(plan.version_id, plan.agency, plan.stat_year, plan.scope, plan.old_parser)
    if best is None or best_doc is None:
        done.error = "; ".join(problems) or "the version has no document that can carry a report"
        return done
    version = session.get(ReportVersion, plan.version_id)
    if version is None:
        done.error = "the version was deleted meanwhile"
        return done
    result = dict(best)
    result["report"] = {
        **(best.get("report") or {}),
        "source_url": best_doc.url,
        "attachments": [d.url for d in plan.documents if d.kind == "attachment"],
        "content_hash": plan.content_hash,
    }
    old = session.get(ParseResult, plan.old_parse_id) if plan.old_parse_id is not None else None
    old_cells = parse_cells(session, old.id) if old is not None else None
    old_checks = _statuses(old.checks) if old is not None else None
    parsed = record_parse(session, version, result)
    done.parser_version, done.parse_result_id, done.result = parsed.parser_version, parsed.id, result
    if old_cells is not None and old_checks is not None:
        done.cells = diff_cells(old_cells, parse_cells(session, parsed.id))
        new_checks = _statuses(parsed.checks)
        done.checks = [
            CheckChange(rule, old_checks.get(rule), new_checks.get(rule))
            for rule in dict.fromkeys([*old_checks, *new_checks])
            if old_checks.get(rule) != new_checks.get(rule)
        ]
    return done


def reparse_version(
    store: Store,
    version_id: int,
    *,
    options: ParseOptions | None = None,
    parse_func: Callable[..., Any] | None = None,
    cache: Mapping[int, Mapping[str, Any]] | None = None,
) -> VersionReparse:
    """Re-parse one version from the archive and record the result (three steps, see module docstring)."""
    plan = store.run(lambda s: plan_version(s, version_id))
    best, doc, problems = parse_plan(store.blobs, plan, options=options, parse_func=parse_func, cache=cache)
    return store.run(lambda s: record_plan(s, plan, best, doc, problems))


# --- spot targets ----------------------------------------------------------------------------------


@dataclass(slots=True)
class SpotResult:
    """A spot re-parse: the parse (``parse --json`` shape) and what was stored."""

    result: dict[str, Any] | None
    capture_id: int | None
    version_id: int | None
    outcome: str
    parse_result_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and self.parse_result_id is not None

    def to_dict(self) -> dict[str, Any]:
        """The parse result plus ``stored``: capture, version, parse result, outcome (and why, if failed)."""
        stored = {
            "capture_id": self.capture_id,
            "version_id": self.version_id,
            "parse_result_id": self.parse_result_id,
            "outcome": self.outcome,
        }
        if self.reason:
            stored["reason"] = self.reason
        return {**(self.result or {}), "stored": stored}


def _finish(
    store: Store,
    capture_id: int,
    version_id: int | None,
    outcome: str,
    *,
    reason: str | None,
    cache: Mapping[int, Mapping[str, Any]],
    fallback: Mapping[str, Any] | None,
    options: ParseOptions | None,
    parse_func: Callable[..., Any] | None,
) -> SpotResult:
    """Re-parse the stored version (if any) and build the spot result."""
    if version_id is None:
        return SpotResult(dict(fallback) if fallback else None, capture_id, None, outcome, reason=reason)
    done = reparse_version(store, version_id, options=options, parse_func=parse_func, cache=cache)
    if done.result is None:
        return SpotResult(
            dict(fallback) if fallback else None, capture_id, version_id, outcome, reason=done.error
        )
    return SpotResult(done.result, capture_id, version_id, outcome, done.parse_result_id, reason)


def _versions_of(capture: Capture) -> int | None:
    """The version a capture belongs to: the current one, else the newest."""
    versions = sorted(capture.versions, key=lambda v: (v.is_current, v.id))
    return versions[-1].id if versions else None


def _store_standalone(
    session: Session,
    blobs: BlobStore,
    capture: Capture,
    parsed: ParseOutcome | None,
    *,
    agency: str | None,
    stat_year: int | None,
    options: ParseOptions | None,
    parse_func: Callable[..., Any] | None,
    archived: str,
) -> tuple[int | None, str, str | None]:
    """Store one capture as a report of its own, as the store pipeline stores a file linked from a list."""
    from crawler.pipelines.store import Member, ReportGroup, store_group

    member = Member(
        kind=capture.kind,
        url=capture.url,
        capture_id=capture.id,
        sha256=capture.sha256,
        archived=archived,
        content_type=capture.content_type,
        parsed=parsed.parsed if parsed else None,
        parse_error=(
            {"kind": parsed.error_kind, "reason": parsed.reason} if parsed and parsed.parsed is None else None
        ),
    )
    group = ReportGroup(key=capture.url, agency=agency, stat_year=stat_year, detail=member, standalone=True)

    def parse_capture(m: Member) -> ParseOutcome:
        return parse_document_bytes(
            blobs.get(m.sha256),
            url=m.url,
            content_type=m.content_type,
            options=options,
            parse_func=parse_func or _default_parse(),
        )

    stored = store_group(session, group, blobs=blobs, parse_capture=parse_capture)
    return stored.version_id, stored.outcome, stored.reason


def reparse_file(
    store: Store,
    path: str | Path,
    *,
    agency: str | None = None,
    stat_year: int | None = None,
    options: ParseOptions | None = None,
    parse_func: Callable[..., Any] | None = None,
) -> SpotResult:
    """Import a file (capture kind ``import``, ``file://`` URL), store it as a report, parse it."""
    from datetime import UTC, datetime

    from storage.models import Capture
    from storage.repository import store_capture

    path = Path(path)
    if not path.exists():
        raise ReparseError(str(path), "no such file")
    if not path.is_file():
        raise ReparseError(str(path), "not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ReparseError(str(path), f"file is {size:,} bytes, above the {MAX_FILE_BYTES:,}-byte cap")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReparseError(str(path), f"cannot read ({exc.strerror})") from exc
    url = path.resolve().as_uri()
    now = datetime.now(UTC)

    def archive(s: Session) -> tuple[int, str]:
        cap = store_capture(s, store.blobs, data, url=url, final_url=url, kind="import", fetched_at=now)
        return cap.id, "new" if cap.fetch_count == 1 else "same"

    capture_id, archived = store.run(archive)  # bytes first: archived before anything reads them
    outcome = parse_document_bytes(
        data, url=url, content_type=None, options=options, parse_func=parse_func or _default_parse()
    )
    if outcome.parsed is None:
        raise ReparseError(str(path), f"{outcome.error_kind}: {outcome.reason}")

    def store_it(s: Session) -> tuple[int | None, str, str | None]:
        capture = s.get(Capture, capture_id)
        return _store_standalone(
            s,
            store.blobs,
            capture,
            outcome,
            agency=agency,
            stat_year=stat_year,
            options=options,
            parse_func=parse_func,
            archived=archived,
        )

    version_id, stored, reason = store.run(store_it)
    return _finish(
        store,
        capture_id,
        version_id,
        stored,
        reason=reason,
        cache={capture_id: outcome.parsed},
        fallback=outcome.parsed,
        options=options,
        parse_func=parse_func,
    )


def reparse_capture(
    store: Store,
    capture_id: int,
    *,
    agency: str | None = None,
    stat_year: int | None = None,
    options: ParseOptions | None = None,
    parse_func: Callable[..., Any] | None = None,
) -> SpotResult:
    """Re-parse the version capture `capture_id` belongs to (stored as a report of its own if none)."""
    from storage.models import Capture

    def find(s: Session) -> tuple[str, int | None]:
        capture = s.get(Capture, capture_id)
        if capture is None:
            raise ReparseError(f"capture {capture_id}", "no such capture in the store")
        if capture.kind not in _DOCUMENT_ORDER:
            raise ReparseError(
                f"capture {capture_id}", f"is a {capture.kind} capture ({capture.url}), not a report document"
            )
        return capture.url, _versions_of(capture)

    _url, version_id = store.run(find)
    outcome = "unchanged"
    reason = None
    if version_id is None:

        def store_it(s: Session) -> tuple[int | None, str, str | None]:
            capture = s.get(Capture, capture_id)
            return _store_standalone(
                s,
                store.blobs,
                capture,
                None,
                agency=agency,
                stat_year=stat_year,
                options=options,
                parse_func=parse_func,
                archived="same",
            )

        version_id, outcome, reason = store.run(store_it)
    spot = _finish(
        store,
        capture_id,
        version_id,
        outcome,
        reason=reason,
        cache={},
        fallback=None,
        options=options,
        parse_func=parse_func,
    )
    if spot.result is None:
        raise ReparseError(f"capture {capture_id}", spot.reason or "could not be parsed")
    return spot


def reparse_url(
    url: str,
    *,
    agency: str | None = None,
    stat_year: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    console: Console | None = None,
    progress: bool = False,
    options: ParseOptions | None = None,
) -> SpotResult:
    """Fetch `url` with a one-URL crawl (the crawl's middlewares and pipelines), then re-parse the version
    it was stored as. Runs a Twisted reactor: once per process, like `run_crawls`."""
    from crawler.commands.crawl import CrawlJob, run_crawls
    from crawler.pipelines.store import OUTCOMES
    from crawler.single_url import SingleUrlSpider, one_url_profile
    from storage.db import open_store
    from storage.models import Capture

    try:
        profile = one_url_profile(url)
    except ValueError as exc:
        raise ReparseError(url, str(exc)) from exc
    job = CrawlJob(profile, {"url": url, "agency": agency, "stat_year": stat_year}, spider=SingleUrlSpider)
    summary = run_crawls([job], overrides=dict(overrides or {}), console=console, progress=progress)[0]
    spider: SingleUrlSpider | None = summary.spider
    items = [i for i in (spider.captured if spider else []) if i.get("kind") in ("detail", "attachment")]
    main = next((i for i in items if i.get("kind") == "detail"), None) or (items[0] if items else None)
    if main is None or "capture_id" not in main:
        why = (spider.failure if spider else None) or next(
            (f"{e.get('error')} {e.get('reason') or ''}".strip() for e in summary.errors), None
        )
        raise ReparseError(url, why or f"nothing was fetched (crawl {summary.finish_reason})")
    if (main.get("parse_error") or {}).get("kind") == "challenge":
        raise ReparseError(url, f"blocked: a challenge page answered ({main['parse_error'].get('reason')})")
    cache = {i["capture_id"]: i["parsed"] for i in items if i.get("parsed") and "capture_id" in i}
    fallback = None
    for item in items:
        if item.get("parsed") and better_parse(item["parsed"], fallback):
            fallback = item["parsed"]
    counts = summary.counts
    outcome = next((o for o in OUTCOMES if counts.get(o)), "failed")
    store_errors = [e for e in summary.errors if str(e.get("error", "")).startswith("store:")]
    reason = str(store_errors[0].get("reason")) if store_errors else None
    with open_store() as store:

        def find(s: Session) -> int | None:
            capture = s.get(Capture, main["capture_id"])
            return _versions_of(capture) if capture is not None else None

        version_id = store.run(find)
        spot = _finish(
            store,
            main["capture_id"],
            version_id,
            outcome,
            reason=reason,
            cache=cache,
            fallback=fallback,
            options=options,
            parse_func=None,
        )
    if spot.result is None:
        errors = [f"{e.get('error')}: {e.get('reason') or ''}".strip() for e in summary.errors]
        detail = (main.get("parse_error") or {}).get("reason") or (errors[0] if errors else None)
        raise ReparseError(url, spot.reason or detail or "no document of the page could be parsed")
    return spot


# --- the archive -----------------------------------------------------------------------------------


@dataclass(slots=True)
class ArchiveReparse:
    """What ``reparse --all`` did: how many versions, which changed (and how), which failed."""

    parser_version: str
    since_parser: str | None
    selected: int = 0
    reparsed: int = 0
    first_parses: int = 0
    changed: list[VersionReparse] = field(default_factory=list)
    failed: list[VersionReparse] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parser_version": self.parser_version,
            "since_parser": self.since_parser,
            "selected": self.selected,
            "reparsed": self.reparsed,
            "first_parses": self.first_parses,
            "changed": len(self.changed),
            "unchanged": self.reparsed - len(self.changed) - self.first_parses,
            "failed": len(self.failed),
            "reports": [v.summary() for v in self.changed],
            "failures": [
                {"version_id": v.version_id, "report": v.summary()["report"], "reason": v.error}
                for v in self.failed
            ],
        }


def select_versions(session: Session, parser_version: str, since_parser: str | None = None) -> list[int]:
    """Ids of the current versions to re-parse: not parsed by `parser_version` yet and, with
    `since_parser`, last parsed by that parser version or an older one (or never parsed)."""
    from storage.repository import current_parse, versions_to_parse

    versions = versions_to_parse(session, parser_version)
    if since_parser is None:
        return [v.id for v in versions]
    limit = version_key(since_parser)
    keep = []
    for version in versions:
        parsed = current_parse(session, version)
        if parsed is None or version_key(parsed.parser_version) <= limit:
            keep.append(version.id)
    return keep


def reparse_archive(
    store: Store,
    *,
    since_parser: str | None = None,
    options: ParseOptions | None = None,
    parse_func: Callable[..., Any] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_version: Callable[[VersionReparse], None] | None = None,
) -> ArchiveReparse:
    """Re-parse every selected version from the archive (nothing is fetched); see the module docstring.

    `on_start(total)` and `on_version(done)` drive a progress display.
    """
    parser_version = current_parser_version()
    ids = store.run(lambda s: select_versions(s, parser_version, since_parser))
    summary = ArchiveReparse(parser_version, since_parser, selected=len(ids))
    if on_start is not None:
        on_start(len(ids))
    for version_id in ids:
        try:
            done = reparse_version(store, version_id, options=options, parse_func=parse_func)
        except ReparseError as exc:  # deleted meanwhile
            done = VersionReparse(version_id, "", 0, "", None, error=exc.why)
        except Exception as exc:  # a store refusal (InvalidRecord) on one report must not stop the walk
            done = VersionReparse(version_id, "", 0, "", None, error=f"{type(exc).__name__}: {exc}")
        if done.error:
            summary.failed.append(done)
        else:
            summary.reparsed += 1
            if done.old_parser is None:
                summary.first_parses += 1
            elif done.changed:
                summary.changed.append(done)
        if on_version is not None:
            on_version(done)
    return summary


__all__ = [
    "ArchiveReparse",
    "CheckChange",
    "ReparseError",
    "SpotResult",
    "VersionPlan",
    "VersionReparse",
    "current_parser_version",
    "parse_plan",
    "plan_version",
    "record_plan",
    "reparse_archive",
    "reparse_capture",
    "reparse_file",
    "reparse_url",
    "reparse_version",
    "select_versions",
    "version_key",
]
