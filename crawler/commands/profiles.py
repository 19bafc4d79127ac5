"""``python -m crawler profiles list|check``: what profiles there are, and what a live run of one finds.

A shipped profile stays ``status: unverified`` until a live crawl confirms it. ``profiles check <id>``
is that crawl, bounded: the production spider, middlewares and pipelines (`crawler.commands.crawl.
run_crawls`, the profile's own politeness), but at most ``--max-pages`` list pages (the profile's
``pagination.max_pages`` is lowered for this run), ``--max-responses`` responses
(``CLOSESPIDER_PAGECOUNT``) and ``--timeout`` seconds (``CLOSESPIDER_TIMEOUT``). It writes into a
throw-away store in a temporary directory — never into the user's archive unless ``--store`` is given —
and reports what it found: list pages, report candidates and their years, detail pages, attachments,
reports parsed (format and filled cells), pages blocked (``blocked:<kind>`` from the challenge ledger)
and other errors, then a verdict:

- ``verified``   — at least one report parsed (a detected format, at least one filled cell), nothing blocked;
- ``blocked``    — some page was a challenge / WAF answer (the reason names the kinds);
- ``unverified`` — nothing parsed (the reason says where the walk stopped).

It never rewrites the YAML: the output says which ``status:`` line to change. Exit code 0 for
``verified``, 1 otherwise, 2 for bad arguments (unknown id, unbound placeholders, bad ``--set``).

Replica profiles (``tests/replica/profiles``) have ``{base}`` placeholders; bind them with ``--base``,
the same mechanism as ``scrapy crawl portal -a base=… -a base_oss=…``::

    python -m crawler profiles check replica-jcms --dir tests/replica/profiles \\
        --base http://127.0.0.1:40123 --base oss=http://127.0.0.1:40124 \\
        --set AUTOTHROTTLE_ENABLED=False --set NIANBAOKU_POLITENESS_ENABLED=False

What the crawl found is collected by `CheckRecorder`, an extension enabled for the check only: it notes
every report candidate a request is scheduled for (URL → statistical year) and, for each scraped
detail/attachment item, the best parse of its report group (`crawler.pipelines.parse.fill_score`).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from parsers import schema

if TYPE_CHECKING:
    from rich.console import Console
    from scrapy.crawler import Crawler

    from crawler.commands.crawl import CrawlSummary
    from spiders.profiles import PortalProfile

app = typer.Typer(
    help="List portal profiles; check one with a bounded live crawl.",
    no_args_is_help=True,
)

#: Stats keys `CheckRecorder` fills (plain dicts, so they survive in `CrawlSummary.stats`).
CANDIDATES_KEY = "nianbaoku/check/candidates"
REPORTS_KEY = "nianbaoku/check/reports"
#: Rows shown of the reports and errors tables (the JSON has them all).
SHOWN_ROWS = 20


# --- the recorder (a Scrapy extension, enabled by `check` only) ------------------------------------


class CheckRecorder:
    """Collects what `check` reports: candidate URLs with their years, and per report group the best
    parse seen (format, filled cells, store outcome). Read back from the stats after the run."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CheckRecorder:
        from scrapy import signals

        ext = cls(crawler)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def _dict(self, key: str) -> dict[str, Any]:
        value = self.stats.get_value(key)
        if value is None:
            value = {}
            self.stats.set_value(key, value)
        return value

    def request_scheduled(self, request: Any, spider: Any = None) -> None:
        from spiders.portal import META_CANDIDATE

        candidate = request.meta.get(META_CANDIDATE)
        if candidate is not None:
            self._dict(CANDIDATES_KEY).setdefault(candidate.url, candidate.stat_year)

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        from crawler.pipelines.parse import fill_score

        if not isinstance(item, dict) or item.get("kind") not in ("detail", "attachment"):
            return
        group = item["url"] if item["kind"] == "detail" else (item.get("detail_url") or item["url"])
        if item["kind"] == "detail":  # report_urls pages have no candidate request: count them here
            self._dict(CANDIDATES_KEY).setdefault(item["url"], item.get("stat_year"))
        parsed = item.get("parsed")
        cells, detected = fill_score(parsed)
        fmt = ((parsed or {}).get("report") or {}).get("format_version") if parsed else None
        reports = self._dict(REPORTS_KEY)
        entry = reports.setdefault(
            group,
            {"url": group, "title": item.get("title"), "year": item.get("stat_year"), "format": None,
             "cells": 0, "stored": None, "parsed_from": None},
        )
        if item.get("stored"):
            entry["stored"] = item["stored"]
        if (max(cells, 0), detected) > (entry["cells"], int(_detected(entry["format"]))):
            entry.update(format=fmt, cells=max(cells, 0), parsed_from=item["url"])


