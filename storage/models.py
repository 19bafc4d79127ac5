"""The relational store: SQLAlchemy 2 typed models of what the archive holds and what was read from it.

The shape (see docs/architecture.md):

- `Agency` — who publishes (canonical name, aliases, GB/T 2260 region, level, parent, identifiers).
- `CrawlRun` — one crawl of one profile, with its counters and errors.
- `Capture` — one fetched response or imported file; the bytes live in the blob archive under
  `Capture.sha256`, the row keeps the HTTP context.
- `Report` — one per (agency, statistical year, scope) (format-spec §9.7).
- `ReportVersion` — one per distinct published content of a report; `content_hash` is the hash of
  its source captures' sha256s, sorted. Old versions are kept; one is current.
- `ParseResult` — one per (version, parser version): metadata and sections as JSON, every cell a
  `Cell` row, every consistency rule a `CheckResult` row. One is current per version.

Times are aware UTC on every backend (`storage.types.UTCDateTime`). JSON columns are written by the
engine's serializer as real UTF-8 (``ensure_ascii=False``, see `storage.db`). Every constraint is named
by the metadata's naming convention, so a later migration can drop it by a predictable name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# --- recurring column shapes -------------------------------------------------------------------------
intpk = Annotated[int, mapped_column(primary_key=True)]
Sha256 = Annotated[str, mapped_column(String(64))]
"""A lowercase hex sha256 digest (64 characters)."""
Timestamp = Annotated[datetime, mapped_column(UTCDateTime())]
"""An aware UTC timestamp (naive datetimes are refused)."""
CreatedAt = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow)]
JsonDict = Annotated[dict[str, Any], mapped_column(JSON, default=dict)]
JsonList = Annotated[list[Any], mapped_column(JSON, default=list)]
ShortStr = Annotated[str, mapped_column(String(32))]

AGENCY_LEVELS = ("national", "province", "city", "county", "town")
AGENCY_KINDS = ("government", "department")
CRAWL_STATUSES = ("running", "finished", "interrupted", "failed")
CAPTURE_KINDS = ("list", "detail", "attachment", "import", "robots", "challenge", "other")
CHECK_STATUSES = ("PASS", "FAIL", "NOT_ASSESSABLE")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Agency(Base):
    """A publishing body: a people's government or one of its departments.

    `name` is the canonical full name (unique); `aliases` keeps other spellings and former names
    (机构改革 renames). The identifiers (索引号 unit prefix, USCC, xxgk area code) are stable keys
    that survive renames, so they are columns a lookup can use (portals.md §12.5).
    """

    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint(_one_of("level", AGENCY_LEVELS), name="level"),
        CheckConstraint(_one_of("kind", AGENCY_KINDS), name="kind"),
    )

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    aliases: Mapped[JsonList]
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    level: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"), index=True)
    index_prefix: Mapped[str | None] = mapped_column(String(32), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    xxgk_area: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[CreatedAt]

    parent: Mapped[Agency | None] = relationship(back_populates="children", remote_side="Agency.id")
    children: Mapped[list[Agency]] = relationship(back_populates="parent")
    reports: Mapped[list[Report]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"Agency(id={self.id!r}, name={self.name!r}, level={self.level!r})"


class CrawlRun(Base):
    """One crawl of one portal profile: when, how it ended, what it counted, what went wrong."""

    __tablename__ = "crawl_runs"
    __table_args__ = (CheckConstraint(_one_of("status", CRAWL_STATUSES), name="status"),)

    id: Mapped[intpk]
    profile: Mapped[str] = mapped_column(String(200), index=True)
    started_at: Mapped[Timestamp]
    finished_at: Mapped[Timestamp | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[JsonDict]
    """Counters such as new / changed / unchanged / blocked / failed / requests."""
    errors: Mapped[JsonList]
    """Error entries, e.g. ``{"error": "blocked:waf", "url": ...}``."""

    captures: Mapped[list[Capture]] = relationship(back_populates="crawl_run")

    def __repr__(self) -> str:
        return f"CrawlRun(id={self.id!r}, profile={self.profile!r}, status={self.status!r})"


class Capture(Base):
    """One fetched response or imported file. The bytes are in the blob archive under `sha256`.

    Identical bytes fetched again from the same URL do not add a row: `last_fetched_at` and
    `fetch_count` move instead (see `storage.repository.store_capture`).
    """

    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_url_key_sha256", "url_key", "sha256"),)

    id: Mapped[intpk]
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[Sha256]
    """sha256 of `url`: an index key of fixed size (URLs can outgrow PostgreSQL's ~2.7 kB btree rows)."""
    final_url: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None]
    headers: Mapped[JsonDict]
    content_type: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[Sha256] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    fetched_at: Mapped[Timestamp]
    last_fetched_at: Mapped[Timestamp]
    fetch_count: Mapped[int] = mapped_column(default=1)
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )

    crawl_run: Mapped[CrawlRun | None] = relationship(back_populates="captures")
    versions: Mapped[list[ReportVersion]] = relationship(
        secondary=lambda: report_version_captures, back_populates="captures"
    )

    def __repr__(self) -> str:
        return f"Capture(id={self.id!r}, kind={self.kind!r}, sha256={self.sha256[:12]!r}…, url={self.url!r})"


class Report(Base):
    """One annual report of one agency for one statistical year and scope (format-spec §9.7)."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("agency_id", "stat_year", "scope"),)

    id: Mapped[intpk]
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    stat_year: Mapped[int]
    scope: Mapped[ShortStr]
    created_at: Mapped[CreatedAt]

    agency: Mapped[Agency] = relationship(back_populates="reports")
    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="report", order_by="ReportVersion.first_seen", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return (
            f"Report(id={self.id!r}, agency_id={self.agency_id!r}, "
            f"year={self.stat_year!r}, scope={self.scope!r})"
        )


report_version_captures = Table(
    "report_version_captures",
    Base.metadata,
    Column("version_id", ForeignKey("report_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("capture_id", ForeignKey("captures.id", ondelete="CASCADE"), primary_key=True, index=True),
)
"""Which captures a version's content came from (detail page, attachments)."""


