"""Column types shared by the models: timezone-aware UTC timestamps on every backend.

Why a TypeDecorator: PostgreSQL's ``timestamptz`` returns aware datetimes, but SQLite has no
timestamp type and SQLAlchemy hands back naive ones. Storing UTC and re-attaching ``UTC`` on the way
out makes both backends return the same aware values, so comparisons never mix naive and aware.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, aware, in UTC (the only kind of time the store accepts)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (UTC).

    Naive datetimes are refused on the way in: their zone is unknowable, and guessing would silently
    shift crawl times by eight hours between a server in UTC and a workstation in Asia/Shanghai.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} refused: pass an aware datetime "
                "(e.g. datetime.now(UTC)) so the store knows its time zone"
            )
        value = value.astimezone(UTC)
        # SQLite stores the ISO text; keep it offset-free so lexical order equals time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
