"""``python -m crawler crawl --profile <id> | --all``: crawl portals into the store, with a progress bar
and an end-of-run summary (reports new / changed / unchanged / blocked / failed, requests, errors).

It runs the same spider, middlewares and pipelines as ``scrapy crawl portal -a profile=<id>`` (the
project settings, `crawler.settings`), several profiles side by side in one Scrapy `CrawlerProcess`.
The store is the one `crawler.config.resolve()` finds (``NIANBAOKU_DATA_DIR``, ``DATABASE_URL``).
``--warc PATH`` also writes every response and its request to a WARC file (`crawler.extensions`).
``--jobdir DIR`` keeps the frontier on disk, crash-safe, so the crawl resumes after a stop or a kill
(`crawler.jobdir`).

`run_crawls` is the reusable part (the ``demo`` command calls it with replica profiles): it takes
`CrawlJob`s and setting overrides and returns one `CrawlSummary` per job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from spiders.profiles import PortalProfile

#: Error entries shown in the summary (all of them are on the crawl run).
SHOWN_ERRORS = 15
OUTCOME_COLUMNS = ("new", "changed", "unchanged", "blocked", "failed")


@dataclass
class CrawlJob:
    """One spider run: a profile (id or loaded `PortalProfile`) and extra spider arguments.

    `spider` is the spider's name or class (``reparse`` runs a one-URL subclass of the portal spider).
    """

    profile: str | PortalProfile
    kwargs: dict[str, Any] = field(default_factory=dict)
    spider: str | type = "portal"

    @property
    def name(self) -> str:
        return self.profile if isinstance(self.profile, str) else self.profile.id


@dataclass
class CrawlSummary:
    """What one crawl did, from its stats: run id, close reason, counts, errors."""

    profile: str
    run_id: int | None
    finish_reason: str | None
    counts: dict[str, int]
    errors: list[dict[str, Any]]
    stats: dict[str, Any]
    spider: Any = None  # the spider instance, for callers that read what it collected

    @property
    def ok(self) -> bool:
        return self.finish_reason == "finished"


def project_settings(**overrides: Any):
    """The project's Scrapy settings (`crawler.settings`) plus `overrides` at command-line priority.

    Built from the module rather than ``scrapy.cfg``, so the command works from any directory.
    """
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if overrides:
        settings.setdict(overrides, priority="cmdline")
    return settings


def _summarise(job: CrawlJob, crawler: Any) -> CrawlSummary:
    from crawler.extensions import blocked_errors, run_counts
    from crawler.pipelines import RUN_ID_KEY, run_errors

    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    errors = (run_errors(crawler.stats) if crawler.stats is not None else []) + blocked_errors(stats)
    return CrawlSummary(
        profile=job.name,
        run_id=stats.get(RUN_ID_KEY),
        finish_reason=stats.get("finish_reason"),
        counts=run_counts(stats),
        errors=errors,
        stats=stats,
        spider=getattr(crawler, "spider", None),
    )


def run_crawls(
    jobs: list[CrawlJob],
    *,
    overrides: dict[str, Any] | None = None,
    console: Console | None = None,
    progress: bool = True,
) -> list[CrawlSummary]:
    """Run `jobs` side by side in one `CrawlerProcess` (blocking) and summarise each.

    A Twisted reactor runs once per process: call this once per process (the CLI does).
    """
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from scrapy.crawler import CrawlerProcess
    from twisted.internet import task

    settings = project_settings(**(overrides or {}))
    process = CrawlerProcess(settings)
    crawlers = []
    for job in jobs:
        crawler = process.create_crawler(job.spider)
        process.crawl(crawler, profile=job.profile, **job.kwargs)
        crawlers.append((job, crawler))

    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[requests]} requests · {task.fields[reports]} reports"),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not progress,
        transient=False,
    )
    tasks = {
        id(c): bar.add_task(job.name, total=None, requests=0, reports=0, state="starting")
        for job, c in crawlers
    }

    def refresh() -> None:
        for _job, crawler in crawlers:
            stats = crawler.stats.get_stats() if crawler.stats is not None else {}
            reports = sum(int(stats.get(f"nianbaoku/store/{k}") or 0) for k in OUTCOME_COLUMNS)
            reason = stats.get("finish_reason")
            bar.update(
                tasks[id(crawler)],
                requests=int(stats.get("downloader/request_count") or 0),
                reports=reports,
                state=reason or ("running" if stats else "starting"),
                total=1 if reason else None,
                completed=1 if reason else 0,
            )

    loop = task.LoopingCall(refresh)
    with bar:
        loop.start(0.25, now=False)
        try:
            process.start()
        finally:
            if loop.running:
                loop.stop()
            refresh()
    return [_summarise(job, crawler) for job, crawler in crawlers]


def render_summary(summaries: list[CrawlSummary], console: Console) -> None:
    """The end-of-run table (one row per profile, a total row) and the first errors with their URLs."""
    from rich.table import Table

    table = Table(title="crawl summary", title_justify="left")
    table.add_column("profile", style="bold", no_wrap=True)
    table.add_column("run")
    for col in (*OUTCOME_COLUMNS, "requests", "errors"):
        table.add_column(col, justify="right")
    table.add_column("status")
    totals = dict.fromkeys((*OUTCOME_COLUMNS, "requests", "errors"), 0)
    for s in summaries:
        values = {**{k: s.counts.get(k, 0) for k in (*OUTCOME_COLUMNS, "requests")}, "errors": len(s.errors)}
        for k, v in values.items():
            totals[k] += v
        status = "finished" if s.ok else f"interrupted ({s.finish_reason})"
        run = f"#{s.run_id}" if s.run_id is not None else "-"
        table.add_row(s.profile, run, *(str(values[k]) for k in values), status)
    if len(summaries) > 1:
        table.add_row("total", "", *(str(v) for v in totals.values()), "", style="bold")
    console.print(table)
    errors = [(s.profile, e) for s in summaries for e in s.errors]
    if errors:
        err = Table(title=f"errors ({len(errors)}; all are on the crawl runs)", title_justify="left")
        err.add_column("profile")
        err.add_column("error")
        err.add_column("url", overflow="fold")
        err.add_column("reason", overflow="fold")
        for profile, e in errors[:SHOWN_ERRORS]:
            reason = str(e.get("reason") or "")[:160]
            err.add_row(profile, str(e.get("error")), str(e.get("url") or ""), reason)
        if len(errors) > SHOWN_ERRORS:
            err.add_row("…", f"{len(errors) - SHOWN_ERRORS} more", "", "")
        console.print(err)


def check_store() -> None:
    """Open (and if new, create) the store before any request: an outdated or unreachable store is
    one line on stderr and exit 1, not a traceback from inside Scrapy."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import open_store
    from storage.errors import StoreError

    try:
        open_store().close()
    except StoreError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.secho(f"error: the database could not be used: {reason}", fg="red", err=True)
        raise typer.Exit(1) from exc


