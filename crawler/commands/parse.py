"""``python -m crawler parse <file|url> [--json]``: parse one report and show what was read.

Why a command of its own: it is how a person (or the scorer) checks the parser on one file without a
database. A URL is fetched once with urllib (timeout, size cap, no retries) and its Content-Type passed
to the carrier. Any failure prints one line ``error: <what>: <why>`` on stderr and exits non-zero —
never a traceback, and never a hang (a hard wall-clock limit backs up the parser's own time budget).
"""

from __future__ import annotations

import json
import signal
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

FETCH_TIMEOUT_S = 30  # one slow portal must not stall the command
MAX_FETCH_BYTES = 64 * 1024 * 1024  # same as parsers.limits.MAX_INPUT_BYTES
WALL_LIMIT_S = 120  # hard stop for the whole command; the parser's own budget is 60 s
USER_AGENT = "nianbaoku/0.1 (+parse command)"


class CommandError(Exception):
    """A failure reported to the user as ``error: <what>: <why>``."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"{what}: {why}")


@contextmanager
def _wall_limit(seconds: int):
    """SIGALRM-based hard stop (the CLI runs in the main thread, where signals are allowed)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise CommandError("parse", f"gave up after {seconds}s (wall-clock limit of the command)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def fetch(
    url: str, *, timeout: float = FETCH_TIMEOUT_S, max_bytes: int = MAX_FETCH_BYTES
) -> tuple[bytes, str | None]:
    """GET `url` once; return the body and its Content-Type. Reads at most `max_bytes` + 1 bytes."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise CommandError(
                    url, f"response is {int(length):,} bytes, above the {max_bytes:,}-byte cap"
                )
            data = resp.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise CommandError(url, f"response exceeds the {max_bytes:,}-byte cap")
            return data, resp.headers.get("Content-Type")
    except urllib.error.HTTPError as exc:
        raise CommandError(url, f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise CommandError(url, f"cannot fetch ({exc.reason})") from exc
    except TimeoutError as exc:
        raise CommandError(url, f"no response within {timeout:g}s") from exc


def read_target(target: str) -> tuple[bytes, str | None, str | None]:
    """(bytes, url, content_type) for a path or an http(s) URL."""
    if target.startswith(("http://", "https://")):
        data, ctype = fetch(target)
        return data, target, ctype
    path = Path(target)
    if not path.exists():
        raise CommandError(target, "no such file")
    if not path.is_file():
        raise CommandError(target, "not a regular file")
    size = path.stat().st_size
    if size > MAX_FETCH_BYTES:
        raise CommandError(target, f"file is {size:,} bytes, above the {MAX_FETCH_BYTES:,}-byte cap")
    try:
        return path.read_bytes(), None, None
    except OSError as exc:
        raise CommandError(target, f"cannot read ({exc.strerror})") from exc


def _print_human(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from parsers import schema

    console = Console()
    rep = result.report
    console.print(
        f"[bold]{rep.get('agency') or '(agency unknown)'}[/] {rep.get('stat_year') or ''}  "
        f"format {rep.get('format_version')} (二 {rep.get('table2_version')}, 三 {rep.get('table3_version')})"
        f"  source {rep.get('source_kind')}"
    )
    cells = result.cells

    def show(v: dict[str, Any] | None) -> str:
        if not v:
            return ""
        val = v.get("value")
        text = "—" if val is None else str(val)
        return text if v.get("flag") == "ok" else f"{text} [dim]{v.get('flag')}[/]"

    era = rep.get("table2_version") or rep.get("format_version")
    t2 = Table(title="二 主动公开")
    t2.add_column("key")
    t2.add_column("value")
    for key in schema.t2_keys(era) or schema.t2_keys(schema.GOV2021):
        t2.add_row(key.removeprefix("active."), show(cells.get(key)))
    console.print(t2)
    t3 = Table(title="三 依申请公开")
    t3.add_column("row")
    for c in schema.T3_COLS:
        t3.add_column(c.label)
    era3 = rep.get("table3_version") or rep.get("format_version")
    for row in schema.t3_row_keys(era3 if era3 in (schema.GOV2019, schema.GOV2021) else schema.GOV2021):
        t3.add_row(row, *(show(cells.get(f"applications.{row}.{c.key}")) for c in schema.T3_COLS))
    console.print(t3)
    t4 = Table(title="四 复议诉讼")
    t4.add_column("group")
    for c in schema.T4_COLS:
        t4.add_column(c.label)
    for g in schema.T4_GROUPS:
        t4.add_row(g.label, *(show(cells.get(f"{g.key}.{c.key}")) for c in schema.T4_COLS))
    console.print(t4)
    failing = [c for c in result.checks if str(c.get("status", "")).upper() == "FAIL"]
    if failing:
        console.print(f"[bold red]{len(failing)} failing check(s)[/]")
        for c in failing:
            console.print(
                f"  {c.get('rule')}: {c.get('message') or ''} (left {c.get('left')}, right {c.get('right')})"
            )
    else:
        console.print(f"checks: {len(result.checks)} run, none failing")
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}")


def parse(
    target: str = typer.Argument(..., help="a report file path or an http(s) URL"),
    json_out: bool = typer.Option(False, "--json", help="print the parse result as JSON"),
    strict: bool = typer.Option(
        False, "--strict", help="strict validation: blank is not 0 (format-spec §7.5)"
    ),
) -> None:
    """Parse one annual report and print its tables and failing checks (or the JSON result)."""
    from parsers.errors import ParseError

    try:
        with _wall_limit(WALL_LIMIT_S):
            from parsers.report import ParseOptions
            from parsers.report import parse as parse_report

            data, url, ctype = read_target(target)
            result = parse_report(
                data,
                url=url,
                content_type=ctype,
                options=ParseOptions(mode="strict" if strict else "lenient"),
            )
    except (CommandError, ParseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    except MemoryError:
        print(f"error: {target}: out of memory while parsing", file=sys.stderr)
        raise typer.Exit(1) from None
    except Exception as exc:  # a parser bug must still be one line for the user
        print(f"error: {target}: internal parser error ({type(exc).__name__}: {exc})", file=sys.stderr)
        raise typer.Exit(2) from None
    if json_out:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, default=str) + "\n")
    else:
        _print_human(result)
