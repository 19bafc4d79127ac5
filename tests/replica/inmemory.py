"""Drive a replica `Site` without sockets: scrapy ``Request`` in, scrapy ``Response`` out.

Adapter tests use this to walk a family's whole list chain in memory (fast, no reactor): build the site,
`start()` gives the first response, `follow(site, request)` answers each next-page request the adapter
produced — with the request attached, so ``response.meta`` carries the chain state as in a crawl.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from tests.replica.families import build_site
from tests.replica.server import Req, Site, _conditional
from tests.replica.sites import SiteSpec

BASE = "http://www.replica.gov.cn"
OSS = "http://oss.replica-storage.test"  # deliberately not *.gov.cn: must be allow-listed


def site_for(spec: SiteSpec) -> Site:
    site = build_site(spec)
    site.base, site.oss_base = BASE, OSS
    return site


def follow(site: Site, request: scrapy.Request) -> Response:
    """The site's answer to ``request`` as the matching Scrapy response class."""
    parts = urlsplit(request.url)
    body = request.body.decode("utf-8") if request.body else ""
    req = Req(
        request.method,
        parts.path,
        {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
        {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()},
        {k.decode().lower(): v[0].decode() for k, v in request.headers.items()},
        raw=parts.path + (f"?{parts.query}" if parts.query else ""),
    )
    resp = _conditional(req, site.dispatch(req))
    headers = Headers(resp.headers)
    cls = responsetypes.from_args(headers=headers, url=request.url, body=resp.body)
    return cls(url=request.url, status=resp.status, headers=headers, body=resp.body, request=request)


def start(site: Site, path: str, meta: dict | None = None) -> Response:
    """The first list response of a chain (meta as the spider sets it on start requests)."""
    url = path if path.startswith("http") else BASE + path
    return follow(
        site, scrapy.Request(url, meta={"nianbaoku_list_url": url, "nianbaoku_page": 1, **(meta or {})})
    )


def walk(site: Site, profile, path: str, limit: int = 200) -> list[tuple[Response, object]]:
    """Run the profile's family adapter over a whole list chain: [(response, ListPage), ...]."""
    from spiders.cms import FAMILIES

    adapter = FAMILIES[profile.cms]
    queue = [start(site, path)]
    pages: list[tuple[Response, object]] = []
    while queue and len(pages) < limit:
        response = queue.pop(0)
        page = adapter(response, profile)
        pages.append((response, page))
        queue += [follow(site, r) for r in page.next_requests]
    return pages


def candidates_of(pages) -> list:
    return [c for _, page in pages for c in page.candidates]


def rejected_of(pages) -> list:
    return [r for _, page in pages for r in page.rejected]


def replica_profile(profile_id: str):
    """A replica profile bound to the in-memory hosts."""
    from spiders.profiles import load_profile
    from tests.replica.server import PROFILES

    return load_profile(PROFILES / f"{profile_id}.yaml").bind(BASE, oss=OSS)
