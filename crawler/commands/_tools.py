"""What ``export``, ``coverage`` and ``history`` share: opening the store, reading the filter options,
and failing with one line (``error: <what>: <why>``) instead of a traceback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.db import Store
    from storage.selection import Selection


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit 1."""
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(1)


def open_for_tools() -> Store:
    """The configured store (created if new; an outdated one fails with the command that fixes it)."""
    from storage.db import open_store

    return open_store()


def selection_from_options(
    session: Session,
    years: Sequence[str] | None,
    region: str | None,
    agencies: Sequence[str] | None,
) -> Selection:
    """The `Selection` of ``--year`` / ``--region`` / ``--agency`` values; an unknown agency name is
    an error (a typo would otherwise export nothing, silently)."""
    from storage.repository import find_agency
    from storage.selection import Selection, SelectionError, parse_years, region_prefix

    ids: tuple[int, ...] | None = None
    if agencies:
        found = []
        for name in agencies:
            agency = find_agency(session, name)
            if agency is None:
                raise SelectionError(f"no agency named {name!r} (canonical name or alias) in the store")
            found.append(agency.id)
        ids = tuple(dict.fromkeys(found))
    return Selection(years=parse_years(years or None), region_prefix=region_prefix(region), agency_ids=ids)
