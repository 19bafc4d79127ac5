"""``python -m crawler db …``: create, migrate and inspect the store's schema (Alembic, configured in code),
and sweep the archive for missing, corrupt and orphaned blobs (``db verify``, `storage.verify`).

The store is the one `crawler.config.resolve()` finds (``NIANBAOKU_DATA_DIR``, ``DATABASE_URL``).
Everyday commands create a new store by themselves; these are for upgrading an existing one after the
code moved on, stepping back, and checking where a database stands.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Create and migrate the store's schema (upgrade, downgrade, current); sweep the archive (verify).",
    no_args_is_help=True,
    add_completion=False,
)


@contextmanager
def _friendly_errors() -> Iterator[None]:
    """Print store failures as one line on stderr and exit 1 — never a traceback."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from storage.errors import StoreError

    try:
        yield
    except (StoreError, CommandError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.secho(f"error: the database could not be used: {reason}", fg="red", err=True)
        raise typer.Exit(1) from exc


def _run(action: Callable[..., None] | None, *args: str) -> tuple[str, str | None, str]:
    from crawler.config import resolve
    from storage import migrate
    from storage.db import display_url, prepare_location

    config = resolve()
    prepare_location(config)
    if action is not None:
        action(config, *args)
    return display_url(config.database_url), migrate.current(config), migrate.head()


def _report(url: str, rev: str | None, head: str) -> None:
    state = "(head)" if rev == head else f"(head is {head})"
    typer.echo(f"store: {url}\nschema revision: {rev or '(none)'} {state}")


@app.command()
def upgrade(rev: str = typer.Argument("head", help="Target revision (default: the newest).")) -> None:
    """Migrate the store's schema up to REV (creating the store if it is new)."""
    from storage import migrate

    with _friendly_errors():
        _report(*_run(migrate.upgrade, rev))


@app.command()
def downgrade(rev: str = typer.Argument(..., help="Target revision; 'base' removes every table.")) -> None:
    """Migrate the store's schema down to REV (data in dropped tables is lost; blobs are kept)."""
    from storage import migrate

    with _friendly_errors():
        _report(*_run(migrate.downgrade, rev))


@app.command()
def current() -> None:
    """Show which schema revision the store is at, and the newest the code knows."""
    with _friendly_errors():
        _report(*_run(None))


@app.command()
def verify(
    json_out: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    delete_orphans: Annotated[
        bool,
        typer.Option(
            "--delete-orphans",
            help="Delete archive files no capture refers to (older than an hour; default: only list them).",
        ),
    ] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Damaged captures and orphans listed in the tables.")
    ] = 50,
) -> None:
    """Sweep the archive: every capture's blob present and intact (sha256 streamed), orphan files listed.

    Exits 1 when a blob is missing or corrupt (for cron), naming each capture so it can be fetched again.
    """
    import sys

    from rich.console import Console

    from storage.verify import sweep

    with _friendly_errors():
        store, Session, close = _open_for_sweep()
        try:
            with _sweep_progress(no_progress) as (on_start, on_blob):
                report = sweep(
                    Session, store.blobs, delete_orphans=delete_orphans, on_start=on_start, on_blob=on_blob
                )
        finally:
            close()
    if json_out:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
    else:
        _render_sweep(report, Console(), limit, delete_orphans)
    if report.failed:
        raise typer.Exit(1)


def _open_for_sweep() -> tuple[Any, Any, Callable[[], None]]:
    """The store, a session factory that only reads, and what closes both.

    Why not the store's own sessions on SQLite: they begin with ``BEGIN IMMEDIATE`` (the write lock,
    `storage.db`), and a sweep of hours would keep stalling a crawl; a ``mode=ro`` engine reads WAL
    snapshots without locking anyone out.
    """
    from sqlalchemy import make_url

    from crawler.serve.store import read_only_engine
    from storage.db import make_sessionmaker, open_store

    store = open_store()
    url = make_url(store.config.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return store, store.Session, store.close
    engine = read_only_engine(Path(url.database))

    def close() -> None:
        engine.dispose()
        store.close()

    return store, make_sessionmaker(engine), close


@contextmanager
def _sweep_progress(
    disabled: bool,
) -> Iterator[tuple[Callable[[int, int], None], Callable[[int, str], None]]]:
    """A rich progress bar over the captures (on stderr, so ``--json`` output stays clean)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]verify"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("captures · {task.fields[bad]} damaged"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=disabled,
    )
    state: dict[str, Any] = {"bad": 0}

    def on_start(captures: int, _digests: int) -> None:
        state["task"] = bar.add_task("verify", total=captures, bad=0)

    def on_blob(captures: int, status: str) -> None:
        state["bad"] += captures if status != "ok" else 0
        bar.update(state["task"], advance=captures, bad=state["bad"])

    with bar:
        yield on_start, on_blob


def _render_sweep(report: Any, console: Any, limit: int, delete_orphans: bool) -> None:
    from rich.table import Table

    from storage.verify import refetch_hint

    counts = report.counts()
    summary = Table(title=f"archive sweep of {report.blob_dir}", title_justify="left")
    for column in ("", "ok", "missing", "corrupt", "orphans"):
        summary.add_column(column, justify="left" if not column else "right")
    captures, blobs = counts["captures"], counts["blobs"]
    summary.add_row("captures", str(captures["ok"]), str(captures["missing"]), str(captures["corrupt"]), "—")
    orphans = str(blobs["orphans"])
    if delete_orphans:
        orphans += f" ({blobs['orphans_deleted']} deleted)"
    summary.add_row("blob files", str(blobs["ok"]), str(blobs["missing"]), str(blobs["corrupt"]), orphans)
    console.print(summary)
    console.print(
        f"{report.bytes_checked:,} bytes hashed in {report.seconds:.1f} s", highlight=False, soft_wrap=True
    )

    rows = [(p, c) for p in report.problems for c in p.captures]
    if rows:
        damaged = Table(title="damaged captures (fetch them again)", title_justify="left")
        for column in ("status", "capture", "kind", "url", "sha256", "detail"):
            damaged.add_column(column, overflow="fold")
        for problem, capture in rows[:limit]:
            damaged.add_row(
                problem.status, str(capture.id), capture.kind, capture.url, problem.sha256, problem.detail
            )
        console.print(damaged)
        if len(rows) > limit:
            console.print(f"… and {len(rows) - limit} more (--json lists them all)")
        console.print(
            "to fetch one again: "
            + refetch_hint(rows[0][1])
            + "; `reparse <URL>` re-archives the bytes if the portal still serves them (an intact copy "
            "replaces a damaged blob), `crawl --profile <id>` re-crawls the portal.",
            highlight=False,
            soft_wrap=True,
        )
    if report.orphans:
        listed = Table(
            title="orphan files (no capture refers to them)" + (" — deleted" if delete_orphans else ""),
            title_justify="left",
        )
        for column in ("path", "bytes", "deleted"):
            listed.add_column(column, overflow="fold")
        for orphan in report.orphans[:limit]:
            listed.add_row(str(orphan.path), str(orphan.size), "yes" if orphan.deleted else "no")
        console.print(listed)
        if len(report.orphans) > limit:
            console.print(f"… and {len(report.orphans) - limit} more (--json lists them all)")
        if not delete_orphans:
            console.print("orphans are only listed; `db verify --delete-orphans` removes them.")
        elif any(not o.deleted for o in report.orphans):
            console.print("files younger than an hour are kept: a running crawl may be about to record them.")
    if not report.failed:
        console.print("[green]every capture's blob is present and intact[/]")
