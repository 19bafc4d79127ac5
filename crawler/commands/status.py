"""``python -m crawler status``: what the store holds — agencies, reports, versions, captures, blobs,
parse results, crawl runs and the last crawl — as a table, or as JSON with ``--json``.

A new store is created on first use (see `storage.db.open_store`); an outdated one is reported with the
command that fixes it.
"""

from __future__ import annotations

import json
from typing import Any

import typer


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def collect() -> dict[str, Any]:
    """The status figures of the configured store (opening, and if new creating, it)."""
    from storage import migrate
    from storage.db import display_url, open_store
    from storage.repository import store_status

    with open_store() as store:
        with store.Session() as session, session.begin():
            data = store_status(session)
        blob_count, blob_bytes = store.blobs.stats()
        return {
            "database": display_url(store.config.database_url),
            "data_dir": str(store.config.data_dir),
            "schema_revision": migrate.current(store.engine),
            **data,
            "blobs": blob_count,
            "blob_bytes": blob_bytes,
        }


def _render(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="nianbaoku store", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    by_kind = ", ".join(f"{k} {n}" for k, n in data["captures_by_kind"].items())
    runs = ", ".join(f"{k} {n}" for k, n in data["crawl_runs_by_status"].items())
    rows = [
        ("database", data["database"]),
        ("data dir", data["data_dir"]),
        ("schema", data["schema_revision"] or "(none)"),
        ("agencies", str(data["agencies"])),
        ("reports", str(data["reports"])),
        ("report versions", str(data["report_versions"])),
        (
            "captures",
            f"{data['captures']} ({_human_bytes(data['capture_bytes'])})"
            + (f" — {by_kind}" if by_kind else ""),
        ),
        ("blobs", f"{data['blobs']} ({_human_bytes(data['blob_bytes'])} on disk)"),
        (
            "parse results",
            f"{data['parse_results']} ({data['cells']} cells, "
            f"{data['check_failures']} failed checks in current results)",
        ),
        ("crawl runs", str(data["crawl_runs"]) + (f" — {runs}" if runs else "")),
    ]
    last = data["last_crawl"]
    if last:
        counts = ", ".join(f"{k} {v}" for k, v in last["counts"].items()) or "no counts"
        rows.append(
            (
                "last crawl",
                f"#{last['id']} {last['profile']} {last['status']}, started "
                f"{last['started_at']}, {counts}, {last['errors']} errors",
            )
        )
    else:
        rows.append(("last crawl", "never"))
    for what, value in rows:
        table.add_row(what, value)
    console.print(table)


def status(json_out: bool = typer.Option(False, "--json", help="Print the figures as JSON.")) -> None:
    """Show what the store holds: agencies, reports, versions, captures, blobs, parse results, crawls."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.errors import StoreError

    try:
        data = collect()
    except StoreError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.secho(f"error: the database could not be used: {reason}", fg="red", err=True)
        raise typer.Exit(1) from exc
    if json_out:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _render(data)