def _worker_overrides(worker: bool, redis_url: str | None, assignments: list[str]) -> dict[str, Any]:
    """Settings of ``--set NAME=VALUE`` and of distributed mode (``--worker``/``--redis-url``)."""
    import os

    from crawler.distributed import distributed_settings

    out: dict[str, Any] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            typer.secho(f"error: --set {item!r}: expected NAME=VALUE", fg="red", err=True)
            raise typer.Exit(2)
        out[name.strip()] = value
    url = redis_url or os.environ.get("REDIS_URL")
    if worker and not url:
        typer.secho(
            "error: --worker needs a shared frontier: set REDIS_URL or give --redis-url", fg="red", err=True
        )
        raise typer.Exit(2)
    if url and (worker or redis_url):
        out.update(distributed_settings(url))
    return out


def crawl(
    profile: Annotated[
        list[str] | None, typer.Option("--profile", "-p", help="Profile id to crawl (repeatable).")
    ] = None,
    all_profiles: Annotated[
        bool, typer.Option("--all", help="Crawl every profile in the profiles directory.")
    ] = False,
    due: Annotated[
        bool,
        typer.Option(
            "--due", help="Crawl the profiles whose schedule says they are due (cron, one at a time)."
        ),
    ] = False,
    profiles_dir: Annotated[
        Path | None, typer.Option("--profiles-dir", help="Where profiles live (default: the shipped ones).")
    ] = None,
    warc: Annotated[
        Path | None, typer.Option("--warc", help="Also write every response and its request to this WARC.")
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="Scrapy log level.")] = "WARNING",
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar (logs, CI).")] = False,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker",
            help="One of N workers sharing a Redis frontier (needs REDIS_URL or "
            "--redis-url; see crawler/distributed.py).",
        ),
    ] = False,
    redis_url: Annotated[
        str | None, typer.Option("--redis-url", help="Redis of the shared frontier (default: $REDIS_URL).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help="Scrapy setting NAME=VALUE (repeatable), e.g. DOWNLOAD_DELAY=5."),
    ] = None,
    jobdir: Annotated[
        Path | None,
        typer.Option(
            "--jobdir",
            help="Keep the crawl's queue and duplicate filter in this directory (one per profile), so a "
            "crawl stopped by Ctrl-C, SIGTERM or kill -9 resumes when the same command runs again; "
            "cleared when the crawl finishes (crawler/jobdir.py).",
        ),
    ] = None,
) -> None:
    """Crawl portal profiles into the store; print a summary of reports and errors."""
    from rich.console import Console

    from spiders.profiles import PROFILES_DIR, ProfileError, get_profile

    console = Console()
    directory = profiles_dir or PROFILES_DIR
    if sum((bool(profile), all_profiles, due)) != 1:
        typer.secho("error: crawl: give --profile <id> (one or more), --all or --due", fg="red", err=True)
        raise typer.Exit(2)
    extra = _worker_overrides(worker, redis_url, set_ or [])  # a bad option fails before any work
    if jobdir is not None:
        extra["JOBDIR"] = str(jobdir)
    if extra.get("JOBDIR"):  # --jobdir or --set JOBDIR=…: a JOBDIR is a JOBDIR however it was given
        option = "--jobdir" if jobdir is not None else "--set JOBDIR"
        if extra.get("NIANBAOKU_DISTRIBUTED") or due or all_profiles or len(profile or []) != 1:
            typer.secho(f"error: {option}: one directory holds one crawl: give one --profile, without "
                        "--all, --due or a Redis frontier (which resumes on its own)", fg="red", err=True)
            raise typer.Exit(2)
    if due:  # crawler/schedule.py: the due profiles only, under a lock
        from crawler.schedule import crawl_due

        settings = {"LOG_LEVEL": log_level.upper(), **extra}
        if warc:
            settings["NIANBAOKU_WARC_PATH"] = str(warc)
        code = crawl_due(Path(directory), overrides=settings, console=console, progress=not no_progress)
        raise typer.Exit(code)
    ids = list(profile or []) or sorted(p.stem for p in Path(directory).glob("*.yaml"))
    jobs = []
    for pid in ids:
        try:
            loaded = get_profile(pid, directory)
        except (ProfileError, FileNotFoundError, KeyError, LookupError) as exc:
            typer.secho(f"error: profile {pid}: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
        if not loaded.is_bound:
            typer.secho(
                f"error: profile {pid}: its URLs have {{base}} placeholders (a replica profile: see `demo`)",
                fg="red",
                err=True,
            )
            raise typer.Exit(2)
        jobs.append(CrawlJob(loaded))
    check_store()
    overrides: dict[str, Any] = {"LOG_LEVEL": log_level.upper()}
    if warc:
        overrides["NIANBAOKU_WARC_PATH"] = str(warc)
    overrides.update(extra)
    summaries = run_crawls(jobs, overrides=overrides, console=console, progress=not no_progress)
    render_summary(summaries, console)
    if not all(s.ok for s in summaries):
        raise typer.Exit(1)
