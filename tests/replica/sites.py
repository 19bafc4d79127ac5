"""Replica sites described as data: which family, which agencies and years, how much noise.

A `SiteSpec` is all a replica portal needs; `build_items` turns it into the column's rows (reports,
companion pages that must be filtered out, and items of *another* column/category that must never be
crawled), deterministically from ``seed``. Scale by widening ``agencies`` × ``years``:
``SiteSpec("big", "trs", agencies=agency_names(500), years=(2015, 2024))`` is a 5,000-report column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from functools import cached_property

FAMILIES = (
    "hanweb_jcms",
    "hanweb_jcms_jiangsu",
    "hanweb_xxgk",
    "hanweb_jpaas",
    "trs",
    "gkmlpt",
    "shanghai",
    "static",
)

SEED_AGENCY = "宁波市镇海区人力资源和社会保障局"
_PLACES = ("宁波市镇海区", "宁波市江北区", "湖州市吴兴区", "杭州市", "绍兴市", "温州市", "舟山市", "台州市")
_DEPTS = (
    "人力资源和社会保障局",
    "民政局",
    "教育局",
    "财政局",
    "住房和城乡建设局",
    "卫生健康局",
    "司法局",
    "市场监督管理局",
    "交通运输局",
    "文化广电旅游局",
)


def agency_names(n: int) -> tuple[str, ...]:
    """``n`` distinct plausible agency names (place × department, then numbered 街道 offices)."""
    names = [p + d for p in _PLACES for d in _DEPTS]
    i = 1
    while len(names) < n:
        names.append(f"宁波市镇海区第{i}街道办事处")
        i += 1
    return tuple(names[:n])


@dataclass(frozen=True)
class SiteSpec:
    """One replica portal (one CMS family, one 年报 column)."""

    name: str
    family: str
    agencies: tuple[str, ...] = (SEED_AGENCY,)
    years: tuple[int, int] = (2015, 2024)
    non_reports: int = 6
    other_column: int = 5
    attachments: bool = True
    encoding: str = "utf-8"  # "gbk": pages in GBK while the header claims UTF-8
    full_files: int = 4  # this many attachments are whole forged reports; the rest are small files
    seed: int = 1
    options: dict = field(default_factory=dict)
    # (agency, year) reports the portal never published — a gap `coverage` must show as missing. The
    # other rows (and their keys) are the same as without the gap.
    omit: frozenset[tuple[str, int]] = frozenset()

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"SiteSpec.family {self.family!r}; allowed: {', '.join(FAMILIES)}")


@dataclass
class Item:
    """A row of a replica column."""

    key: int
    title: str
    published: dt.date
    is_report: bool
    agency: str
    year: int
    column: str = "main"  # "main" (the 年报 column) or "other"
    attachment: str | None = None  # "pdf" | "docx"
    revision: int = 0
    last_modified: dt.datetime = field(default_factory=lambda: dt.datetime(2020, 1, 1, tzinfo=dt.UTC))

    @cached_property
    def hex(self) -> str:
        return hashlib.md5(f"{self.key}".encode()).hexdigest()


_REPORT_TITLES = (
    "{agency}{year}年政府信息公开工作年度报告",
    "{year}年度{agency}政府信息公开年度工作报告",
    "{agency}{year}年度政府信息公开工作年度报告",
    "{year}年{agency}政务信息公开年度报告",
)
_COMPANIONS = (
    "{agency}{year}年政府信息公开工作年度报告文字解读",
    "图解：{agency}{year}年政府信息公开工作年度报告",
    "关于做好{year}年政府信息公开工作年度报告编制发布工作的通知",
    "{agency}{year}年法治政府建设年度报告",
    "{agency}政府信息公开指南",
    "{agency}{year}年政府网站工作年度报表",
)
_OTHER = (
    "{agency}{year}年工作总结",
    "关于印发{year}年就业工作要点的通知",
    "{agency}{year}年部门预算",
    "{year}年度重点工作动态",
)


def build_items(spec: SiteSpec) -> list[Item]:
    """All rows of the site, newest first within each column; keys are unique and stable."""
    rng = random.Random(spec.seed)
    items: list[Item] = []
    key = spec.seed * 1_000_000 + 1000
    for agency in spec.agencies:
        for year in range(spec.years[0], spec.years[1] + 1):
            key += 1
            published = dt.date(year + 1, rng.choice((1, 1, 2, 3)), rng.randint(1, 28))
            title = rng.choice(_REPORT_TITLES).format(agency=agency, year=year)
            attachment = rng.choice(("pdf", "docx", None)) if spec.attachments else None
            if (agency, year) in spec.omit:
                continue
            items.append(Item(key, title, published, True, agency, year, attachment=attachment))
    if items and spec.attachments:
        items[0].attachment = "pdf"
        items[-1].attachment = "docx"
    if len(items) > 3:  # an old report reposted years later: year must come from the title
        items[1].published = dt.date(spec.years[1] + 1, 8, 28)
    for i in range(spec.non_reports):
        key += 1
        agency, year = spec.agencies[i % len(spec.agencies)], spec.years[1] - i % 3
        title = _COMPANIONS[i % len(_COMPANIONS)].format(agency=agency, year=year)
        items.append(Item(key, title, dt.date(year + 1, 2, 1 + i % 27), False, agency, year))
    for i in range(spec.other_column):
        key += 1
        agency, year = spec.agencies[i % len(spec.agencies)], spec.years[1] - i % 4
        title = _OTHER[i % len(_OTHER)].format(agency=agency, year=year)
        items.append(Item(key, title, dt.date(year, 6, 1 + i % 27), False, agency, year, column="other"))
    for item in items:
        item.last_modified = dt.datetime.combine(item.published, dt.time(8, 0), tzinfo=dt.UTC)
    items.sort(key=lambda it: (it.published, it.key), reverse=True)
    return items
