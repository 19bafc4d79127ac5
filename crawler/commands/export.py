"""``python -m crawler export``: stream cells, reports, checks or captures to CSV, Parquet or JSON Lines.

The columns of every export are listed in ``docs/data-dictionary.md`` (generated from
`storage.exporters.EXPORTS`). Filters narrow by statistical year, region (GB/T 2260 code prefix or place
name) and agency (canonical name or alias). Rows stream from the database to the file, so memory stays
flat however large the archive; the file appears only when complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawler.commands._tools import fail, open_for_tools, selection_from_options


def export(
    what: Annotated[str, typer.Option("--what", help="cells | reports | checks | captures")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (replaced when complete).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv | parquet | jsonl")] = "csv",
    year: Annotated[
        list[str] | None,
        typer.Option("--year", "-y", help="Statistical year or range (2023, 2019-2023); repeatable."),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", "-r", help="GB/T 2260 code prefix (33, 3305, 330502) or a place name."),
    ] = None,
    agency: Annotated[
        list[str] | None, typer.Option("--agency", "-a", help="Canonical name or alias; repeatable.")
    ] = None,
) -> None:
    """Export the archive for analysis: the long cell table, one row per report, checks or captures."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.errors import StoreError
    from storage.exporters import EXPORTS, FORMATS
    from storage.exporters import export as run_export
    from storage.queries import read_session

    if what not in EXPORTS:
        fail(f"--what {what!r} is not an export: choose one of {', '.join(EXPORTS)}")
    if fmt not in FORMATS:
        fail(f"--format {fmt!r} is not supported: choose one of {', '.join(FORMATS)}")
    try:
        with open_for_tools() as store, read_session(store) as session:
            selection = selection_from_options(session, year, region, agency)
            count = run_export(session, what, fmt, output, selection)
    except StoreError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"the database could not be read: {reason}")
    typer.echo(f"wrote {count} {what} row{'s' if count != 1 else ''} to {output} ({fmt})")
