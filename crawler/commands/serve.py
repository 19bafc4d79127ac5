"""``python -m crawler serve``: browse the store in Datasette, with a page per report as parsed.

The SQLite file is opened read-only (``mode=ro``: a crawl may keep writing, and its commits show up), or
with ``--immutable`` as an immutable file (faster counts; only for a store nothing writes to). Datasette
serves SQLite only: a PostgreSQL store is refused with a one-line explanation (see
`crawler.serve.store.sqlite_path`). Runs uvicorn in the foreground until interrupted.
"""

from __future__ import annotations

from typing import Annotated

import typer

from crawler.commands._tools import fail


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
) -> None:
    """Browse the store in Datasette: tables with facets, and a page per report with its tables as parsed."""
    from crawler.config import resolve
    from crawler.serve.store import NotServable, ServedStore, check_servable, sqlite_path

    config = resolve()
    try:
        served = ServedStore(sqlite_path(config.database_url), config.blob_dir, immutable=immutable)
        check_servable(served)
    except NotServable as exc:
        fail(str(exc))

    import uvicorn

    from crawler.serve.app import make_datasette

    datasette = make_datasette(served)
    _startup(datasette)
    url = f"http://{host}:{port}{datasette.urls.path('/reports')}"
    mode = "immutable" if immutable else "read-only"
    typer.echo(f"serving {served.db_path} ({mode}) at {url}  (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)


def _startup(datasette: object) -> None:
    """Run Datasette's startup hooks before serving (as the ``datasette serve`` command does)."""
    import asyncio

    asyncio.run(datasette.invoke_startup())  # type: ignore[attr-defined]