def _detected(fmt: str | None) -> bool:
    return bool(fmt) and fmt not in schema.UNDETECTED


# --- findings and verdict ----------------------------------------------------------------------------


@dataclasses.dataclass
class CheckResult:
    """What one check found, and the verdict drawn from it."""

    profile: str
    source: str
    status_in_yaml: str
    finish_reason: str | None
    counts: dict[str, int]
    candidate_years: dict[str, int]  # year (or "unknown") -> candidates
    reports: list[dict[str, Any]]
    blocked: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    verdict: str = ""
    reason: str = ""

    @property
    def parsed(self) -> list[dict[str, Any]]:
        return [r for r in self.reports if _detected(r["format"]) and r["cells"] > 0]

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "parsed": len(self.parsed)}


def findings(summary: CrawlSummary, profile: PortalProfile) -> CheckResult:
    """Collect the check's figures from one crawl summary and judge them (`judge`)."""
    stats = summary.stats
    candidates: dict[str, Any] = stats.get(CANDIDATES_KEY) or {}
    years: dict[str, int] = {}
    for year in candidates.values():
        label = str(year) if year else "unknown"
        years[label] = years.get(label, 0) + 1
    counts = {
        "list_pages": summary.counts.get("list_pages", 0),
        "candidates": max(int(stats.get("nianbaoku/candidates") or 0), len(candidates)),
        "details": summary.counts.get("details", 0),
        "attachments": summary.counts.get("attachments", 0),
        "requests": summary.counts.get("requests", 0),
        "responses": summary.counts.get("responses", 0),
    }
    blocked = [e for e in summary.errors if str(e.get("error", "")).startswith("blocked:")]
    errors = [e for e in summary.errors if not str(e.get("error", "")).startswith("blocked:")]
    reports = sorted((stats.get(REPORTS_KEY) or {}).values(), key=lambda r: (-(r["year"] or 0), r["url"]))
    result = CheckResult(
        profile=profile.id,
        source=profile.source,
        status_in_yaml=profile.status,
        finish_reason=summary.finish_reason,
        counts=counts,
        candidate_years=dict(sorted(years.items(), reverse=True)),
        reports=reports,
        blocked=blocked,
        errors=errors,
    )
    counts["parsed"] = len(result.parsed)
    result.verdict, result.reason = judge(result)
    return result


def judge(result: CheckResult) -> tuple[str, str]:
    """``verified`` / ``blocked`` / ``unverified`` and why (see the module docstring)."""
    c = result.counts
    if result.blocked:
        kinds = sorted({str(e["error"]).split(":", 1)[1] for e in result.blocked})
        return "blocked", f"{len(result.blocked)} page(s) answered with a challenge ({', '.join(kinds)})"
    if result.parsed:
        return "verified", (
            f"{len(result.parsed)} report(s) parsed from {c['candidates']} candidate(s) on "
            f"{c['list_pages']} list page(s)"
        )
    if not c["responses"]:
        return "unverified", f"no response at all (crawl ended: {result.finish_reason})"
    if not c["list_pages"] and not c["candidates"]:
        return "unverified", "no list page was parsed (start URL unreachable or an error status)"
    if not c["candidates"]:
        return "unverified", (
            f"{c['list_pages']} list page(s) but no report candidate (list selectors or title filter?)"
        )
    if not result.reports:
        return "unverified", f"{c['candidates']} candidate(s) but no report page or file was fetched"
    return "unverified", (
        f"{len(result.reports)} report(s) fetched but none parsed with a detected format and cells"
    )


# --- rendering -----------------------------------------------------------------------------------------


