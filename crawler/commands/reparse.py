"""``python -m crawler reparse <URL|file|capture-id> [--json]`` and ``reparse --all [--since-parser V]``.

A spot re-parse fetches a URL the way a crawl does (politeness, challenge and encoding middlewares,
archive → parse → store pipelines, a stub page's attachments), imports a file, or re-reads a capture
from the archive; it records the version and the parse, and prints what ``parse`` prints — the tables,
or with ``--json`` the same JSON plus ``"stored": {"capture_id", "version_id", "parse_result_id",
"outcome"}``. Exit status 0 when a parse was recorded; otherwise one line ``error: <what>: <why>`` and
exit 1 (the JSON is still printed when the document parsed but could not be stored, e.g. no year).

``--all`` re-parses the archive after a parser upgrade without fetching anything, with a progress bar,
and reports which reports' cells or check statuses changed (`crawler.reparse`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from crawler.reparse import ArchiveReparse, SpotResult

#: Changed cells listed per report in the human summary (``--json`` lists all).
SHOWN_CELLS = 20


def _fail(message: str, code: int = 1) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _print_spot(spot: SpotResult, json_out: bool) -> None:
    from crawler.commands.parse import _print_human

    if json_out:
        sys.stdout.write(json.dumps(spot.to_dict(), ensure_ascii=False, default=str) + "\n")
        return
    if spot.result is not None:
        r = spot.result
        _print_human(
            SimpleNamespace(
                report=r.get("report") or {},
                cells=r.get("cells") or {},
                checks=r.get("checks") or [],
                warnings=r.get("warnings") or [],
            )
        )
    print(
        f"stored: capture {spot.capture_id}, version {spot.version_id}, parse result "
        f"{spot.parse_result_id}, outcome {spot.outcome}" + (f" ({spot.reason})" if spot.reason else "")
    )


def _cell(raw: str | None, value: float | None, flag: str | None) -> str:
    """One side of a changed cell: its value (``—`` for null) and flag; empty when the cell is absent."""
    if raw is None and value is None and flag is None:
        return ""
    shown = "—" if value is None else (str(int(value)) if float(value).is_integer() else str(value))
    return shown if flag == "ok" else f"{shown} [dim]{flag}[/]"


def _render_archive(summary: ArchiveReparse, console: Console) -> None:
    from rich.table import Table

    data = summary.to_dict()
    console.print(
        f"parser {summary.parser_version}: {data['reparsed']} re-parsed, {data['changed']} changed, "
        f"{data['unchanged']} unchanged, {data['first_parses']} parsed for the first time, "
        f"{data['failed']} failed (of {data['selected']} selected)"
    )
    for v in summary.changed:
        title = (
            f"{v.agency} {v.stat_year} ({v.scope}), version {v.version_id}: "
            f"parser {v.old_parser} → {v.parser_version}"
        )
        table = Table(title=title, title_justify="left")
        table.add_column("cell / check", overflow="fold")
        table.add_column("old", justify="right")
        table.add_column("new", justify="right")
        for c in v.cells[:SHOWN_CELLS]:
            table.add_row(
                c.key, _cell(c.old_raw, c.old_value, c.old_flag), _cell(c.new_raw, c.new_value, c.new_flag)
            )
        if len(v.cells) > SHOWN_CELLS:
            table.add_row(f"… {len(v.cells) - SHOWN_CELLS} more cells (--json lists all)", "", "")
        for ch in v.checks:
            table.add_row(f"check {ch.rule}", str(ch.old or "—"), str(ch.new or "—"))
        console.print(table)
    for v in summary.failed:
        console.print(f"[red]failed[/] version {v.version_id} {v.agency} {v.stat_year}: {v.error}")


def _reparse_all(since_parser: str | None, json_out: bool, no_progress: bool, options: Any) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from crawler.commands.crawl import check_store
    from crawler.reparse import reparse_archive
    from storage.db import open_store

    check_store()
    console = Console(stderr=json_out)
    bar = Progress(
        TextColumn("[bold]re-parse"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[changed]} changed"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=no_progress,
    )
    state: dict[str, Any] = {"changed": 0}

    def on_start(total: int) -> None:
        state["task"] = bar.add_task("re-parse", total=total, changed=0)

    def on_version(done: Any) -> None:
        state["changed"] += int(done.changed)
        bar.update(state["task"], advance=1, changed=state["changed"])

    with open_store() as store, bar:
        summary = reparse_archive(
            store, since_parser=since_parser, options=options, on_start=on_start, on_version=on_version
        )
    if json_out:
        sys.stdout.write(json.dumps(summary.to_dict(), ensure_ascii=False, default=str) + "\n")
    else:
        _render_archive(summary, console)
    if summary.failed:
        raise typer.Exit(1)


def reparse(
    target: Annotated[
        str | None, typer.Argument(help="a report URL (http/https), a file path, or a capture id")
    ] = None,
    all_versions: Annotated[
        bool, typer.Option("--all", help="re-parse the whole archive (nothing is fetched)")
    ] = False,
    since_parser: Annotated[
        str | None,
        typer.Option("--since-parser", help="with --all: only reports last parsed by parser V or older"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON (parse's, plus 'stored')")] = False,
    agency: Annotated[
        str | None, typer.Option("--agency", help="the agency, when the document does not name it")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="the statistical year, when the document does not say")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="strict validation: blank is not 0")] = False,
    log_level: Annotated[
        str,
        typer.Option("--log-level", help="Scrapy log level (URLs); errors are summed up in one line anyway."),
    ] = "CRITICAL",
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
) -> None:
    """Re-parse one URL, file or capture (and store it), or the whole archive after a parser upgrade."""
    from crawler.reparse import ReparseError, reparse_capture, reparse_file, reparse_url
    from parsers.report import ParseOptions
    from storage.errors import StoreError

    options = ParseOptions(mode="strict" if strict else "lenient")
    if all_versions == bool(target):
        _fail("reparse: give one target (URL, file or capture id) or --all", 2)
    if since_parser and not all_versions:
        _fail("reparse: --since-parser goes with --all", 2)
    try:
        if all_versions:
            _reparse_all(since_parser, json_out, no_progress, options)
            return
        assert target is not None
        if target.startswith(("http://", "https://")):
            from crawler.commands.crawl import check_store

            check_store()
            spot = reparse_url(
                target,
                agency=agency,
                stat_year=year,
                overrides={"LOG_LEVEL": log_level.upper()},
                options=options,
            )
        else:
            from storage.db import open_store

            with open_store() as store:
                if target.isdigit() and not Path(target).exists():
                    spot = reparse_capture(store, int(target), agency=agency, stat_year=year, options=options)
                else:
                    spot = reparse_file(store, target, agency=agency, stat_year=year, options=options)
    except typer.Exit:
        raise
    except ReparseError as exc:
        _fail(str(exc))
    except StoreError as exc:
        _fail(f"store: {exc}")
    except Exception as exc:  # a bug must still be one line for the user
        _fail(f"{target or '--all'}: internal error ({type(exc).__name__}: {exc})", 2)
    _print_spot(spot, json_out)
    if not spot.ok:
        print(f"error: {target}: not stored: {spot.reason or spot.outcome}", file=sys.stderr)
        raise typer.Exit(1)
