"""Ask for a page only if it changed since we archived it: conditional GET with stored validators.

A re-crawl of a portal fetches mostly pages already in the archive. When the last capture of a URL
carried an ``ETag`` or ``Last-Modified`` header, `ConditionalRequestsMiddleware` sends them back as
``If-None-Match`` / ``If-Modified-Since``; a server that still has the same version answers
``304 Not Modified`` with no body, which saves the portal the bytes and us the archive work.

A 304 is an outcome, not an error: the middleware lets it through to the spider (it adds 304 to the
request's ``handle_httpstatus_list``, which Scrapy's HttpError middleware reads) and marks it, so the
spider and pipeline know the content is unchanged and which capture it equals:

``response.meta["nianbaoku_not_modified"]``    True on a 304 to a conditional request
``response.meta["nianbaoku_previous_sha256"]`` sha256 of the capture the validators came from
``response.meta["nianbaoku_replayed"]``        True when the 304 carries the archived body (below)

**Replay.** A 304 has no body, so a spider would follow no link from an unchanged page — and a stub
page ("详见附件") whose attachment was never archived (its fetch failed, the crawl was stopped) would
stay stub-only until the page itself changed. For requests whose role is in
``NIANBAOKU_CONDITIONAL_REPLAY_ROLES`` (default: report pages, ``detail`` and ``report_page``), the
304 is handed on with the bytes of the capture it equals, read from the content-addressed archive
(``source.archived(url, sha256)``), the way Scrapy's own HTTP cache answers a 304 with its cached copy.
The status stays 304 and the response carries the ``"archived"`` flag: nothing downstream may take it
for a fresh fetch (the archive pipeline stores nothing for it; the WARC writer saw the real 304 at
download time). Files are not replayed: nobody reads their bytes on a 304, and they can be large. A
source without ``archived``, or a blob missing from the archive, leaves the bare 304 (stats ``…/replayed``,
``…/replay_missing``).

**Orphan pages are fetched in full.** Replay hands the spider the archived page as if its report were
stored. A crawl killed between a report page's archive and its report's store (its group waited in
the store pipeline for an attachment) leaves a page capture no report version holds; a 304 for it
would make the spider treat the report as known, and the page would be stored without the files it
links. So validators whose capture is such an orphan report page (``Validators.orphan``, set by
`StoreValidatorSource` for ``detail`` captures, `crawler.incremental.capture_stored`) are not sent for
replay roles: the page is fetched in full — identical bytes add no capture — and its attachments are
requested as for a new page (stat ``…/orphan``). Attachments keep their validators: a 304 for an
orphan file stands for its archived capture, and the store links that capture to the page's version.

Validators come from a `ValidatorSource` (``get(url) -> Validators | None``, and optionally
``archived(url, sha256) -> ArchivedCopy | None`` for replay): `StoreValidatorSource` reads the last
capture of the URL from the archive (`storage.repository.last_capture`) and its bytes from the blob
store; `MemoryValidatorSource` is a dict, for tests and tools.

Which requests: those whose ``nianbaoku_role`` meta (set by the portal spider) is in
``NIANBAOKU_CONDITIONAL_ROLES`` — report pages and files, not list pages, where a 304 would hide the
links and stop pagination. The ``nianbaoku_conditional`` meta key (True/False) overrides the role
rule; a request that already carries its own ``If-None-Match``/``If-Modified-Since`` is left alone.

Settings: ``NIANBAOKU_CONDITIONAL_ENABLED`` (False: `NotConfigured`), ``NIANBAOKU_CONDITIONAL_SOURCE``
(``"store"`` or the dotted path of a callable ``(crawler) -> ValidatorSource``),
``NIANBAOKU_CONDITIONAL_ROLES``, ``NIANBAOKU_CONDITIONAL_REPLAY_ROLES`` (an empty list: never replay).
Stats: ``nianbaoku/conditional/sent``, ``…/not_modified``, ``…/modified``, ``…/no_validators``,
``…/source_error``, ``…/replayed``, ``…/replay_missing``, ``…/orphan``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.misc import load_object

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.config import StoreConfig
    from storage.db import Store

logger = logging.getLogger(__name__)

META_CONDITIONAL = "nianbaoku_conditional"
META_NOT_MODIFIED = "nianbaoku_not_modified"
META_PREVIOUS_SHA256 = "nianbaoku_previous_sha256"
META_ROLE = "nianbaoku_role"
META_REPLAYED = "nianbaoku_replayed"
#: Roles whose 304 is replayed from the archive: pages whose links the spider follows.
DEFAULT_REPLAY_ROLES = ("detail", "report_page")
# Set when this middleware added validators, so only its own 304s are turned into outcomes.
META_SENT = "nianbaoku_conditional_sent"


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP validators of the last capture of a URL, and that capture's sha256; `orphan` when that
    capture is a report page no report version holds (see "Orphan pages" in the module docstring)."""

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    orphan: bool = False

    def request_headers(self) -> dict[str, str]:
        """The conditional headers these validators make (empty if there are none)."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True, slots=True)
class ArchivedCopy:
    """The archived bytes of a capture and the content type it was served with (for a replayed 304)."""

    body: bytes
    content_type: str | None = None


@runtime_checkable
class ValidatorSource(Protocol):
    """Where validators come from: the validators of the last capture of `url`, or None."""

    def get(self, url: str) -> Validators | None: ...


def validators_from_headers(
    headers: Mapping[Any, Any] | None, sha256: str | None = None, *, orphan: bool = False
) -> Validators | None:
    """`Validators` from stored response headers (str or bytes names, any case, list values allowed).

    None when the response had neither ``ETag`` nor ``Last-Modified`` (nothing to ask with).
    """
    found: dict[str, str] = {}
    for key, value in (headers or {}).items():
        name = (key.decode("latin-1") if isinstance(key, bytes) else str(key)).lower()
        if name not in ("etag", "last-modified"):
            continue
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        text = (value.decode("latin-1") if isinstance(value, bytes) else str(value)).strip()
        if text:
            found[name] = text
    if not found:
        return None
    return Validators(
        etag=found.get("etag"), last_modified=found.get("last-modified"), sha256=sha256, orphan=orphan
    )


class MemoryValidatorSource:
    """Validators kept in a dict by URL, archived copies by sha256 (tests, one-off tools)."""

    def __init__(
        self,
        items: Mapping[str, Validators] | None = None,
        copies: Mapping[str, ArchivedCopy] | None = None,
    ):
        self.items: dict[str, Validators] = dict(items or {})
        self.copies: dict[str, ArchivedCopy] = dict(copies or {})

    def put(self, url: str, validators: Validators, copy: ArchivedCopy | None = None) -> None:
        self.items[url] = validators
        if copy is not None and validators.sha256:
            self.copies[validators.sha256] = copy

    def get(self, url: str) -> Validators | None:
        return self.items.get(url)

    def archived(self, url: str, sha256: str) -> ArchivedCopy | None:
        return self.copies.get(sha256)


class StoreValidatorSource:
    """Validators from the archive: the headers and digest of `last_capture(session, url)`.

    The store is opened on first use (a crawl that never asks conditionally never touches it) and
    without migrating it: a store that is missing or outdated surfaces as an error on `get`, which the
    middleware reports once and then crawls unconditionally.
    """

    def __init__(self, opener: Callable[[], Store]):
        self._opener = opener
        self._store: Store | None = None

    @classmethod
    def from_config(cls, config: StoreConfig | None = None) -> StoreValidatorSource:
        """A source over the store of `config` (default: `crawler.config.resolve()`)."""

        def opener() -> Store:
            from crawler.config import resolve
            from storage.db import open_store

            return open_store(config or resolve(), upgrade=False)

        return cls(opener)

    def _opened(self) -> Store:
        if self._store is None:
            self._store = self._opener()
        return self._store

    def get(self, url: str) -> Validators | None:
        from crawler.incremental import capture_stored
        from storage.repository import last_capture

        with self._opened().Session() as session:
            capture = last_capture(session, url)
            if capture is None:
                return None
            validators = validators_from_headers(capture.headers, capture.sha256)
            orphan = capture.kind == "detail" and not capture_stored(session, capture.id)
            if validators is not None and orphan:
                validators = replace(validators, orphan=True)  # its report was never stored
            return validators

    def archived(self, url: str, sha256: str) -> ArchivedCopy | None:
        """The bytes of the capture of `url` with digest `sha256`; None if there is no such capture or
        its blob is gone or damaged (the 304 then goes on bare; `db verify` names the damage)."""
        from sqlalchemy import select

        from storage.errors import BlobError
        from storage.models import Capture
        from storage.repository import url_key

        store = self._opened()
        with store.Session() as session:
            row = session.execute(
                select(Capture.id, Capture.content_type)
                .where(Capture.url_key == url_key(url), Capture.url == url, Capture.sha256 == sha256)
                .order_by(Capture.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        try:
            body = store.blobs.get(sha256)
        except (BlobError, OSError):
            return None
        return ArchivedCopy(body, row.content_type)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def wants_conditional(request: Request, roles: Iterable[str] | None) -> bool:
    """Whether `request` should be asked conditionally.

    The ``nianbaoku_conditional`` meta key (True/False) decides when present; otherwise the request's
    ``nianbaoku_role`` must be in `roles` (None: every role). Only GET and HEAD are ever conditional.
    """
    if request.method not in ("GET", "HEAD"):
        return False
    explicit = request.meta.get(META_CONDITIONAL)
    if explicit is not None:
        return bool(explicit)
    if roles is None:
        return True
    return request.meta.get(META_ROLE) in set(roles)


def _build_source(crawler: Crawler, spec: str) -> ValidatorSource:
    if spec == "store":
        return StoreValidatorSource.from_config()
    factory = load_object(spec)
    source = factory(crawler)
    if not isinstance(source, ValidatorSource):
        raise NotConfigured(
            f"NIANBAOKU_CONDITIONAL_SOURCE {spec!r} returned {source!r}, not a ValidatorSource"
        )
    return source


class ConditionalRequestsMiddleware:
    """Downloader middleware for conditional GETs; see the module docstring."""

    crawler: Crawler

    def __init__(
        self,
        stats: StatsCollector,
        source: ValidatorSource,
        *,
        roles: Iterable[str] | None = None,
        replay_roles: Iterable[str] = DEFAULT_REPLAY_ROLES,
    ):
        self.stats = stats
        self.source = source
        self.roles = frozenset(roles) if roles is not None else None
        self.replay_roles = frozenset(replay_roles)
        self._source_failed = False
        self._replay_failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.getbool("NIANBAOKU_CONDITIONAL_ENABLED"):
            raise NotConfigured("NIANBAOKU_CONDITIONAL_ENABLED is False")
        assert crawler.stats is not None
        source = _build_source(crawler, s.get("NIANBAOKU_CONDITIONAL_SOURCE") or "store")
        roles = s.getlist("NIANBAOKU_CONDITIONAL_ROLES") if s.get("NIANBAOKU_CONDITIONAL_ROLES") else None
        replay = s.getlist("NIANBAOKU_CONDITIONAL_REPLAY_ROLES", list(DEFAULT_REPLAY_ROLES))
        o = cls(crawler.stats, source, roles=roles, replay_roles=replay)
        o.crawler = crawler
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def spider_closed(self) -> None:
        close = getattr(self.source, "close", None)
        if callable(close):
            close()

    def process_request(self, request: Request) -> None:
        if self._source_failed or not wants_conditional(request, self.roles):
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None  # the caller asked conditionally itself
        try:
            validators = self.source.get(request.url)
        except Exception as exc:  # the archive is optional for fetching: crawl on, unconditionally
            self._source_failed = True
            self.stats.inc_value("nianbaoku/conditional/source_error")
            logger.warning(
                "Conditional requests switched off for this crawl: the validator source failed on %s "
                "(%s: %s). Pages are fetched in full; run `python -m crawler db upgrade` if the store "
                "is outdated",
                request.url, type(exc).__name__, exc,
            )
            return None
        headers = validators.request_headers() if validators else {}
        if not headers:
            self.stats.inc_value("nianbaoku/conditional/no_validators")
            return None
        if validators is not None and validators.orphan and request.meta.get(META_ROLE) in self.replay_roles:
            self.stats.inc_value("nianbaoku/conditional/orphan")  # its report was never stored: in full
            return None
        for name, value in headers.items():
            request.headers[name] = value
        request.meta[META_SENT] = True
        if validators is not None and validators.sha256:
            request.meta[META_PREVIOUS_SHA256] = validators.sha256
        self.stats.inc_value("nianbaoku/conditional/sent")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get(META_SENT):
            return response
        if response.status == 304:
            request.meta[META_NOT_MODIFIED] = True
            allowed = list(request.meta.get("handle_httpstatus_list", ()))
            if 304 not in allowed:
                request.meta["handle_httpstatus_list"] = [*allowed, 304]
            self.stats.inc_value("nianbaoku/conditional/not_modified")
            logger.debug("Not modified since last capture: %s", request.url)
            if request.meta.get(META_ROLE) in self.replay_roles:
                return self._replay(request, response)
        elif 200 <= response.status < 300:
            self.stats.inc_value("nianbaoku/conditional/modified")
        return response

    def _replay(self, request: Request, response: Response) -> Response:
        """The 304 with the archived body of the capture it equals (see "Replay" in the module
        docstring), or the bare 304 when the source cannot give it."""
        archived = getattr(self.source, "archived", None)
        sha256 = request.meta.get(META_PREVIOUS_SHA256)
        if self._replay_failed or not callable(archived) or not sha256:
            return response
        try:
            copy = archived(request.url, sha256)
        except Exception as exc:  # replay is a help for links, never a reason to lose the 304
            self._replay_failed = True
            self.stats.inc_value("nianbaoku/conditional/source_error")
            logger.warning(
                "Archived copies switched off for this crawl: reading %s from the archive failed "
                "(%s: %s); unchanged pages are handed on without a body",
                request.url, type(exc).__name__, exc,
            )
            return response
        if copy is None:
            self.stats.inc_value("nianbaoku/conditional/replay_missing")
            return response
        headers = Headers(response.headers)
        if copy.content_type:
            headers["Content-Type"] = copy.content_type  # what the body is, not what the 304 says
        cls = responsetypes.from_args(headers=headers, url=response.url, body=copy.body)
        request.meta[META_REPLAYED] = True
        self.stats.inc_value("nianbaoku/conditional/replayed")
        return response.replace(cls=cls, headers=headers, body=copy.body, flags=[*response.flags, "archived"])


__all__ = [
    "DEFAULT_REPLAY_ROLES",
    "META_CONDITIONAL",
    "META_NOT_MODIFIED",
    "META_PREVIOUS_SHA256",
    "META_REPLAYED",
    "ArchivedCopy",
    "ConditionalRequestsMiddleware",
    "MemoryValidatorSource",
    "StoreValidatorSource",
    "ValidatorSource",
    "Validators",
    "validators_from_headers",
    "wants_conditional",
]
