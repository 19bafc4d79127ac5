"""Give every text response the encoding its bytes are in, not the one its headers claim.

Scrapy picks a response's encoding from the ``Content-Type`` header first, then the page's
``<meta>``, then a guess. On Chinese government portals the header is the usual liar: GBK pages sent
as ``charset=utf-8`` after a server move, no charset at all on old district pages, very short pages
where guessing fails. Every later reader (`response.text`, selectors, the spider's title filter) then
sees mojibake. `EncodingMiddleware` decides the encoding from the bytes with the same staged rules the
HTML carrier uses (`parsers.carriers._decode.decode_bytes`): BOM → strict UTF-8 → the page's own
``<meta>``/XML declaration, checked by a strict decode → gb18030 → charset-normalizer's guess; and
replaces the response with one whose ``encoding`` is right. The bytes are never changed.

Precedence: the ``nianbaoku_encoding`` request meta key, then the spider's profile
(``fetch.encoding``), then the ``NIANBAOKU_ENCODING`` setting; ``"auto"`` (or nothing) means "decide
from the bytes". A forced codec Python does not know is reported once and ignored.

Settings: ``NIANBAOKU_ENCODING_ENABLED``, ``NIANBAOKU_ENCODING``, ``NIANBAOKU_ENCODING_MAX_BYTES``.
Stats: ``nianbaoku/encoding/<source>`` for each response decided (source: forced, bom, utf-8, meta,
gb18030, guess, fallback), ``nianbaoku/encoding/fixed/<encoding>`` when Scrapy's choice was replaced,
``nianbaoku/encoding/unknown_forced``, ``nianbaoku/encoding/skipped_binary``, ``…/skipped_large``.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from parsers.carriers._decode import decode_bytes

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

META_ENCODING = "nianbaoku_encoding"
AUTO = "auto"

# Files that are sometimes served as text/html: never worth decoding to pick a charset.
_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True, slots=True)
class EncodingDecision:
    """The codec to decode a body with, which rule chose it, and notes on lying declarations."""

    encoding: str
    source: str
    warnings: tuple[str, ...] = ()


def decide_encoding(body: bytes, *, forced: str | None = None) -> EncodingDecision:
    """Decide the text encoding of `body` (an HTML/XML/text response body).

    `forced`, when a known codec label other than ``"auto"``, wins outright (GB2312/GBK are widened to
    gb18030, their superset, as Scrapy does). Otherwise the stages of the module docstring apply; the
    HTTP header is deliberately not consulted, since it is what lies. Raises `LookupError` for a forced
    label Python does not know. Example::

        decide_encoding("政府信息公开".encode("gbk")).encoding   # -> "gb18030"
    """
    if forced and forced.lower() != AUTO:
        codec = resolve_encoding(forced)
        if codec is None:
            raise LookupError(f"unknown encoding {forced!r}")
        return EncodingDecision(codec, "forced")
    declared = html_body_declared_encoding(body)
    decoded = decode_bytes(body, [("meta", declared)] if declared else None)
    codec = resolve_encoding(decoded.encoding) or decoded.encoding
    if body.startswith(_BOMS):
        source = "bom"
    elif codec == "utf-8":
        source = "utf-8"
    elif declared and resolve_encoding(declared) == codec:
        source = "meta"
    elif any("charset-normalizer" in w for w in decoded.warnings):
        source = "guess"
    elif any("replacements" in w for w in decoded.warnings):
        source = "fallback"
    else:
        source = "gb18030"
    return EncodingDecision(codec, source, tuple(decoded.warnings))


def requested_encoding(request: Request, spider: Spider | None, default: str | None) -> str | None:
    """The encoding asked for: request meta, then the spider's profile ``fetch.encoding``, then `default`.

    ``"auto"`` at any level means "decide from the bytes" and does not fall through to the next level.
    """
    if request.meta.get(META_ENCODING):
        return str(request.meta[META_ENCODING])
    profile = getattr(spider, "profile", None)
    fetch = getattr(profile, "fetch", None)
    if fetch is not None and getattr(fetch, "encoding", None):
        return str(fetch.encoding)
    return default


class EncodingMiddleware:
    """Downloader middleware replacing a text response's encoding by `decide_encoding`'s."""

    crawler: Crawler

    def __init__(self, stats: StatsCollector, *, default: str | None = AUTO, max_bytes: int | None = None):
        self.stats = stats
        self.default = default
        self.max_bytes = max_bytes
        self._unknown: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NIANBAOKU_ENCODING_ENABLED"):
            raise NotConfigured("NIANBAOKU_ENCODING_ENABLED is False")
        assert crawler.stats is not None
        o = cls(crawler.stats, default=settings.get("NIANBAOKU_ENCODING") or AUTO,
                max_bytes=settings.getint("NIANBAOKU_ENCODING_MAX_BYTES", 0) or None)
        o.crawler = crawler
        return o

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        body = response.body
        if body.startswith(_BINARY_MAGIC):
            self.stats.inc_value("nianbaoku/encoding/skipped_binary")
            return response
        if self.max_bytes is not None and len(body) > self.max_bytes:
            self.stats.inc_value("nianbaoku/encoding/skipped_large")
            return response
        spider = getattr(self, "crawler", None) and self.crawler.spider
        forced = requested_encoding(request, spider, self.default)
        try:
            decision = decide_encoding(body, forced=forced)
        except LookupError:
            self.stats.inc_value("nianbaoku/encoding/unknown_forced")
            if forced not in self._unknown:
                self._unknown.add(str(forced))
                logger.warning(
                    "Encoding %r (from meta %s, the profile's fetch.encoding or NIANBAOKU_ENCODING) is not "
                    "a codec Python knows; deciding from the bytes instead — fix the profile", forced,
                    META_ENCODING,
                )
            decision = decide_encoding(body)
        self.stats.inc_value(f"nianbaoku/encoding/{decision.source}")
        if resolve_encoding(response.encoding) == decision.encoding:
            return response
        self.stats.inc_value(f"nianbaoku/encoding/fixed/{decision.encoding}")
        logger.debug("Encoding of %s: %s (by %s), not %s%s", response.url, decision.encoding, decision.source,
                     response.encoding, "; " + "; ".join(decision.warnings) if decision.warnings else "")
        return response.replace(encoding=decision.encoding)


__all__ = ["AUTO", "META_ENCODING", "EncodingDecision", "EncodingMiddleware", "decide_encoding",
           "requested_encoding"]
