"""Parse detail pages and attachments with the pure parser; pick which document is "the report".

`ParsePipeline` runs `parse_item` on each ``detail`` / ``attachment`` item that the archive pipeline
stored (never before: bytes first), in a worker thread so a slow PDF does not stall downloads:

1. a 304 (``archived == "not_modified"``) has no bytes: nothing to parse; the store pipeline keeps the
   version it stands for;
2. identical bytes again (``archived == "same"``) are not parsed again either: their version is
   normally unchanged, and when it is not, the store pipeline parses them from the archive
   (`parse_capture`) — unchanged attachments are skipped by hash;
3. otherwise `parsers.report.parse(body, url, content_type, page_meta)`; the result's ``to_dict()``
   goes on the item as ``parsed``. A `ParseError` puts ``parse_error = {"kind", "reason"}`` on the item
   and a ``parse:<kind>`` entry with the URL on the crawl run; the item (and its capture) go on.
   A `ChallengePage` is ``blocked:challenge`` — never parsed, never stored as a report.

Which document is the report (`better_parse`, used by the store pipeline when a detail page comes with
attachments): the better-filled parse wins — more cells, then a detected format version, then the
detail page (its HTML text is exact, a PDF's is extracted). A stub page ("详见附件") loses to its PDF.

Settings: ``NIANBAOKU_PARSE_ENABLED`` (False: `NotConfigured`), ``NIANBAOKU_PARSE_MODE`` (lenient/strict,
`parsers.report.ParseOptions`), ``NIANBAOKU_PARSE_THREADS`` (False: parse in the reactor thread).
Stats: ``nianbaoku/parse/ok``, ``nianbaoku/parse/error/<kind>``, ``nianbaoku/parse/skipped/<reason>``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.pipelines import record_error
from parsers import schema
from parsers.errors import ChallengePage, ParseError
from parsers.report import ParseOptions, parse

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

PARSED_KINDS = ("detail", "attachment")


@dataclass(frozen=True, slots=True)
class ParseOutcome:
    """What parsing one document gave: the ``to_dict()`` result, or an error kind and reason."""

    parsed: dict[str, Any] | None = None
    error_kind: str | None = None
    reason: str | None = None

    @property
    def blocked(self) -> bool:
        return self.error_kind == "challenge"


def _error_kind(exc: Exception) -> str:
    """``UnreadableInput`` → ``unreadable_input``: the stats/run name of a parse error."""
    name = type(exc).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def page_meta_of(item: Mapping[str, Any]) -> dict[str, str]:
    """What the list row said about the document (title, date), in `parsers.meta`'s page-meta labels."""
    meta = {}
    if item.get("title"):
        meta["title"] = str(item["title"])
    if item.get("published_date"):
        meta["发布日期"] = str(item["published_date"])
    return meta


def parse_document_bytes(
    data: bytes,
    *,
    url: str | None,
    content_type: str | None,
    page_meta: Mapping[str, str] | None = None,
    options: ParseOptions | None = None,
    parse_func: Callable[..., Any] = parse,
) -> ParseOutcome:
    """Parse one document's bytes; never raises for bad input (the outcome carries the reason).

    A crash inside the parser (a bug, not bad input) is an outcome too (``internal_error``): one bad
    file must not end a crawl of thousands.
    """
    if not data:
        return ParseOutcome(error_kind="empty", reason="no bytes to parse")
    try:
        result = parse_func(data, url=url, content_type=content_type, page_meta=page_meta, options=options)
    except ChallengePage as exc:
        return ParseOutcome(error_kind="challenge", reason=str(exc))
    except ParseError as exc:
        return ParseOutcome(error_kind=_error_kind(exc), reason=str(exc))
    except Exception as exc:  # a parser bug, see docstring
        logger.exception("Parser crashed on %s", url)
        return ParseOutcome(error_kind="internal_error", reason=f"{type(exc).__name__}: {exc}")
    return ParseOutcome(parsed=result.to_dict())


def parse_item(
    item: Mapping[str, Any], options: ParseOptions | None = None, parse_func: Callable[..., Any] = parse
) -> ParseOutcome:
    """`parse_document_bytes` on a capture item's body, URL, content type and list-row metadata."""
    return parse_document_bytes(
        item.get("body") or b"",
        url=item.get("url"),
        content_type=item.get("content_type"),
        page_meta=page_meta_of(item),
        options=options,
        parse_func=parse_func,
    )


def fill_score(parsed: Mapping[str, Any] | None) -> tuple[int, int]:
    """How well a parse is filled: (cells with a value, format detected). None scores lowest."""
    if not parsed:
        return (-1, 0)
    cells = parsed.get("cells") or {}
    valued = sum(1 for c in cells.values() if isinstance(c, Mapping) and c.get("value") is not None)
    fmt = (parsed.get("report") or {}).get("format_version")
    return (valued, int(bool(fmt) and fmt not in schema.UNDETECTED))


def better_parse(candidate: Mapping[str, Any] | None, incumbent: Mapping[str, Any] | None) -> bool:
    """Whether `candidate` should replace `incumbent` as the report's parse: strictly better filled.

    Ties keep the incumbent, so offering the detail page first makes it win ties (see module docstring).
    """
    return fill_score(candidate) > fill_score(incumbent)


class ParsePipeline:
    """Item pipeline wrapping `parse_item`; see the module docstring."""

    def __init__(
        self,
        stats: StatsCollector | None = None,
        *,
        options: ParseOptions | None = None,
        threaded: bool = True,
        parse_func: Callable[..., Any] = parse,
    ):
        self.stats = stats
        self.options = options or ParseOptions()
        self.threaded = threaded
        self.parse_func = parse_func

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.getbool("NIANBAOKU_PARSE_ENABLED", True):
            raise NotConfigured("NIANBAOKU_PARSE_ENABLED is False")
        options = ParseOptions(mode=s.get("NIANBAOKU_PARSE_MODE") or "lenient")
        return cls(crawler.stats, options=options, threaded=s.getbool("NIANBAOKU_PARSE_THREADS", True))

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, dict) or item.get("kind") not in PARSED_KINDS or "capture_id" not in item:
            return item
        item.setdefault("parsed", None)
        archived = item.get("archived")
        if archived in ("not_modified", "same"):
            self._inc(f"nianbaoku/parse/skipped/{archived}")
            return item
        if self.threaded:
            from scrapy.utils.defer import maybe_deferred_to_future
            from twisted.internet.threads import deferToThread

            outcome = await maybe_deferred_to_future(
                deferToThread(parse_item, item, self.options, self.parse_func)
            )
        else:
            outcome = parse_item(item, self.options, self.parse_func)
        return self.apply(item, outcome)

    def apply(self, item: dict[str, Any], outcome: ParseOutcome) -> dict[str, Any]:
        """Put `outcome` on the item and count it (errors also go to the crawl run)."""
        if outcome.parsed is not None:
            item["parsed"] = outcome.parsed
            self._inc("nianbaoku/parse/ok")
            return item
        kind = outcome.error_kind or "unknown"
        item["parse_error"] = {"kind": kind, "reason": outcome.reason}
        self._inc(f"nianbaoku/parse/error/{kind}")
        label = "blocked:challenge" if outcome.blocked else f"parse:{kind}"
        record_error(self.stats, item.get("url"), label, reason=(outcome.reason or "")[:500])
        logger.warning("Could not parse %s (%s): %s", item.get("url"), kind, outcome.reason)
        return item


__all__ = [
    "ParseOutcome",
    "ParsePipeline",
    "better_parse",
    "fill_score",
    "page_meta_of",
    "parse_document_bytes",
    "parse_item",
]