class ReportVersion(Base):
    """One distinct published content of a report. Seen again: `last_seen` moves; changed: a new row."""

    __tablename__ = "report_versions"
    __table_args__ = (
        UniqueConstraint("report_id", "content_hash"),
        # At most one current version per report, enforced by the database on both backends.
        Index(
            "uq_report_versions_current",
            "report_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    content_hash: Mapped[Sha256]
    first_seen: Mapped[Timestamp]
    last_seen: Mapped[Timestamp]
    is_current: Mapped[bool] = mapped_column(default=True)

    report: Mapped[Report] = relationship(back_populates="versions")
    captures: Mapped[list[Capture]] = relationship(
        secondary=report_version_captures, back_populates="versions", order_by="Capture.id"
    )
    parse_results: Mapped[list[ParseResult]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="ParseResult.id"
    )

    def __repr__(self) -> str:
        return (
            f"ReportVersion(id={self.id!r}, report_id={self.report_id!r}, "
            f"hash={self.content_hash[:12]!r}…, current={self.is_current!r})"
        )


class ParseResult(Base):
    """What one parser version read from one report version (the ``parse --json`` shape, normalised)."""

    __tablename__ = "parse_results"
    __table_args__ = (
        UniqueConstraint("version_id", "parser_version"),
        Index(
            "uq_parse_results_current",
            "version_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"))
    parser_version: Mapped[ShortStr]
    format_version: Mapped[ShortStr]
    report: Mapped[JsonDict]
    """The ``report`` object of the parse result (agency, stat_year, title, dates, scope, …)."""
    sections: Mapped[JsonDict]
    is_current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]

    version: Mapped[ReportVersion] = relationship(back_populates="parse_results")
    cells: Mapped[list[Cell]] = relationship(
        back_populates="parse_result", cascade="all, delete-orphan", passive_deletes=True, order_by="Cell.id"
    )
    checks: Mapped[list[CheckResult]] = relationship(
        back_populates="parse_result",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CheckResult.id",
    )

    def __repr__(self) -> str:
        return (
            f"ParseResult(id={self.id!r}, version_id={self.version_id!r}, "
            f"parser={self.parser_version!r}, current={self.is_current!r})"
        )


class Cell(Base):
    """One statistical cell of a parse result (format-spec §6): canonical key, value and provenance."""

    __tablename__ = "cells"
    __table_args__ = (UniqueConstraint("parse_result_id", "key"),)

    id: Mapped[intpk]
    parse_result_id: Mapped[int] = mapped_column(ForeignKey("parse_results.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200), index=True)
    value: Mapped[float | None] = mapped_column(Double)
    raw: Mapped[str] = mapped_column(Text, default="")
    flag: Mapped[ShortStr]
    unit: Mapped[str | None] = mapped_column(String(32))
    src: Mapped[JsonDict]

    parse_result: Mapped[ParseResult] = relationship(back_populates="cells")

    def __repr__(self) -> str:
        return f"Cell({self.key!r}={self.value!r}, flag={self.flag!r})"


class CheckResult(Base):
    """The outcome of one consistency rule (format-spec §7) on one parse result."""

    __tablename__ = "check_results"
    __table_args__ = (CheckConstraint(_one_of("status", CHECK_STATUSES), name="status"),)

    id: Mapped[intpk]
    parse_result_id: Mapped[int] = mapped_column(
        ForeignKey("parse_results.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    left: Mapped[float | None] = mapped_column(Double)
    right: Mapped[float | None] = mapped_column(Double)
    delta: Mapped[float | None] = mapped_column(Double)
    keys: Mapped[JsonList]
    kind: Mapped[str | None] = mapped_column(String(32))
    """``source_inconsistent`` or ``extraction_suspect`` for a FAIL, else null."""

    parse_result: Mapped[ParseResult] = relationship(back_populates="checks")

    def __repr__(self) -> str:
        return f"CheckResult({self.rule!r}: {self.status!r})"


class CrossYearCheck(Base):
    """The outcome of one cross-year rule (format-spec §7.1, §7.3) between two parse results of one
    agency and scope: year N (`parse_result_id`) against year N−1 (`prev_parse_result_id`).

    Why a table of its own and not `CheckResult` rows: a cross-year result belongs to a *pair* of parse
    results, and must go when either side is replaced (both foreign keys cascade). `computed_at` tells
    whether it is stale: a parse result re-recorded in place (same parser version) moves its
    ``created_at`` past it. Previous-year keys appear in `keys` as ``prev:<key>`` (`parsers.checks`).
    """

    __tablename__ = "cross_year_checks"
    __table_args__ = (CheckConstraint(_one_of("status", CHECK_STATUSES), name="status"),)

    id: Mapped[intpk]
    parse_result_id: Mapped[int] = mapped_column(
        ForeignKey("parse_results.id", ondelete="CASCADE"), index=True
    )
    prev_parse_result_id: Mapped[int] = mapped_column(
        ForeignKey("parse_results.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str | None] = mapped_column(String(8))
    left: Mapped[float | None] = mapped_column(Double)
    right: Mapped[float | None] = mapped_column(Double)
    delta: Mapped[float | None] = mapped_column(Double)
    keys: Mapped[JsonList]
    kind: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[CreatedAt]

    def __repr__(self) -> str:
        return f"CrossYearCheck({self.rule!r}: {self.status!r})"
