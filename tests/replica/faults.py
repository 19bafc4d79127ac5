"""Fault injection for a replica portal: the ways real portals break, each on chosen URLs.

`FaultPlan` is a `Site.faults` hook (consulted before the site's routes, see `tests.replica.server`).
Faults are data — ``{path: kind}`` plus a few per-kind knobs — and `trs_plan` places one of each on a
TRS replica's pages, so a test knows which report should go missing and why::

    plan = trs_plan(site, timeout=2.0)
    site.faults = plan
    ... crawl ...
    plan.lost_keys      # reports whose detail page never comes through

Kinds (`KINDS`):

``timeout``        nothing for ``timeout + 1`` s, then the connection closes
``reset``          a TCP reset (SO_LINGER 0) before any byte of the answer
``slow_drip``      a body one byte every 0.3 s, well past the download timeout
``truncated``      Content-Length says 4 kB more than is sent, then the connection closes
``burst_5xx``      503 for the first ``burst`` requests, then the real page
``redirect_loop``  302 to itself, forever
``huge``           an attachment declaring 2 GiB: a few MB, then a stall (must be refused unread)
``changed``        the report is revised between the list fetch and the detail fetch
``endless_list``   list pages past the real end never end (always one more page, no report on it)
"""

from __future__ import annotations

import re
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.replica.server import Req, Resp, Site, html_resp

KINDS = (
    "timeout",
    "reset",
    "slow_drip",
    "truncated",
    "burst_5xx",
    "redirect_loop",
    "huge",
    "changed",
    "endless_list",
)

HUGE_SIZE = 2 * 1024**3
HUGE_SENT = 4 * 1024**2


