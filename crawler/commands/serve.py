"""``python -m crawler serve``: browse the store in Datasette, with a page per report as parsed.

A SQLite store is served as it is: the file is opened read-only (``mode=ro``: a crawl may keep writing,
and its commits show up), or with ``--immutable`` as an immutable file (faster counts; only for a store
nothing writes to). Datasette reads SQLite only, so a PostgreSQL store (or a SQLite one given
``--snapshot``) is first copied into a read-only SQLite snapshot (`storage.snapshot`:
``<data dir>/serve-snapshot.sqlite`` or ``--snapshot PATH``), which is then served as an immutable file;
the command says when the copy was taken, and running it again refreshes it. Runs uvicorn in the
foreground until interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crawler.commands._tools import fail

if TYPE_CHECKING:
    from crawler.config import StoreConfig
    from storage.snapshot import Snapshot


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")] = 8001,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the report index in a web browser.")
    ] = False,
    immutable: Annotated[
        bool,
        typer.Option("--immutable", help="Open the store as an immutable file (nothing may write to it)."),
    ] = False,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot",
            help="Where the SQLite snapshot of the store goes (default for a PostgreSQL store: "
            "<data dir>/serve-snapshot.sqlite); given with a SQLite store, serve a snapshot of it too.",
        ),
    ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar for the copy.")] = False,
) -> None:
    """Browse the store in Datasette: tables with facets, and a page per report with its tables as parsed."""
    from sqlalchemy import make_url

    from crawler.config import resolve
    from crawler.serve.store import NotServable, ServedStore, check_servable, sqlite_path

    config = resolve()
    note = None
    try:
        if make_url(config.database_url).get_backend_name() != "sqlite" or snapshot is not None:
            taken = _snapshot(config, snapshot, no_progress)
            served = ServedStore(taken.path, config.blob_dir, immutable=True)
            note = f"snapshot of {taken.source} taken {taken.taken_at:%Y-%m-%d %H:%M:%S} UTC"
        else:
            served = ServedStore(sqlite_path(config.database_url), config.blob_dir, immutable=immutable)
        check_servable(served)
    except NotServable as exc:
        fail(str(exc))

    import uvicorn

    from crawler.serve.app import make_datasette

    datasette = make_datasette(served, version_note=note)
    _startup(datasette)
    url = f"http://{host}:{port}{datasette.urls.path('/reports')}"
    mode = "snapshot, immutable" if note else "immutable" if immutable else "read-only"
    typer.echo(f"serving {served.db_path} ({mode}) at {url}  (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)


def _snapshot(config: StoreConfig, path: Path | None, no_progress: bool) -> Snapshot:
    """Copy the store into a SQLite snapshot with a progress bar; `NotServable` (one line) on failure."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy.exc import SQLAlchemyError

    from crawler.serve.store import NotServable
    from storage.db import display_url
    from storage.errors import StoreError
    from storage.snapshot import SNAPSHOT_NAME, take_snapshot

    target = path if path is not None else config.data_dir / SNAPSHOT_NAME
    bar = Progress(
        TextColumn("[bold]snapshot[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=no_progress,
    )
    tasks: dict[str, int] = {}

    def on_start(rows: dict[str, int]) -> None:
        for table, count in rows.items():
            tasks[table] = bar.add_task(table, total=count)

    def on_rows(table: str, n: int) -> None:
        bar.update(tasks[table], advance=n)

    source = display_url(config.database_url)
    typer.echo(f"copying {source} into a SQLite snapshot at {target.resolve()} …", err=True)
    try:
        with bar:
            taken = take_snapshot(config.database_url, target, on_start=on_start, on_rows=on_rows)
    except StoreError as exc:
        raise NotServable(str(exc)) from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise NotServable(f"could not take a snapshot of the store at {source}: {reason}") from exc
    except OSError as exc:
        raise NotServable(f"could not write the snapshot {target}: {exc}") from exc
    typer.echo(
        f"snapshot: {taken.path} is a copy of {taken.source} as it was at "
        f"{taken.taken_at:%Y-%m-%d %H:%M:%S} UTC ({taken.total_rows:,} rows in {taken.seconds:.1f} s); "
        "later changes to the store are not shown — run `serve` again to refresh it"
    )
    return taken


def _startup(datasette: object) -> None:
    """Run Datasette's startup hooks before serving (as the ``datasette serve`` command does)."""
    import asyncio

    asyncio.run(datasette.invoke_startup())  # type: ignore[attr-defined]
