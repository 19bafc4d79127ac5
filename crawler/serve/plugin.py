"""The Datasette plugin: the report pages, the report index, the archived-bytes route and cell links.

Registered programmatically by `crawler.serve.app.make_datasette` (``pm.register``), never through a
setuptools entry point, so installing the project does not change what a plain ``datasette`` command
loads. Routes:

- ``/reports`` — the current version of every report, with its format and failed-check count;
- ``/report/<version_id>`` — one version as parsed: metadata, the three tables laid out as printed
  (`crawler.serve.layout`), failing checks with their cells highlighted, the version history, and the
  archived source; ``?parse=<id>`` shows another parse result of the same version;
- ``/blob/<sha256>`` — the archived bytes, read through `storage.blobs.BlobStore.get` (so bytes that
  fail their digest are never served), with the content type the capture recorded and a
  ``Content-Disposition`` filename. Archived HTML is the publisher's page, not ours: it is served with
  ``Content-Security-Policy: sandbox`` so its scripts cannot run with this origin's rights.

The store is read in worker threads through a read-only SQLAlchemy engine (`crawler.serve.store`),
not through Datasette's connections, so the pages can reuse the store's typed queries.
"""

from __future__ import annotations

import asyncio
import mimetypes
import weakref
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from crawler.serve.metadata import PLUGIN
from crawler.serve.store import Reader, ServedStore, capture_for_blob

ACTIVE_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"}
)
"""Content that runs scripts in a browser: served sandboxed. (A PDF is not: Chromium refuses to show a
PDF in a sandboxed document.)"""

_readers: weakref.WeakKeyDictionary[Any, Reader] = weakref.WeakKeyDictionary()


def served_store(datasette: Any) -> ServedStore:
    """The `ServedStore` named in the metadata's plugin settings."""
    config = datasette.plugin_config(PLUGIN) or {}
    return ServedStore(
        db_path=Path(config["db_path"]),
        blob_dir=Path(config["blob_dir"]),
        immutable=bool(config.get("immutable")),
    )


def reader(datasette: Any) -> Reader:
    """This Datasette's `Reader` (one engine per server, made on first use)."""
    found = _readers.get(datasette)
    if found is None:
        found = _readers[datasette] = Reader(served_store(datasette))
    return found


async def _read(datasette: Any, work: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``work(session, *args, **kwargs)`` in a worker thread with a read-only session."""
    store_reader = reader(datasette)

    def run() -> Any:
        with store_reader.Session() as session:
            return work(session, *args, **kwargs)

    return await asyncio.to_thread(run)


async def not_found(datasette: Any, request: Any, message: str, status: int = 404) -> Response:
    """Datasette's error page, rendered here: raising `NotFound` would also print a full traceback
    to the server's console for every mistyped URL."""
    html = await datasette.render_template(
        "error.html", {"ok": False, "error": message, "status": status, "title": None}, request=request
    )
    return Response.html(html, status=status)


def _int_arg(request: Any, name: str) -> int | str | None:
    """The whole-number query argument `name`, None if absent, or the error message if malformed."""
    value = request.args.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        return f"?{name}= must be a whole number, got {value!r}"


async def report_view(datasette: Any, request: Any) -> Response:
    from crawler.serve.pages import report_page

    version_id = int(request.url_vars["version_id"])
    parse_id = _int_arg(request, "parse")
    if isinstance(parse_id, str):
        return await not_found(datasette, request, parse_id, status=400)
    page = await _read(datasette, report_page, version_id, parse_id)
    if page is None:
        what = f"report version {version_id}" + (f" with parse result {parse_id}" if parse_id else "")
        return await not_found(datasette, request, f"There is no {what} in this store.")
    served = served_store(datasette)
    html = await datasette.render_template(
        "nianbaoku_report.html", {"page": page, "database": served.name}, request=request
    )
    return Response.html(html)


async def reports_view(datasette: Any, request: Any) -> Response:
    from crawler.serve.pages import report_index

    year = _int_arg(request, "year")
    if isinstance(year, str):
        return await not_found(datasette, request, year, status=400)
    query = (request.args.get("q") or "").strip() or None
    rows = await _read(datasette, report_index, year=year, query=query)
    html = await datasette.render_template(
        "nianbaoku_reports.html",
        {"rows": rows, "year": year, "q": query or "", "database": served_store(datasette).name},
        request=request,
    )
    return Response.html(html)


def blob_filename(url: str | None, sha256: str, content_type: str | None) -> str:
    """The name a downloaded blob gets: the last segment of its URL if it has an extension, else the
    digest's first 16 characters with the extension of its content type (``.bin`` if unknown)."""
    if url:
        name = unquote(PurePosixPath(urlsplit(url).path).name)
        if "." in name.strip("."):
            return name
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    extension = mimetypes.guess_extension(mime) if mime else None
    return sha256[:16] + (extension or ".bin")


def content_disposition(filename: str, *, inline: bool = True) -> str:
    """A ``Content-Disposition`` value with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def blob_view(datasette: Any, request: Any) -> Response:
    from storage.blobs import BlobStore
    from storage.errors import BlobCorrupted, BlobNotFound, BlobTooLarge

    sha256 = request.url_vars["sha256"]
    served = served_store(datasette)

    def load(session: Any) -> tuple[Any, bytes | None, str | None]:
        capture = capture_for_blob(session, sha256)
        if capture is None:
            return None, None, None
        try:
            return capture, BlobStore(served.blob_dir).get(sha256), None
        except BlobNotFound:
            return capture, None, f"the bytes of {sha256} are not in the archive at {served.blob_dir}"
        except (BlobCorrupted, BlobTooLarge) as exc:
            return capture, None, f"the archived bytes of {sha256} cannot be served: {exc}"

    capture, data, problem = await _read(datasette, load)
    if capture is None:
        return await not_found(datasette, request, f"No capture in this store has the digest {sha256}.")
    if data is None:
        status = 404 if "not in the archive" in (problem or "") else 500
        return Response.text(f"error: {problem}\n", status=status)
    content_type = capture.content_type or "application/octet-stream"
    headers = {
        "Content-Disposition": content_disposition(blob_filename(capture.url, sha256, capture.content_type)),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=31536000, immutable",  # content-addressed: never changes
        "X-Archived-From": quote(capture.url, safe=":/?&=%#@+,;~"),
    }
    if content_type.split(";", 1)[0].strip().lower() in ACTIVE_TYPES:
        headers["Content-Security-Policy"] = "sandbox"
    return Response(data, status=200, headers=headers, content_type=content_type)


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (r"^/reports$", reports_view),
        (r"^/report/(?P<version_id>[0-9]{1,18})$", report_view),
        (r"^/blob/(?P<sha256>[0-9a-f]{64})$", blob_view),
    ]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """Link report versions to their page and digests to their archived bytes in the table views.

    (The version's id column is Datasette's own link to the row, so the page link sits on the
    content hash.)"""
    config = datasette.plugin_config(PLUGIN) or {}
    if database != Path(config.get("db_path", "")).stem or value is None:
        return None
    if table == "report_versions" and column == "content_hash":
        href = datasette.urls.path(f"/report/{int(row['id'])}")
        return Markup(f'<a href="{href}" title="the report page">{escape(value)}</a>')
    if table == "captures" and column == "sha256" and isinstance(value, str) and len(value) == 64:
        href = datasette.urls.path(f"/blob/{escape(value)}")
        return Markup(f'<a href="{href}" title="the archived bytes">{escape(value)}</a>')
    return None


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path("/reports"), "label": "Reports as parsed"}]
