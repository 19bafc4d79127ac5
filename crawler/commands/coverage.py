"""``python -m crawler coverage``: the agency × year matrix — collected, late, unparseable, blocked,
missing — as a table, and optionally a CSV and a PNG heatmap.

The states are defined in `storage.coverage`. "blocked" comes from the most recent crawl run of each
portal profile (``blocked:<kind>`` errors), attributed to the profile's agency from
``spiders/profiles/*.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crawler.commands._tools import fail, open_for_tools, selection_from_options

STYLE = {
    "collected": ("●", "green"),
    "late": ("◐", "yellow"),
    "unparseable": ("✗", "red"),
    "blocked": ("■", "bright_black"),
    "missing": ("·", "white"),
}


def profile_agencies() -> dict[str, str]:
    """Profile id → canonical agency name of the shipped portal profiles ({} if they cannot be read:
    coverage then attributes only errors that name their agency)."""
    try:
        from spiders.profiles import load_profiles

        return {pid: profile.agency for pid, profile in load_profiles().items()}
    except Exception as exc:  # a broken profile must not take the coverage report down with it
        typer.secho(f"warning: portal profiles not read ({exc}); blocked states may be missed", err=True)
        return {}


def _render(matrix: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="coverage: agency × statistical year", title_justify="left")
    table.add_column("agency", overflow="fold")
    table.add_column("region")
    for year in matrix.years:
        table.add_column(str(year), justify="center")
    for row in matrix.rows:
        cells = []
        for year in matrix.years:
            symbol, colour = STYLE[row.cells[year].state]
            cells.append(f"[{colour}]{symbol}[/{colour}]")
        table.add_row(row.agency.name, row.agency.region_code or "", *cells)
    console.print(table)
    counts = matrix.counts()
    console.print(
        "  ".join(f"[{STYLE[s][1]}]{STYLE[s][0]}[/{STYLE[s][1]}] {s} {n}" for s, n in counts.items())
    )


def coverage(
    region: Annotated[
        str | None,
        typer.Option("--region", "-r", help="GB/T 2260 code prefix (33, 3305, 330502) or a place name."),
    ] = None,
    years: Annotated[
        str | None,
        typer.Option(
            "--years", "-y", help="Year range, e.g. 2019-2025 (default: the store's first to last)."
        ),
    ] = None,
    agency: Annotated[
        list[str] | None, typer.Option("--agency", "-a", help="Canonical name or alias; repeatable.")
    ] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Also write the matrix as a CSV.")] = None,
    png_path: Annotated[
        Path | None, typer.Option("--png", help="Also draw the matrix as a PNG heatmap.")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No table on the terminal (files only).")
    ] = False,
) -> None:
    """Show which agency published which year's report: collected / late / unparseable / blocked / missing."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.coverage import coverage_matrix, write_csv
    from storage.errors import StoreError
    from storage.queries import read_session

    try:
        with open_for_tools() as store, read_session(store) as session:
            selection = selection_from_options(session, [years] if years else None, region, agency)
            year_list = sorted(selection.years) if selection.years else None
            matrix = coverage_matrix(session, selection, year_list, profile_agencies())
    except StoreError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"the database could not be read: {reason}")
    if not quiet:
        if matrix.rows and matrix.years:
            _render(matrix)
        else:
            typer.echo("no agencies or years to show (the store holds no report in this selection)")
    try:
        if csv_path is not None:
            write_csv(matrix, csv_path)
            typer.echo(f"wrote {csv_path}")
        if png_path is not None:
            from storage.heatmap import render_png

            drawn = render_png(matrix, png_path)
            note = "" if drawn["font"] else " (no CJK font found: agency names may show as boxes)"
            cut = f", first {drawn['rows']} agencies" if drawn["truncated"] else ""
            typer.echo(f"wrote {png_path}{cut}{note}")
    except OSError as exc:
        fail(f"cannot write {exc.filename or 'the output'}: {exc.strerror or exc}")
