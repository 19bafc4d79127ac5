"""Which part of the archive a researcher tool looks at: years, a region, some agencies.

Why one small module: ``export``, ``coverage`` and ``history`` take the same ``--year`` / ``--region`` /
``--agency`` options, and each must read them the same way and refuse a typo the same way (a named
`SelectionError` with what was wrong and what is accepted), before any query runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from storage.errors import StoreError
from storage.repository import FIRST_YEAR, LAST_YEAR

_YEAR_RANGE = re.compile(r"^\s*(\d{4})\s*(?:(?:-|–|—|\.\.|:)\s*(\d{4}))?\s*$")
_REGION_CODE = re.compile(r"^\d{2,12}$")


class SelectionError(StoreError):
    """A ``--year`` / ``--region`` / ``--agency`` value that selects nothing sensible."""


@dataclass(frozen=True, slots=True)
class Selection:
    """A filter over reports: statistical years, a GB/T 2260 code prefix, agency ids.

    ``None`` means "no filter on this"; an empty `agency_ids` tuple selects no agency at all.
    `region_prefix` is compared with ``LIKE 'prefix%'`` on `Agency.region_code` (``33`` = Zhejiang,
    ``3305`` = Huzhou, ``330502`` = Wuxing).
    """

    years: frozenset[int] | None = None
    region_prefix: str | None = None
    agency_ids: tuple[int, ...] | None = None

    @property
    def is_everything(self) -> bool:
        return self.years is None and self.region_prefix is None and self.agency_ids is None


def parse_years(values: Iterable[str] | str | None) -> frozenset[int] | None:
    """``["2019-2021", "2023"]`` → {2019, 2020, 2021, 2023}; None or nothing → None (every year).

    A range may be written ``2019-2021``, ``2019..2021`` or ``2019:2021``; years must be plausible
    statistical years (`storage.repository.FIRST_YEAR` … `LAST_YEAR`).
    """
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    years: set[int] = set()
    for value in values:
        for part in str(value).split(","):
            if not part.strip():
                continue
            match = _YEAR_RANGE.match(part)
            if match is None:
                raise SelectionError(
                    f"year {part.strip()!r} is not understood: give a year (2023) or a range (2019-2023)"
                )
            first = int(match.group(1))
            last = int(match.group(2) or first)
            if first > last:
                first, last = last, first
            if first < FIRST_YEAR or last > LAST_YEAR:
                raise SelectionError(f"year range {part.strip()!r} is outside {FIRST_YEAR}..{LAST_YEAR}")
            years.update(range(first, last + 1))
    return frozenset(years) if years else None


def region_prefix(value: str | None) -> str | None:
    """A ``--region`` value as a code prefix: ``330500`` → ``3305``; a place name (``湖州市``) is
    resolved offline with `storage.regions.resolve_region`. None or blank → None (everywhere)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if _REGION_CODE.match(value):
        return _code_prefix(value[:6])
    from storage.regions import resolve_region  # cpca loads pandas: only when a name is given

    region = resolve_region(value)
    if region is None or not region.code:
        raise SelectionError(
            f"region {value!r} is neither a GB/T 2260 code (33, 3305, 330502) nor a place name that "
            "resolves to one unambiguously"
        )
    return _code_prefix(region.code)


def _code_prefix(code: str) -> str:
    """Drop the ``00`` pairs that mean "the whole province / city": 330500 → 3305, 330110 stays."""
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code