@dataclass
class FaultPlan:
    """``{path: kind}``; callable as the site's fault hook."""

    faults: dict[str, str]
    timeout: float = 2.0
    burst: int = 10
    list_prefix: str | None = None  # endless_list: list pages under this path past `list_pages`
    list_pages: int = 1
    changed_keys: set[int] = field(default_factory=set)
    lost_keys: set[int] = field(default_factory=set)
    hits: Counter = field(default_factory=Counter)

    def __call__(self, site: Site, req: Req) -> Resp | None:
        kind = self.faults.get(req.path)
        if kind is None and self.list_prefix and req.path.startswith(self.list_prefix):
            kind = self._endless(req.path)
        if kind is None:
            if self.changed_keys and req.path.startswith(self.list_prefix or "/"):
                for key in list(self.changed_keys):  # the list was just served: now the page changes
                    site.revise(key)
                    self.changed_keys.discard(key)
            return None
        self.hits[kind] += 1
        return getattr(self, f"_{kind}")(site, req)

    # --- the faults --------------------------------------------------------------------------------

    def _timeout(self, site: Site, req: Req) -> Resp:
        def stall(handler: BaseHTTPRequestHandler) -> None:
            time.sleep(self.timeout + 1)

        return Resp(200, headers={"Content-Type": "text/html", "Content-Length": "100"}, stream=stall)

    def _reset(self, site: Site, req: Req) -> Resp:
        def reset(handler: BaseHTTPRequestHandler) -> None:
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()

        return Resp(0, stream=reset)  # status 0: not even a status line before the reset

    def _slow_drip(self, site: Site, req: Req) -> Resp:
        body = b"<html><body>" + b"x" * 200 + b"</body></html>"

        def drip(handler: BaseHTTPRequestHandler) -> None:
            deadline = time.monotonic() + self.timeout * 3
            for byte in body:
                if time.monotonic() > deadline:
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(0.3)

        return Resp(200, headers={"Content-Type": "text/html", "Content-Length": str(len(body))}, stream=drip)

    def _truncated(self, site: Site, req: Req) -> Resp:
        body = "<html><body><p>政府信息公开工作年度报告（不完整）</p>" + "内容" * 500
        data = body.encode()

        def short(handler: BaseHTTPRequestHandler) -> None:
            handler.wfile.write(data)
            handler.wfile.flush()

        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(data) + 4096)}
        return Resp(200, headers=headers, stream=short)

    def _burst_5xx(self, site: Site, req: Req) -> Resp | None:
        if self.hits[f"burst:{req.path}"] >= self.burst:
            return None
        self.hits[f"burst:{req.path}"] += 1
        return Resp(503, b"<html><body>503 Service Unavailable</body></html>", {"Content-Type": "text/html"})

    def _redirect_loop(self, site: Site, req: Req) -> Resp:
        hop = int(req.query.get("hop") or 0) + 1  # a new URL each time: the duplicate filter cannot end it
        return Resp(302, b"", {"Location": f"{site.base}{req.path}?hop={hop}"})

    def _huge(self, site: Site, req: Req) -> Resp:
        def trickle(handler: BaseHTTPRequestHandler) -> None:
            chunk = b"%PDF-1.4\n" + b"0" * (64 * 1024 - 9)
            for _ in range(HUGE_SENT // len(chunk)):
                handler.wfile.write(chunk)
            handler.wfile.flush()
            time.sleep(self.timeout + 1)  # then stall: a client that did not stop waits for nothing

        headers = {"Content-Type": "application/pdf", "Content-Length": str(HUGE_SIZE)}
        return Resp(200, headers=headers, stream=trickle)

    def _endless(self, path: str) -> str | None:
        m = re.match(r"^.*index_(\d+)\.html$", path)
        idx = int(m.group(1)) if m else 0 if path.endswith(("/", "index.html")) else None
        if idx is None:
            return None
        if idx == self.list_pages - 1:
            return "last_list"
        return "endless_list" if idx >= self.list_pages else None

    def _last_list(self, site: Site, req: Req) -> Resp | None:
        """The real last page, its pager saying there are more."""
        for method, pattern, handler in site.routes:
            m = pattern.match(req.path)
            if m and method in ("GET", "*"):
                resp = handler(site, req, m)
                resp.body = re.sub(rb"createPageHTML\((\d+), (\d+)",
                                   lambda g: b"createPageHTML(%d, %s" % (int(g.group(2)) + 5, g.group(2)),
                                   resp.body)
                return resp
        return None

    def _endless_list(self, site: Site, req: Req) -> Resp:
        from tests.replica.families import page

        m = re.match(r"^.*index_(\d+)\.html$", req.path)
        idx = int(m.group(1)) if m else 0
        rows = "".join(
            f'<li><a href="./202401/t20240101_{900000 + idx * 20 + i}.html">第{idx}期第{i}号工作动态</a>'
            "<span>2024-01-01</span></li>"
            for i in range(20)
        )
        body = (
            f'<ul class="list">{rows}</ul><div class="page">'
            f'<script>createPageHTML({idx + 5}, {idx}, "index", "html");</script></div>'
        )
        return html_resp(page(site, "政府信息公开年报", body), site)

    def _changed(self, site: Site, req: Req) -> None:  # handled in __call__ (revision on list fetch)
        return None


def trs_plan(site: Site, *, timeout: float = 2.0, burst: int = 10) -> FaultPlan:
    """One fault of each kind on a TRS replica site (`tests.replica.families.trs_routes`)."""
    import math

    from tests.replica.families import TRS_DIR, TRS_PER_PAGE, trs_detail_path

    reports = site.reports
    with_file = [it for it in reports[10:] if it.attachment]
    if len(reports) < 12 or not with_file:
        raise ValueError("trs_plan needs a site with at least 12 reports and an attachment past the 10th")
    plan = FaultPlan({}, timeout=timeout, burst=burst, list_prefix=TRS_DIR,
                     list_pages=max(1, math.ceil(len(site.column("main")) / TRS_PER_PAGE)))
    lost = {"timeout": reports[2], "reset": reports[3], "slow_drip": reports[4], "truncated": reports[5],
            "burst_5xx": reports[6], "redirect_loop": reports[8]}
    for kind, item in lost.items():
        plan.faults[trs_detail_path(item)] = kind
        plan.lost_keys.add(item.key)
    recovering = reports[7]  # a short 5xx burst: retried and collected
    plan.faults[trs_detail_path(recovering)] = "burst_5xx"
    plan.hits[f"burst:{trs_detail_path(recovering)}"] = burst - 1
    huge = with_file[0]
    folder = trs_detail_path(huge).rsplit("/", 1)[0]
    plan.faults[f"{folder}/P0{huge.published:%Y%m%d}{huge.key}.{huge.attachment}"] = "huge"
    plan.changed_keys.add(reports[9].key)
    return plan


__all__ = ["HUGE_SIZE", "KINDS", "FaultPlan", "trs_plan"]