def _years_text(years: dict[str, int]) -> str:
    if not years:
        return "-"
    return ", ".join(f"{y}×{n}" if n > 1 else y for y, n in years.items())


def render_check(result: CheckResult, console: Console) -> None:
    """The findings table, the reports, blocked pages and errors, and the verdict with its hint."""
    from rich.table import Table

    c = result.counts
    table = Table(title=f"profiles check {result.profile}", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("found", overflow="fold")
    rows = [
        ("list pages fetched", str(c["list_pages"])),
        ("report candidates", f"{c['candidates']}  (years: {_years_text(result.candidate_years)})"),
        ("detail pages fetched", str(c["details"])),
        ("attachments fetched", str(c["attachments"])),
        ("reports parsed", f"{c['parsed']} of {len(result.reports)} fetched"),
        ("blocked pages", str(len(result.blocked))),
        ("errors", str(len(result.errors))),
        ("requests / responses", f"{c['requests']} / {c['responses']}"),
        ("crawl ended", str(result.finish_reason)),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if result.reports:
        reps = Table(title="reports", title_justify="left")
        for col in ("year", "format", "cells", "stored", "title"):
            reps.add_column(col, overflow="fold")
        for r in result.reports[:SHOWN_ROWS]:
            reps.add_row(str(r["year"] or "?"), str(r["format"] or "-"), str(r["cells"]),
                         str(r["stored"] or "-"), str(r["title"] or r["url"]))
        if len(result.reports) > SHOWN_ROWS:
            reps.add_row("…", "", "", "", f"{len(result.reports) - SHOWN_ROWS} more (see --json)")
        console.print(reps)
    problems = result.blocked + result.errors
    if problems:
        err = Table(title="blocked and errors", title_justify="left")
        err.add_column("error")
        err.add_column("url", overflow="fold")
        err.add_column("reason", overflow="fold")
        for e in problems[:SHOWN_ROWS]:
            err.add_row(str(e.get("error")), str(e.get("url") or ""), str(e.get("reason") or "")[:160])
        if len(problems) > SHOWN_ROWS:
            err.add_row("…", f"{len(problems) - SHOWN_ROWS} more (see --json)", "")
        console.print(err)
    colour = {"verified": "green", "blocked": "red"}.get(result.verdict, "yellow")
    console.print(f"[bold {colour}]verdict: {result.verdict}[/] — {result.reason}", soft_wrap=True)
    if result.verdict != result.status_in_yaml:
        console.print(
            f"the profile says status: {result.status_in_yaml}; to record this check, edit "
            f"{result.source or result.profile}: set `status: {result.verdict}` and `status_date:` to "
            "today (this command never rewrites the YAML)",
            soft_wrap=True,
        )


# --- commands ------------------------------------------------------------------------------------------


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(code)


def _directory(directory: Path | None) -> Path:
    from spiders.profiles import PROFILES_DIR

    return Path(directory) if directory else PROFILES_DIR


DirOption = Annotated[
    Path | None, typer.Option("--dir", help="Profiles directory (default: the shipped spiders/profiles).")
]


@app.command("list")
def list_profiles(directory: DirOption = None) -> None:
    """Every profile of the directory: id, agency, CMS family, status and start URL."""
    from rich.console import Console
    from rich.table import Table

    from spiders.profiles import ProfileError, load_profiles

    try:
        profiles = load_profiles(_directory(directory))
    except ProfileError as exc:
        raise _fail(str(exc)) from exc
    table = Table(title=f"{len(profiles)} profiles in {_directory(directory)}", title_justify="left")
    for col in ("id", "agency", "cms", "status", "start URL"):
        table.add_column(col, overflow="fold")
    colours = {"verified": "green", "blocked": "red", "drifted": "magenta"}
    for p in profiles.values():
        status = f"[{colours.get(p.status, 'yellow')}]{p.status}[/]"
        if p.status_date:
            status += f" ({p.status_date})"
        table.add_row(p.id, p.agency, p.cms, status, p.start_urls[0] if p.start_urls else "-")
    Console().print(table)


def parse_bases(values: list[str]) -> tuple[str | None, dict[str, str]]:
    """``--base URL`` (the ``{base}`` placeholder) and ``--base NAME=URL`` (``{base:NAME}``)."""
    base: str | None = None
    named: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if sep and "://" not in name:
            if not name.strip() or "://" not in url:
                raise _fail(f"--base {value!r}: expected URL or NAME=URL (http://host:port)")
            named[name.strip()] = url.strip()
        elif "://" in value:
            base = value.strip()
        else:
            raise _fail(f"--base {value!r}: expected URL or NAME=URL (http://host:port)")
    return base, named


def parse_assignments(values: list[str]) -> dict[str, str]:
    """``--set NAME=VALUE`` Scrapy settings."""
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise _fail(f"--set {item!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


def bounded_profile(
    profile_id: str, directory: Path, bases: list[str], max_pages: int
) -> PortalProfile:
    """Load and bind the profile and lower its pager cap to `max_pages`; bad input → `typer.Exit(2)`."""
    from spiders.profiles import ProfileError, get_profile

    try:
        profile = get_profile(profile_id, directory)
        base, named = parse_bases(bases)
        if named and not base:
            raise _fail("--base NAME=URL needs --base URL too (the profile's own {base})")
        if base:
            profile = profile.bind(base, **named)
    except ProfileError as exc:
        raise _fail(f"profile {profile_id}: {exc}") from exc
    if not profile.is_bound:
        raise _fail(
            f"profile {profile_id}: its URLs have {{base}} placeholders; give --base http://host:port "
            "(and --base NAME=URL for {base:NAME})"
        )
    pagination = dataclasses.replace(
        profile.pagination, max_pages=max(1, min(profile.pagination.max_pages, max_pages))
    )
    return dataclasses.replace(profile, pagination=pagination)


@app.command("check")
def check(
    profile_id: Annotated[str, typer.Argument(help="Profile id (the YAML file's stem).")],
    directory: DirOption = None,
    base: Annotated[
        list[str] | None,
        typer.Option(
            "--base",
            help="Fill {base} with URL (replica profiles), or {base:NAME} with NAME=URL; repeatable. "
            "Same as `scrapy crawl portal -a base=URL -a base_NAME=URL`.",
        ),
    ] = None,
    max_pages: Annotated[int, typer.Option("--max-pages", min=1, help="At most this many list pages.")] = 3,
    max_responses: Annotated[
        int, typer.Option("--max-responses", min=1, help="Stop after this many responses (all kinds).")
    ] = 200,
    timeout: Annotated[int, typer.Option("--timeout", min=1, help="Stop after this many seconds.")] = 600,
    store: Annotated[
        bool, typer.Option("--store", help="Keep what it fetched in the real store (default: a temp one).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help="Scrapy setting NAME=VALUE (repeatable), e.g. DOWNLOAD_DELAY=5."),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="Scrapy log level.")] = "ERROR",
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
) -> None:
    """Crawl one profile, bounded, and say what a live run found: verified, blocked or unverified."""
    from rich.console import Console

    from crawler.commands.crawl import CrawlJob, check_store, run_crawls

    profile = bounded_profile(profile_id, _directory(directory), list(base or []), max_pages)
    overrides: dict[str, Any] = {
        "LOG_LEVEL": log_level.upper(),
        "CLOSESPIDER_PAGECOUNT": max_responses,
        "CLOSESPIDER_TIMEOUT": timeout,
        "EXTENSIONS": {"crawler.commands.profiles.CheckRecorder": 600},
        "TELNETCONSOLE_ENABLED": False,
    }
    overrides.update(parse_assignments(list(set_ or [])))
    console = Console(stderr=as_json)
    with tempfile.TemporaryDirectory(prefix="nbk-check-") as tmp:
        if store:
            check_store()
        else:
            overrides.setdefault("NIANBAOKU_DATA_DIR", tmp)
            overrides.setdefault("DATABASE_URL", f"sqlite:///{Path(tmp) / 'nianbaoku.sqlite'}")
        [summary] = run_crawls(
            [CrawlJob(profile)], overrides=overrides, console=console, progress=not (no_progress or as_json)
        )
    result = findings(summary, profile)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        render_check(result, console)
    if result.verdict != "verified":
        raise typer.Exit(1)
