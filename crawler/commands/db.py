"""``python -m crawler db …``: create, migrate and inspect the store's schema (Alembic, configured in code).

The store is the one `crawler.config.resolve()` finds (``NIANBAOKU_DATA_DIR``, ``DATABASE_URL``).
Everyday commands create a new store by themselves; these are for upgrading an existing one after the
code moved on, stepping back, and checking where a database stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

app = typer.Typer(
    help="Create and migrate the store's schema (upgrade, downgrade, current).",
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
