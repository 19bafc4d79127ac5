"""Store: a detail page and its attachments become one report version with the better-filled parse.

`StorePipeline` groups capture items into `ReportGroup`s — a detail page plus the attachments it links
(attachments arrive after their page, in any order, some never: a 404 or a block) — and hands each
complete group to `store_group`, one unit of work per report:

1. **captures** — the group's captures, minus challenge pages (never stored as a report). A detail page
   that answered 304 stands for the current version it belongs to, attachments included.
2. **identity** — agency: the parse's ``report.agency``, else the profile's agency; statistical year:
   the list title's (what made the spider pick the page), else the parse's; scope: the parse's, else
   ``agency``. Region, level and kind from `storage.regions.resolve_region` (cached per name), else the
   profile's ``level`` for the profile's own agency.
3. **version** — `storage.repository.record_version`: ``new`` / ``changed`` / ``unchanged``.
4. **parse** — for a new or changed version (or one never parsed), the better-filled parse of the
   group (`crawler.pipelines.parse.better_parse`; documents skipped as unchanged are parsed from the
   archive now) is recorded with ``report.source_url``, ``report.attachments`` and
   ``report.content_hash`` (format-spec §6).

A report split across two crawls — its page stored while the attachment's fetch failed or was cut off
(a 503, a crawl stopped between the two), the attachment fetched by a later run — is one version, not
two: when the very same page bytes come back with attachments the current version lacks, those are
linked to it (`storage.repository.complete_version`, outcome ``unchanged``, stat
``nianbaoku/store/completed``) and the better-filled parse of the whole group is recorded on it, so the
version carries the attachment's tables. An attachment arriving without its page (the page came in an
earlier run) completes the version holding that page the same way. The reverse — the same page again
while an attachment the version holds could not be fetched this time — keeps the version as it is
(``unchanged``): a failed fetch is not a revision.

A detail page whose bytes changed but whose visible text did not (a per-visit download token, a
nonce), with the same attachment bytes, is the same content: ``unchanged`` (`only_markup_changed`).

Outcomes: new / changed / unchanged, ``blocked`` (only challenge pages), ``failed`` (no statistical
year anywhere, or the store refused the record; the reason goes to the crawl run with the URL).

When a group is flushed: as soon as the detail page and as many attachments as it linked have
arrived — or been reported missing; at close (an attachment that failed never arrives — the group is
stored with what it has, so nothing is lost); and when more than ``NIANBAOKU_STORE_MAX_OPEN_GROUPS``
groups wait, the oldest. A file linked straight from a list (no detail page) is a group of its own.

**Missing attachments.** A crawl with a frontier (JOBDIR or Redis) keeps a page in flight until its
report is stored and its attachments are done; an attachment that fails for good (a 404, a download
error after retries, a request dropped) or is filtered as already seen is done without an item. Were
the page then released while its group waited here until close, a kill in between would leave the page
archived, its report never stored, and nothing left to fetch it again. So whoever decides an attachment
will not come sends the `ATTACHMENT_MISSING` signal first (``url``, ``detail_url``, ``list_url``,
``reason``; `crawler.distributed`): the group counts it as settled and, if that completes it, is stored
at once from what arrived — the page without that file (a later crawl's replayed 304 requests it again,
`crawler.incremental.archived_urls`) — and only then is the page done in the frontier. A failure (not a
filtered duplicate) goes on the crawl run as ``store:attachment_missing`` at the page's URL, naming the
file and why (its own ``http:<status>`` / ``download:<kind>`` entry is there too).

Settings: ``NIANBAOKU_STORE_ENABLED`` (False: `NotConfigured`), ``NIANBAOKU_STORE_MAX_OPEN_GROUPS``,
``NIANBAOKU_STORE_RESOLVE_REGIONS``, ``NIANBAOKU_PARSE_MODE`` (for parses done here).
Stats: ``nianbaoku/store/<outcome>``, ``nianbaoku/store/unparsed`` (a version stored without any
readable document), ``nianbaoku/store/markup_only`` and ``nianbaoku/store/completed`` (see above),
``nianbaoku/store/flushed_at_close``, ``nianbaoku/store/attachment_missing``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from sqlalchemy import select

from crawler.pipelines import FILTERED, crawl_store, record_error, run_id
from crawler.pipelines.parse import ParseOutcome, better_parse, parse_document_bytes
from parsers.report import ParseOptions
from storage.errors import InvalidRecord
from storage.models import Capture, Report, ReportVersion, report_version_captures
from storage.repository import (
    DEFAULT_SCOPE,
    complete_version,
    current_parse,
    last_capture,
    record_parse,
    record_version,
    upsert_agency,
)

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from sqlalchemy.orm import Session

    from storage.blobs import BlobStore
    from storage.db import Store

logger = logging.getLogger(__name__)

OUTCOMES = ("new", "changed", "unchanged", "blocked", "failed")

#: Scrapy signal: an attachment request will yield no item (see "Missing attachments" above). Arguments:
#: ``url``, ``detail_url`` (the page it was linked from), ``list_url``, ``reason`` (``"filtered"`` for a
#: duplicate, else what failed: ``"http:404"``, ``"download:timeout"``…).
ATTACHMENT_MISSING = object()

#: Profile level suffix (spiders.profiles.LEVELS: "<level>-<gov|dept>") → store level / kind.
_PROFILE_LEVELS = {
    "national": "national",
    "province": "province",
    "city": "city",
    "district": "county",
    "town": "town",
}
_PROFILE_KINDS = {"gov": "government", "dept": "department"}


@dataclass
class Member:
    """One archived document of a group (the light part of its item: no bytes)."""

    kind: str
    url: str
    capture_id: int
    sha256: str
    archived: str
    content_type: str | None = None
    title: str | None = None
    published_date: str | None = None
    parsed: dict[str, Any] | None = None
    parse_error: dict[str, Any] | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Member:
        return cls(
            kind=item["kind"],
            url=item["url"],
            capture_id=item["capture_id"],
            sha256=item["sha256"],
            archived=item.get("archived") or "new",
            content_type=item.get("content_type"),
            title=item.get("title"),
            published_date=item.get("published_date"),
            parsed=item.get("parsed"),
            parse_error=item.get("parse_error"),
        )

    @property
    def blocked(self) -> bool:
        return bool(self.parse_error) and self.parse_error.get("kind") == "challenge"

    @property
    def unparsed(self) -> bool:
        """Never tried (skipped as unchanged): can still be parsed from the archive."""
        return self.parsed is None and self.parse_error is None


@dataclass
class ReportGroup:
    """A detail page and its attachments: the documents of one report as one portal published it."""

    key: str
    profile: str | None = None
    agency: str | None = None
    stat_year: int | None = None
    detail: Member | None = None
    attachments: list[Member] = field(default_factory=list)
    expected: int = 0
    standalone: bool = False
    missing: list[str] = field(default_factory=list)  # attachments that will not arrive

    @property
    def empty(self) -> bool:
        """Nothing arrived (only missing attachments were reported): nothing to store."""
        return self.detail is None and not self.attachments

    @property
    def members(self) -> list[Member]:
        """Detail page first: on equal fill it wins (see `better_parse`)."""
        return ([self.detail] if self.detail else []) + self.attachments

    @property
    def complete(self) -> bool:
        if self.standalone:
            return True
        return self.detail is not None and len(self.attachments) + len(self.missing) >= self.expected

    def add(self, item: Mapping[str, Any], *, fetch_attachments: bool = True) -> None:
        member = Member.from_item(item)
        self.profile = self.profile or item.get("profile")
        self.agency = self.agency or item.get("agency")
        if self.stat_year is None and isinstance(item.get("stat_year"), int):
            self.stat_year = item["stat_year"]
        if member.kind == "detail":
            self.detail = member
            if item.get("stat_year") is not None:
                self.stat_year = item["stat_year"]  # the detail's list row is the authority
            self.expected = len(item.get("attachments") or []) if fetch_attachments else 0
        else:
            self.attachments.append(member)


@dataclass(frozen=True, slots=True)
class Stored:
    """The outcome of storing one group: one of `OUTCOMES`, the version id, and a reason for failures."""

    outcome: str
    version_id: int | None = None
    reason: str | None = None


def profile_level(level: str | None) -> tuple[str | None, str | None]:
    """``"district-dept"`` → ``("county", "department")``; unknown or None → (None, None)."""
    if not level or "-" not in level:
        return None, None
    lvl, _, kind = level.partition("-")
    return _PROFILE_LEVELS.get(lvl), _PROFILE_KINDS.get(kind)


@lru_cache(maxsize=4096)
def _region(name: str) -> tuple[str | None, str | None, str | None]:
    from storage.regions import resolve_region

    try:
        region = resolve_region(name)
    except Exception:  # a region is a nicety; its failure must not fail the report
        logger.debug("region of %r could not be resolved", name, exc_info=True)
        return None, None, None
    if region is None:
        return None, None, None
    return region.code, region.level, region.kind


def _current_version_of(session: Session, capture_id: int) -> ReportVersion | None:
    return session.scalars(
        select(ReportVersion)
        .join(report_version_captures, report_version_captures.c.version_id == ReportVersion.id)
        .where(report_version_captures.c.capture_id == capture_id, ReportVersion.is_current)
        .order_by(ReportVersion.id.desc())
        .limit(1)
    ).first()


def page_text(data: bytes) -> str:
    """The visible text of an HTML page, whitespace collapsed (attributes — links, tokens — left out)."""
    import lxml.html

    try:
        root = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    return " ".join(root.text_content().split())


def only_markup_changed(
    session: Session, blobs: BlobStore, report_id: int, detail: Member, attachments: list[Member]
) -> ReportVersion | None:
    """The report's current version when the group differs from it only in the detail page's markup.

    Pages that embed a per-visit token in a download link (JPaaS), a visit counter in an attribute or a
    generated nonce change bytes on every fetch; storing each fetch as a new version would bury the
    real revisions. Same visible text of the page (same URL) and the same attachment bytes → the same
    report content. The new capture stays archived (and on the crawl run); it just adds no version.
    """
    current = session.scalars(
        select(ReportVersion).where(ReportVersion.report_id == report_id, ReportVersion.is_current)
    ).first()
    if current is None:
        return None
    old_pages = [c for c in current.captures if c.kind == "detail" and c.url == detail.url]
    old_files = sorted(c.sha256 for c in current.captures if c.kind == "attachment")
    if len(old_pages) != 1 or old_files != sorted(m.sha256 for m in attachments):
        return None
    new_text = page_text(blobs.get(detail.sha256))
    if not new_text or new_text != page_text(blobs.get(old_pages[0].sha256)):
        return None
    return current


def _page_version(session: Session, group: ReportGroup) -> ReportVersion | None:
    """The current version holding the page of an attachment-only group (its page came in an earlier
    run, its attachment in this one), or None."""
    if group.detail is not None or group.standalone or not group.attachments:
        return None
    page = last_capture(session, group.key)
    if page is None or page.kind != "detail":
        return None
    return _current_version_of(session, page.id)


def _page_member(version: ReportVersion, group: ReportGroup) -> Member:
    """The page of `version` as a member of `group` (not parsed yet: parsed from the archive if needed),
    so the better-filled parse is chosen over the whole report, not over the late attachments alone."""
    page = next(c for c in version.captures if c.kind == "detail" and c.url == group.key)
    first = group.attachments[0]
    return Member(
        kind="detail", url=page.url, capture_id=page.id, sha256=page.sha256, archived="same",
        content_type=page.content_type, title=first.title, published_date=first.published_date,
    )


def split_observation(
    prior: ReportVersion, captures: list[Capture]
) -> tuple[list[Capture], list[Capture]]:
    """How a group's `captures` relate to the current version `prior` holding the same page bytes:
    ``(captures to record, attachments completing prior)``.

    - more documents, the extra ones all attachments → the version was observed incompletely (an
      attachment's fetch failed or was cut off): the extras complete it;
    - fewer documents, the missing ones all attachments → this fetch is the incomplete one: the
      version's own captures stand, as for a 304 (a failed fetch is not a revision);
    - anything else (a changed attachment) → the group's captures as they are: `record_version` decides.
    """
    old = {c.sha256 for c in prior.captures}
    new = {c.sha256 for c in captures}
    unlinked = [c for c in captures if c not in prior.captures]  # same bytes from another URL too
    if new < old and all(c.kind == "attachment" for c in prior.captures if c.sha256 not in new):
        return list(prior.captures) + unlinked, []
    if old < new and all(c.kind == "attachment" for c in captures if c.sha256 not in old):
        return captures, unlinked
    return captures, []


def _best(members: list[Member]) -> Member | None:
    best: Member | None = None
    for member in members:
        if member.parsed is not None and better_parse(member.parsed, best.parsed if best else None):
            best = member
    return best


def store_group(
    session: Session,
    group: ReportGroup,
    *,
    blobs: BlobStore,
    crawl_run_id: int | None = None,
    level: str | None = None,
    resolve_regions: bool = True,
    parse_capture: Callable[[Member], ParseOutcome] | None = None,
) -> Stored:
    """Store one group as a report version (see the module docstring). Never commits.

    `parse_capture` parses a member skipped as unchanged from the archive when its parse is needed;
    `level` is the profile's level (``"city-dept"``) for the profile's own agency.
    """
    del crawl_run_id  # captures already carry the run; kept for symmetry with archive_item
    members = [m for m in group.members if not m.blocked]
    if not members:
        return Stored("blocked", reason="every document of the report was a challenge page")

    def ensure_parsed(ms: list[Member]) -> None:
        for m in ms:
            if m.unparsed and parse_capture is not None:
                outcome = parse_capture(m)
                m.parsed = outcome.parsed
                if outcome.parsed is None:
                    m.parse_error = {"kind": outcome.error_kind, "reason": outcome.reason}
        ms[:] = [m for m in ms if not m.blocked]

    volatile = False
    captures = [session.get(Capture, m.capture_id) for m in members]
    captures = [c for c in captures if c is not None]
    prior = None
    if group.detail is not None and not group.detail.blocked:
        prior = _current_version_of(session, group.detail.capture_id)
        if prior is not None and group.detail.archived == "not_modified" and not group.attachments:
            captures = list(prior.captures)  # the page is unchanged: so is what it linked
    completing: list[Capture] = []
    if prior is not None:
        captures, completing = split_observation(prior, captures)
    else:
        page_version = _page_version(session, group)
        if page_version is not None:
            union = list(page_version.captures) + [c for c in captures if c not in page_version.captures]
            _, completing = split_observation(page_version, union)
            if completing:
                prior, captures = page_version, union
                members.insert(0, _page_member(page_version, group))  # its parse competes too

    best = _best(members)
    if best is None and prior is None:
        ensure_parsed(members)
        if not members:
            return Stored("blocked", reason="every document of the report was a challenge page")
        best = _best(members)
    report_meta = (best.parsed or {}).get("report") or {} if best else {}

    if prior is not None and best is None:
        agency_name = prior.report.agency.name
        stat_year: int | None = prior.report.stat_year
        scope = prior.report.scope
    else:
        agency_name = (report_meta.get("agency") or group.agency or "").strip()
        stat_year = group.stat_year if group.stat_year is not None else report_meta.get("stat_year")
        scope = report_meta.get("scope") or DEFAULT_SCOPE
    if not agency_name:
        return Stored("failed", reason="no agency: neither the document nor the profile names one")
    if not isinstance(stat_year, int):
        return Stored("failed", reason="no statistical year: neither the list title nor the document has one")

    region_code = lvl = kind = None
    if resolve_regions:
        region_code, lvl, kind = _region(agency_name)
    if lvl is None and agency_name == (group.agency or "").strip():
        lvl, kind = profile_level(level)
    agency = upsert_agency(session, agency_name, region_code=region_code, level=lvl, kind=kind)
    if group.detail is not None and group.detail.archived == "new" and not group.detail.blocked:
        report = session.scalars(
            select(Report).where(
                Report.agency_id == agency.id, Report.stat_year == stat_year, Report.scope == scope
            )
        ).first()
        same = report and only_markup_changed(session, blobs, report.id, group.detail, group.attachments)
        if same:
            captures, volatile = list(same.captures), True
    completed = None
    if completing and prior is not None and not volatile:
        same_report = prior.report
        if (same_report.agency_id, same_report.stat_year, same_report.scope) == (agency.id, stat_year, scope):
            completed = complete_version(session, prior, completing)
    if completed is not None:
        version, outcome = completed, "unchanged"
    else:
        version, outcome = record_version(
            session, agency=agency, stat_year=stat_year, scope=scope, captures=captures
        )
    if volatile and outcome == "unchanged":
        return Stored(outcome, version.id, reason="markup_only")
    if completed is None and outcome == "unchanged" and current_parse(session, version) is not None:
        return Stored(outcome, version.id)
    if best is None or any(m.unparsed for m in members):
        ensure_parsed(members)
        best = _best(members)
    if best is None or best.parsed is None:
        return Stored(outcome, version.id, reason="unparsed")
    result = dict(best.parsed)
    result["report"] = {
        **(best.parsed.get("report") or {}),
        "source_url": best.url,
        "attachments": [m.url for m in group.attachments],
        "content_hash": version.content_hash,
    }
    record_parse(session, version, result)
    return Stored(outcome, version.id, reason="completed" if completed is not None else None)


class StorePipeline:
    """Item pipeline grouping captures into reports and storing them with `store_group`."""

    def __init__(
        self,
        store: Store,
        stats: StatsCollector | None = None,
        *,
        max_open: int = 500,
        resolve_regions: bool = True,
        options: ParseOptions | None = None,
        level: str | None = None,
        fetch_attachments: bool = True,
    ):
        self.store = store
        self.stats = stats
        self.max_open = max_open
        self.resolve_regions = resolve_regions
        self.options = options or ParseOptions()
        self.level = level
        self.fetch_attachments = fetch_attachments
        self.groups: dict[str, ReportGroup] = {}
        self.outcomes: dict[str, int] = dict.fromkeys(OUTCOMES, 0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if not s.getbool("NIANBAOKU_STORE_ENABLED", True):
            raise NotConfigured("NIANBAOKU_STORE_ENABLED is False")
        o = cls(
            crawl_store(crawler),
            crawler.stats,
            max_open=s.getint("NIANBAOKU_STORE_MAX_OPEN_GROUPS", 500),
            resolve_regions=s.getbool("NIANBAOKU_STORE_RESOLVE_REGIONS", True),
            options=ParseOptions(mode=s.get("NIANBAOKU_PARSE_MODE") or "lenient"),
        )
        crawler.signals.connect(o.attachment_missing, signal=ATTACHMENT_MISSING)
        return o

    def open_spider(self, spider: Any = None) -> None:
        profile = getattr(spider, "profile", None)
        if profile is not None:
            self.level = getattr(profile, "level", None) or self.level
            self.fetch_attachments = profile.attachments.fetch_immediately

    def close_spider(self, spider: Any = None) -> None:
        waiting = [self.groups.pop(key) for key in list(self.groups)]
        waiting = [g for g in waiting if not g.empty]
        if waiting and self.stats is not None:
            self.stats.inc_value("nianbaoku/store/flushed_at_close", len(waiting))
        for group in waiting:
            self.flush(group)

    def attachment_missing(
        self, url: str, detail_url: str | None, list_url: str | None = None, reason: str | None = None,
        **kwargs: Any,
    ) -> Stored | None:
        """Signal receiver (`ATTACHMENT_MISSING`): `url` will not arrive for the page `detail_url`; store
        its group now if that was all it waited for (see "Missing attachments" in the module docstring).
        Synchronous: the sender marks the page done only after this returned."""
        if not detail_url or detail_url == list_url:
            return None  # a file linked straight from a list: a group of its own, nothing waits for it
        group = self.groups.setdefault(detail_url, ReportGroup(key=detail_url))  # the page may come later
        if url in group.missing:
            return None
        group.missing.append(url)
        if self.stats is not None:
            self.stats.inc_value("nianbaoku/store/attachment_missing")
        if reason != FILTERED:
            record_error(self.stats, detail_url, "store:attachment_missing",
                         reason=f"{url}: {reason or 'failed'}"[:500])
        if not group.complete:
            return None
        self.groups.pop(group.key, None)
        return self.flush(group)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind not in ("detail", "attachment") or "capture_id" not in item:
            return item
        detail_url = item.get("detail_url")
        if kind == "attachment" and (not detail_url or detail_url == item.get("list_url")):
            group = ReportGroup(key=item["url"], standalone=True)  # a file linked straight from a list
        else:
            key = item["url"] if kind == "detail" else item["detail_url"]
            group = self.groups.setdefault(key, ReportGroup(key=key))
        group.add(item, fetch_attachments=self.fetch_attachments)
        if group.complete:
            self.groups.pop(group.key, None)
            item["stored"] = self.flush(group).outcome
        while len(self.groups) > self.max_open:
            oldest = self.groups.pop(next(iter(self.groups)))
            if not oldest.empty:
                self.flush(oldest)
        return item

    def _parse_capture(self, member: Member) -> ParseOutcome:
        data = self.store.blobs.get(member.sha256)
        page_meta = {k: v for k, v in (("title", member.title), ("发布日期", member.published_date)) if v}
        return parse_document_bytes(
            data, url=member.url, content_type=member.content_type, page_meta=page_meta, options=self.options
        )

    def flush(self, group: ReportGroup) -> Stored:
        """Store `group` in its own unit of work; count the outcome; a failure is recorded, not raised."""
        url = group.detail.url if group.detail else group.key
        try:
            stored = self.store.run(
                lambda s: store_group(
                    s,
                    group,
                    blobs=self.store.blobs,
                    crawl_run_id=run_id(self.stats),
                    level=self.level,
                    resolve_regions=self.resolve_regions,
                    parse_capture=self._parse_capture,
                )
            )
        except InvalidRecord as exc:
            stored = Stored("failed", reason=str(exc))
        except Exception as exc:  # a store error on one report must not end the crawl
            logger.exception("Could not store the report at %s", url)
            stored = Stored("failed", reason=f"{type(exc).__name__}: {exc}")
        self.outcomes[stored.outcome] += 1
        if self.stats is not None:
            self.stats.inc_value(f"nianbaoku/store/{stored.outcome}")
            if stored.reason in ("unparsed", "markup_only", "completed"):
                self.stats.inc_value(f"nianbaoku/store/{stored.reason}")
        if stored.outcome == "failed":
            record_error(self.stats, url, "store:failed", reason=(stored.reason or "")[:500])
            logger.warning("Report at %s not stored: %s", url, stored.reason)
        return stored


__all__ = [
    "ATTACHMENT_MISSING",
    "FILTERED",
    "OUTCOMES",
    "Member",
    "ReportGroup",
    "StorePipeline",
    "Stored",
    "profile_level",
    "store_group",
]
