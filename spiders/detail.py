"""Detail pages: find the report body container and the attachment links — nothing more.

Detail pages are archived and parsed elsewhere (`crawler/pipelines`, `parsers/`); the spider only needs
to know which files to fetch alongside the page. Rules from portals.md §10:

* body: the profile's ``detail.body`` selectors, then the house priority list, first container with
  more than `MIN_BODY_CHARS` of text (`select_body`);
* attachments: links whose path ends in a report-file extension **or** matches a download-servlet
  pattern (``downfile.jsp``, ``down.jsp``, the JPaaS download gateway, ``/attachment/``), found in the
  body, in attachment blocks (``附件``/``文件下载``/``fj``/``attach`` containers) or — when no body was
  found — anywhere on the page; relative and protocol-relative hrefs are resolved against the page;
  only the portal's host, any ``*.gov.cn`` host and the profile's ``attachments.allowed_hosts`` pass.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from spiders.profiles import DEFAULT_BODY, PortalProfile

#: A container with less text than this is a shell (an empty template slot), not the body. 80 chars is
#: the working value of the crawlers surveyed in portals.md §10.
MIN_BODY_CHARS = 80

_NAME_PARAMS = ("showname", "fileName", "filename", "name", "fname")
_ATTACH_BLOCK = (
    "//*[contains(@class,'fj') or contains(@class,'attach') or contains(@class,'download') "
    "or contains(@class,'fujian') or contains(@id,'fj') or contains(@id,'attach') "
    "or contains(@id,'download')]"
    "//a[@href]"
)
_LABELLED = (
    "//*[contains(text(),'附件') or contains(text(),'文件下载') or contains(text(),'相关下载')]"
    "/ancestor-or-self::*[self::p or self::div or self::li or self::td or self::span][1]//a[@href]"
)


@dataclass(frozen=True)
class Attachment:
    """A report file linked from a detail page. ``ext`` is lower-case without the dot ('' if unknown)."""

    url: str
    filename: str
    ext: str


def host_allowed(url: str, profile: PortalProfile) -> bool:
    """Official hosts (``*.gov.cn``), the portal's own host and the profile's allow-list."""
    netloc = urlsplit(url).netloc.lower()
    host = netloc.split("@")[-1]
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if bare == "gov.cn" or bare.endswith(".gov.cn"):
        return True
    allowed = {profile.host.lower(), *(h.lower() for h in profile.attachments.allowed_hosts)}
    return host in allowed or bare in allowed


def select_body(response: TextResponse, profile: PortalProfile) -> Selector | None:
    """The first body container (profile selectors first, then the house list) with real text."""
    for css in (*profile.detail.body, *DEFAULT_BODY):
        for node in response.css(css):
            text = "".join(node.css("::text").getall())
            if len(re.sub(r"\s+", "", text)) > MIN_BODY_CHARS:
                return node
    return None


def _ext_of(name: str) -> str:
    ext = posixpath.splitext(name)[1].lower().lstrip(".")
    return ext if ext.isalnum() and len(ext) <= 5 else ""


def describe(url: str, anchor_text: str, profile: PortalProfile) -> Attachment | None:
    """An `Attachment` when ``url`` is a report file by extension or servlet pattern, else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    query = parse_qs(parts.query)
    named = next((query[p][0] for p in _NAME_PARAMS if query.get(p)), "")
    path_name = unquote(posixpath.basename(parts.path))
    exts = profile.attachments.extensions
    ext = next((e for e in (_ext_of(named), _ext_of(path_name), _ext_of(anchor_text)) if e in exts), "")
    by_pattern = any(re.search(p, url) for p in profile.attachments.url_patterns)
    if not ext and not by_pattern:
        return None
    if by_pattern and not ext and _ext_of(path_name) in ("html", "htm", "shtml", "jsp") and not named:
        return None  # a servlet-looking page link, not a file
    filename = named or (anchor_text if _ext_of(anchor_text) else "") or path_name or anchor_text
    return Attachment(url=url, filename=filename.strip(), ext=ext)


def find_attachments(response: TextResponse, profile: PortalProfile) -> list[Attachment]:
    """Report files linked from a detail page (deduplicated, page order, allowed hosts only)."""
    body = select_body(response, profile)
    links: list[Selector] = []
    if body is not None:
        links += body.css("a[href]")
        links += response.xpath(_ATTACH_BLOCK)
        links += response.xpath(_LABELLED)
    else:
        links += response.css("a[href]")
    out: dict[str, Attachment] = {}
    for a in SelectorList(links):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = response.urljoin(href) if not href.startswith("//") else urljoin(response.url, href)
        if url in out or not host_allowed(url, profile):
            continue
        found = describe(url, " ".join(" ".join(a.css("::text").getall()).split()), profile)
        if found:
            out[url] = found
    return list(out.values())


def page_title(response: TextResponse) -> str:
    """A detail page's title: ``ArticleTitle`` meta, then ``h1``, then ``<title>``."""
    for query in ("meta[name=ArticleTitle]::attr(content)", "h1 ::text", "title::text"):
        value = " ".join(" ".join(response.css(query).getall()).split())
        if value:
            return value
    return ""
