"""The replica HTTP server: one stdlib ``ThreadingHTTPServer`` per site on 127.0.0.1 (port 0 → picked).

Each site is its own host (own port), so root-relative paths, robots.txt and off-host attachment
storage behave as on real portals. `ReplicaServer` starts every site plus an ``oss`` storage host in
daemon threads and stops them on exit::

    with ReplicaServer(default_specs()) as replica:
        profile = replica.profile("trs")           # tests/replica/profiles/replica-trs.yaml, bound
        replica.revise("trs", key)                 # the report at the same URL now has new numbers

Every site also serves: ``/robots.txt``; fake challenge routes ``/waf/412`` (瑞数 ``$_ts``), ``/waf/521``
(加速乐 ``__jsl_clearance``), ``/waf/429`` (``Retry-After``), ``/waf/abnormal`` (200 "访问异常"),
``/waf/edgeone``, ``/waf/empty-proxy`` (the 54-byte empty proxy body); ``site.challenge = "412"`` turns
*every* route of a site into that challenge at runtime. Detail pages and files carry ``ETag`` and
``Last-Modified`` and answer conditional requests with 304. Requests are logged on ``site.requests``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from spiders.profiles import PortalProfile, load_profile
from tests.replica.sites import Item, SiteSpec, build_items

PROFILES = Path(__file__).with_name("profiles")


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    raw: str = ""  # path + query as requested


@dataclass
class Resp:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: dt.datetime | None = None  # enables conditional GET (ETag from the body)
    # Raw mode (tests/replica/faults.py): the handler sends status + `headers` as given (no
    # Content-Length of its own) and then lets `stream` write — or not write — the body itself.
    stream: Callable[[BaseHTTPRequestHandler], None] | None = None


Handler = Callable[["Site", Req, re.Match[str]], Resp]


def html_resp(text: str, site: Site | None = None, status: int = 200, **kw) -> Resp:
    """An HTML response in the site's encoding; a ``gbk`` site lies in its header (says UTF-8)."""
    if site is not None and site.spec.encoding == "gbk":
        return Resp(
            status, text.encode("gbk", errors="replace"), {"Content-Type": "text/html; charset=utf-8"}, **kw
        )
    return Resp(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"}, **kw)


class Site:
    """One replica portal: its rows, its routes, its runtime switches."""

    def __init__(self, spec: SiteSpec, routes: list[tuple[str, str, Handler]]):
        self.spec = spec
        self.items: list[Item] = build_items(spec)
        self.by_key = {it.key: it for it in self.items}
        self.by_hex = {it.hex: it for it in self.items}
        self.full_file_keys = {it.key for it in self.items if it.attachment}
        self.full_file_keys = set(sorted(self.full_file_keys)[: spec.full_files])
        self.routes = [(m, re.compile(p), h) for m, p, h in routes]
        self.base = ""
        self.oss_base = ""
        self.challenge: str | None = None
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        # Scale/fault knobs: seconds each response is held back (a slow portal, so a crawl can be
        # killed half-way), the concurrent requests seen at peak, and `faults` (tests/replica/faults.py)
        # consulted before the routes.
        self.delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults: Callable[[Site, Req], Resp | None] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def column(self, column: str = "main") -> list[Item]:
        return [it for it in self.items if it.column == column]

    @property
    def reports(self) -> list[Item]:
        return [it for it in self.items if it.is_report and it.column == "main"]

    def revise(self, key: int) -> Item:
        """Revise a report in place: new numbers, new ETag/Last-Modified, same URL."""
        item = self.by_key[key]
        item.revision += 1
        item.last_modified = item.last_modified + dt.timedelta(days=30 * item.revision)
        return item

    def dispatch(self, req: Req) -> Resp:
        with self.lock:
            self.requests.append((req.method, req.raw or req.path))
        if req.path == "/robots.txt":
            return Resp(
                200,
                b"User-agent: *\nDisallow: /private/\nDisallow: /search/\n",
                {"Content-Type": "text/plain"},
            )
        if self.challenge:
            return CHALLENGES[self.challenge]()
        if self.faults is not None:
            faulty = self.faults(self, req)
            if faulty is not None:
                return faulty
        m = re.match(r"^/waf/([\w-]+)$", req.path)
        if m and m.group(1) in CHALLENGES:
            return CHALLENGES[m.group(1)]()
        for method, pattern, handler in self.routes:
            if method not in (req.method, "*") and not (method == "GET" and req.method == "HEAD"):
                continue
            m = pattern.match(req.path)
            if m:
                return handler(self, req, m)
        return html_resp("<html><body><h1>404 页面不存在</h1></body></html>", status=404)


# --- fake challenges (classes of portals.md §11) ---------------------------------------------------


def _ruishu() -> Resp:
    body = (
        '<html><head><meta content="x8Kd0" r="m"><script>$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};'
        '$_ts.nsd=84731;$_ts.cd="qArpqnA...";</script><script src="/aKx7s/c.js" r="m"></script>'
        "</head><body></body></html>"
    )
    return Resp(
        412,
        body.encode(),
        {"Content-Type": "text/html", "Set-Cookie": "FSSBBIl1UgzbN7N80S=abc; Path=/; HttpOnly"},
    )


def _jiasule() -> Resp:
    body = (
        "<script>document.cookie=('__jsl_clearance_s=1700000000.123|0|abc');"
        "location.href=location.pathname+location.search</script>"
    )
    return Resp(
        521, body.encode(), {"Content-Type": "text/html", "Set-Cookie": "__jsluid_h=0123abcd; path=/"}
    )


def _rate_limited() -> Resp:
    return Resp(
        429, b"<html><body>Too Many Requests</body></html>", {"Content-Type": "text/html", "Retry-After": "3"}
    )


def _abnormal() -> Resp:
    return html_resp(
        "<html><head><title>访问异常</title></head><body><p>访问异常，请稍候再试。</p></body></html>"
    )


def _edgeone() -> Resp:
    return Resp(
        200,
        b"<html><head><script src='/eo_bot_check.js'></script></head><body>EdgeOne bot check</body></html>",
        {"Content-Type": "text/html", "Set-Cookie": "EO_Bot_Ssid=123456; path=/"},
    )


def _empty_proxy() -> Resp:
    body = b'<?xml version="1.0" encoding="UTF-8"?><datastore></datastore>\n'
    return Resp(200, body[:54], {"Content-Type": "text/xml;charset=UTF-8"})


CHALLENGES: dict[str, Callable[[], Resp]] = {
    "412": _ruishu,
    "521": _jiasule,
    "429": _rate_limited,
    "abnormal": _abnormal,
    "edgeone": _edgeone,
    "empty-proxy": _empty_proxy,
}


# --- HTTP plumbing -------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server_version = "ReplicaPortal/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def _serve(self) -> None:
        site: Site = self.server.site  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        req = Req(
            self.command,
            parts.path,
            query,
            form,
            {k.lower(): v for k, v in self.headers.items()},
            raw=self.path,
        )
        with site.lock:
            site.in_flight += 1
            site.max_in_flight = max(site.max_in_flight, site.in_flight)
        try:
            if site.delay and parts.path != "/robots.txt":
                time.sleep(site.delay)  # a slow portal (this is the server's thread, not the client's)
            resp = site.dispatch(req)
        except Exception as exc:  # a replica bug must show as a 500, not hang the client
            resp = Resp(500, f"replica error: {exc!r}".encode(), {"Content-Type": "text/plain"})
        finally:
            with site.lock:
                site.in_flight -= 1
        if resp.stream is not None:
            if resp.status:  # status 0: the stream answers from the first byte (or not at all)
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (a size cap …): expected here
                resp.stream(self)
            self.close_connection = True
            return
        resp = _conditional(req, resp)
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD" and resp.status != 304:
            self.wfile.write(resp.body)

    do_GET = do_POST = do_HEAD = _serve


def _conditional(req: Req, resp: Resp) -> Resp:
    """ETag/Last-Modified on cacheable responses; 304 when the client already has this version."""
    if resp.last_modified is None or resp.status != 200:
        return resp
    etag = '"' + hashlib.sha1(resp.body).hexdigest()[:16] + '"'
    resp.headers["ETag"] = etag
    resp.headers["Last-Modified"] = format_datetime(resp.last_modified, usegmt=True)
    if req.method in ("GET", "HEAD"):
        inm = req.headers.get("if-none-match")
        ims = req.headers.get("if-modified-since")
        fresh = False
        if inm is not None:
            fresh = etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        elif ims:
            try:
                fresh = resp.last_modified <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                fresh = False
        if fresh:
            return Resp(304, b"", {"ETag": etag, "Last-Modified": resp.headers["Last-Modified"]})
    return resp


class ReplicaServer:
    """Start the given sites (plus the ``oss`` storage host) on free ports; a context manager."""

    def __init__(self, specs: Iterable[SiteSpec]):
        from tests.replica.families import build_site, oss_site

        self.sites: dict[str, Site] = {spec.name: build_site(spec) for spec in specs}
        self.oss = oss_site(self.sites)
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> ReplicaServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        for site in (self.oss, *self.sites.values()):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            server.daemon_threads = True
            server.site = site  # type: ignore[attr-defined]
            site.base = f"http://127.0.0.1:{server.server_address[1]}"
            thread = threading.Thread(target=server.serve_forever, name=f"replica-{site.name}", daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        for site in self.sites.values():
            site.oss_base = self.oss.base

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def site(self, name: str) -> Site:
        return self.sites[name]

    def base(self, name: str) -> str:
        return self.sites[name].base

    def profile(self, name: str, profile_id: str | None = None) -> PortalProfile:
        """The replica profile ``replica-<name>`` (or ``profile_id``) bound to this run's ports."""
        path = PROFILES / f"{profile_id or 'replica-' + name}.yaml"
        return load_profile(path).bind(self.base(name), oss=self.oss.base)

    def revise(self, name: str, key: int) -> Item:
        return self.sites[name].revise(key)
