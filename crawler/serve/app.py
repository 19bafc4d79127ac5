"""Building the Datasette instance that serves a store: files, metadata, plugin, templates, settings.

Why a factory apart from the command: the tests and the command build the same server, and a future
``publish`` would too. Datasette itself opens a file read-only (``mode=ro``) unless it is listed as
immutable; `make_datasette` lists it as immutable only when asked (see `crawler.serve.store`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.serve.metadata import build_metadata
from crawler.serve.store import ServedStore

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLUGIN_NAME = "nianbaoku"
SETTINGS: dict[str, Any] = {
    "default_page_size": 100,
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "allow_download": False,  # the database file may be large; exports are what `export` is for
}


def register_plugin() -> None:
    """Register `crawler.serve.plugin` with Datasette's plugin manager (once per process)."""
    from datasette.plugins import pm

    from crawler.serve import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN_NAME)


def make_datasette(served: ServedStore, *, version_note: str | None = None) -> Any:
    """A Datasette serving `served`, with the store's metadata and the report pages."""
    from datasette.app import Datasette

    register_plugin()
    metadata = build_metadata(
        served.name,
        {"db_path": str(served.db_path), "blob_dir": str(served.blob_dir), "immutable": served.immutable},
    )
    files = [] if served.immutable else [str(served.db_path)]
    immutables = [str(served.db_path)] if served.immutable else []
    return Datasette(
        files=files,
        immutables=immutables,
        metadata=metadata,
        template_dir=str(TEMPLATES),
        settings=SETTINGS,
        version_note=version_note,
    )
