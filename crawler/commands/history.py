"""``python -m crawler history --agency <name> --year <Y> [--json]``: the versions of a report, what
changed between them cell by cell, and how it agrees with the year before and after.

Cross-year checks (format-spec §7.1, §7.3) are computed when both years of the agency and scope are
parsed, and stored (`storage.models.CrossYearCheck`) so that ``export --what checks`` lists them too;
``--no-refresh`` shows what is stored without computing anything.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from crawler.commands._tools import fail, open_for_tools

MAX_CHANGES_SHOWN = 200
"""Changed cells listed per pair of versions on the terminal (``--json`` lists all)."""


def _num(value: Any) -> str:
    if value is None:
        return "null"
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _render(histories: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for h in histories:
        console.rule(f"{h.agency} · {h.stat_year} · scope {h.scope}")
        versions = Table(title="versions", title_justify="left")
        for name in ("id", "current", "first seen", "last seen", "parse", "cells", "published", "from"):
            versions.add_column(name, overflow="fold")
        for v in h.versions:
            versions.add_row(
                str(v.id),
                "✓" if v.is_current else "",
                v.first_seen.isoformat(timespec="seconds"),
                v.last_seen.isoformat(timespec="seconds"),
                f"{v.parser_version} {v.format_version}" if v.parser_version else "(not parsed)",
                str(v.n_cells),
                v.published_date or "",
                "\n".join(f"{c.kind}: {c.url}" for c in v.captures),
            )
        console.print(versions)
        for d in h.diffs:
            if d.note:
                console.print(f"version {d.from_version} → {d.to_version}: {d.note}")
                continue
            if not d.changes:
                console.print(f"version {d.from_version} → {d.to_version}: no cell changed")
                continue
            table = Table(
                title=f"version {d.from_version} → {d.to_version}: {len(d.changes)} cells changed",
                title_justify="left",
            )
            for name in ("key", "change", "old raw", "old value", "new raw", "new value"):
                table.add_column(name, overflow="fold")
            for c in d.changes[:MAX_CHANGES_SHOWN]:
                table.add_row(
                    c.key,
                    c.change,
                    c.old_raw if c.old_raw is not None else "",
                    _num(c.old_value) if c.change != "added" else "",
                    c.new_raw if c.new_raw is not None else "",
                    _num(c.new_value) if c.change != "removed" else "",
                )
            console.print(table)
            if len(d.changes) > MAX_CHANGES_SHOWN:
                console.print(f"… and {len(d.changes) - MAX_CHANGES_SHOWN} more (see --json)")
        if not h.cross_year:
            console.print("cross-year checks: no parsed report of the year before or after")
        for x in h.cross_year:
            counts = x.counts()
            console.print(
                f"cross-year {x.prev_year} → {x.year}: " + ", ".join(f"{k} {n}" for k, n in counts.items())
            )
            failing = [c for c in x.checks if c["status"] == "FAIL"]
            if failing:
                table = Table(show_header=True)
                for name in ("rule", "left", "right", "delta", "kind", "message"):
                    table.add_column(name, overflow="fold")
                for c in failing:
                    table.add_row(
                        c["rule"],
                        _num(c["left"]),
                        _num(c["right"]),
                        _num(c["delta"]),
                        c["kind"] or "",
                        c["message"],
                    )
                console.print(table)


def history(
    agency: Annotated[str, typer.Option("--agency", "-a", help="Canonical name or alias of the agency.")],
    year: Annotated[int, typer.Option("--year", "-y", help="Statistical year of the report.")],
    scope: Annotated[
        str | None, typer.Option("--scope", help="Only this scope (default: every scope of that year).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the history as JSON.")] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh/--no-refresh", help="Compute and store the cross-year checks first.")
    ] = True,
) -> None:
    """Show the versions of a report, the cells that changed between them, and its cross-year checks."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.errors import StoreError
    from storage.history import UnknownAgency, report_history

    try:
        with open_for_tools() as store:
            histories = store.run(lambda s: report_history(s, agency, year, scope, refresh=refresh))
    except UnknownAgency as exc:
        fail(str(exc))
    except StoreError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"the database could not be used: {reason}")
    if json_out:
        typer.echo(json.dumps([h.to_dict() for h in histories], ensure_ascii=False, indent=2))
        return
    if not histories:
        what = f"scope {scope!r} of " if scope else ""
        typer.echo(f"no report for {what}{agency} {year} in the store")
        return
    _render(histories)
