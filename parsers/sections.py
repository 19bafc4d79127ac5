"""Split a report's narrative into its sections (format-spec §2, §8.1).

Why by content and not by number: the six headings of the 2019/2021 format are worded a dozen ways, pre-2019
reports have seven to ten parts in another order, and the overview's own subtopics reuse the words of the
top-level headings ("（一）主动公开政府信息情况" inside 一、总体情况, corpus 030). So a heading is a short
line
whose words map to a section key (`HEADING_VOCABULARY`), numbered in the style the document uses for its top
level (一、 / （一） / 1. / (1) or none), with ordinals that only move forward.

Stages, each a pure function:

1. `document_lines` — paragraphs split into lines, a heading glued after a sentence split off
   ("…联系。一、总体情况", corpus 057), tables dropped except layout tables of one column (read as text) and
   single-cell title rows (a heading set as the first row of its table).
2. `heading_candidates` — lines that look like headings: numbering + a short title, mapped to a key.
3. `pick_top_level` — the numbering style of the top level, and the headings that use it in forward order.
4. `assemble` — text between accepted headings, keyed; text before the first one is the ``preamble``; the
   tail signature (agency + date) is cut from the last section (`split_tail_signature`).

Keys: ``preamble, overview, active, applications, review_litigation, problems, other`` (§2) and, for
pre-2019 outlines (§8.1), ``fees`` (收费及减免 / 政府支出和收费), ``response`` (回应解读情况),
``organisation`` (机构建设和保障经费 / 人员), ``training`` (会议和培训), ``consultation`` (咨询处理) and
``annex``
(附表 / 附件 / 统计表 notes). Only keys found are returned. Two headings mapping to one key (e.g.
依申请公开 and
a later 答复情况) are concatenated in order; a section whose body is only a table maps to "".
Traditional-script headings are matched through OpenCC as a fallback;
the returned text is always as printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from parsers.cn_numbers import cn_to_int, collapse_ws, find_dates, squash, to_simplified
from parsers.document import Document, Paragraph, Table

SECTION_KEYS = ("preamble", "overview", "active", "applications", "review_litigation", "problems", "other")
LEGACY_KEYS = ("fees", "response", "organisation", "training", "consultation", "annex")

# (key, pattern) in priority order: the first pattern found in a heading title decides. Order matters because
# titles share words: 因…被申请行政复议 contains 申请, 政府信息公开工作存在的主要问题 contains
# 政府信息公开工作.
HEADING_VOCABULARY: tuple[tuple[str, str], ...] = (
    ("problems", r"问题|改进"),
    ("other", r"其他需要|需要(?:向社会)?(?:报告|说明)|其他(?:工作)?(?:情况|事项)|其它需要"),
    ("review_litigation", r"复议|诉讼|申诉|举报"),
    ("fees", r"收费|收支|费用|支出"),
    ("response", r"回应|解读"),
    ("organisation", r"机构建设|保障经费|人员"),
    ("training", r"会议|培训"),
    ("consultation", r"咨询"),
    ("annex", r"^附|统计表|指标"),
    ("applications", r"依申请|申请"),
    ("active", r"主动公开"),
    # the 2021 overview's subtopics, when a report lifts them to the top level (corpus 006)
    (
        "overview",
        r"总体情况|概述|概况|基本情况|要点落实|总体|政府信息管理|平台建设|监督保障|机制保障|组织领导",
    ),
    ("preamble", r"^(?:引言|前言)$"),
)
# unnumbered lines count as headings only when they are one of these titles in full (after squashing and
# stripping markdown "#" / "表X：" prefixes): a table's header cell "本年收费金额" or a link "点击查看解读"
# is not one
UNNUMBERED_TITLES = re.compile(
    r"(?:引言|前言|概述|总体情况|(?:行政机关)?主动公开政府信息(?:的)?情况|"
    r"(?:行政机关)?收到和处理政府信息公开申请(?:的)?情况|"
    r"(?:因)?政府信息公开(?:工作)?(?:被申请)?行政复议[、和及]?(?:提起)?行政诉讼(?:的)?情况|"
    r"(?:政府信息公开工作)?存在的主要问题(?:及|和)改进(?:情况|措施)|其他需要报告的事项)"
)
# longest title part of a heading line; longer lines are body text that happens to start with a number
MAX_HEADING_CHARS = 40

_NUMBERING = (
    ("cn", r"(?P<n>[一二三四五六七八九十]{1,3})\s*[、.．,，]"),
    ("part", r"第(?P<n>[一二三四五六七八九十]{1,3})部分[、:：.]?"),
    ("paren_cn", r"[(（]\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[)）][、.]?"),
    ("arabic", r"(?P<n>\d{1,2})\s*(?:[、．]|\.(?!\d))"),
    ("paren_arabic", r"[(（]\s*(?P<n>\d{1,2})\s*[)）][、.]?"),
)
_NUMBERING_RES = tuple((style, re.compile(r"^\s*" + pat + r"\s*")) for style, pat in _NUMBERING)
# a top-level heading glued after a sentence inside one paragraph ("…联系。一、总体情况")
_GLUED = re.compile(
    r"(?<=[。；;!！?？])\s*(?=[一二三四五六七八九十]{1,2}、\s*(?:总体情况|概述|主动公开|收到和处理|"
    r"政府信息公开行政复议|因政府信息公开|存在的主要问题|其他需要报告))"
)
_PAGE_NUMBER = re.compile(
    r"^\s*[-—–]\s*\d{1,3}\s*[-—–]\s*$|^\s*第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?\s*$"
)
_SIGNATURE_DATE = re.compile(
    r"^\s*(?:(?P<agency>.{2,40}?)\s+)?(?P<date>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月"
    r"\s*\d{1,2}\s*日|(?:19|20)\d{2}-\d{1,2}-\d{1,2})\s*$"
)
_AGENCY_END = re.compile(
    r"(?:局|委|委员会|办|办公室|办公厅|厅|院|府|政府|室|会|处|所|中心|街道|镇|乡|公署|办事处|"
    r"管委会|委员会|部|署|队|站|馆|社|司|组)$"
)


@dataclass(frozen=True, slots=True)
class Heading:
    """A line that looks like a heading."""

    line_no: int
    style: str  # numbering style: cn, part, paren_cn, arabic, paren_arabic or "none"
    ordinal: int | None
    key: str | None  # section key, None for a numbered line of unknown wording
    title: str  # the heading as printed, numbering included
    rest: str  # body text that followed the heading on the same line
    canonical: bool = False  # the title is a template heading in full (see `is_canonical_title`)


# ----------------------------------------------------------------------------------------------------


def _is_layout_table(table: Table) -> bool:
    return table.n_cols == 1


def _title_row(table: Table) -> str | None:
    """The text of a first row that is one cell spanning the table (a caption set inside the table)."""
    if not table.rows:
        return None
    texts = {c.text.strip() for c in table.rows[0] if c.text.strip()}
    return texts.pop() if len(texts) == 1 and table.n_cols > 1 else None


def document_lines(doc: Document) -> list[tuple[str, bool]]:
    """Stage 1: the document as (line, from_table_title) in reading order; data tables are left out."""
    out: list[tuple[str, bool]] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            texts = [block.text]
        elif _is_layout_table(block):
            texts = [row[0].text for row in block.rows if row and row[0].is_origin]
        else:
            title = _title_row(block)
            if (
                title is not None and parse_heading(title) is not None
            ):  # a caption row, not 第二十条第（一）项
                out.append((title, True))
            out.append(("", True))  # a table ends the sentence before it
            continue
        for text in texts:
            for raw_line in text.splitlines():
                for piece in _GLUED.split(raw_line):
                    if not _PAGE_NUMBER.match(piece):
                        out.append((piece.rstrip(), False))
    return out


# `HEADING_VOCABULARY` compiled once: every heading candidate of every report is tried against each
# pattern, and ``re.search(str, …)`` pays a cache lookup per call
_HEADING_RES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pat)) for key, pat in HEADING_VOCABULARY
)


_TITLE_PREFIX = re.compile(r"^#+|^表[一二三四五六七八九十\d]+[:：]?")
_STOP = re.compile(r"[。:：]")
_CLAUSE_PUNCT = re.compile(r"[,，;；]")


def _match_key(title: str) -> str | None:
    t = squash(title).strip("：:。.，,;；")
    for candidate in (t, to_simplified(t)):
        for key, rx in _HEADING_RES:
            if rx.search(candidate):
                return key
    return None


def is_canonical_title(title: str) -> bool:
    """True when `title` (numbering already removed) is one of `UNNUMBERED_TITLES` in full."""
    bare = _TITLE_PREFIX.sub("", squash(title).strip("：:。.，,;；"))
    return bool(UNNUMBERED_TITLES.fullmatch(bare) or UNNUMBERED_TITLES.fullmatch(to_simplified(bare)))


def parse_heading(line: str, line_no: int = 0) -> Heading | None:
    """Stage 2 for one line: numbering + short title → `Heading`, or None when the line is body text."""
    s = collapse_ws(line).lstrip("#").strip()
    if not s:
        return None
    style, ordinal, body = "none", None, s
    for name, rx in _NUMBERING_RES:
        m = rx.match(s)
        if m:
            style, ordinal, body = name, cn_to_int(m["n"]), s[m.end() :]
            break
    if not body:
        return None
    # heading and body on one line: "（一）主动公开情况。2022年…" — split at the first sentence stop
    head, rest = body, ""
    if len(squash(body)) > MAX_HEADING_CHARS or _STOP.search(body.rstrip("。:：")):
        m = _STOP.search(body)
        if not m or len(squash(body[: m.start()])) > MAX_HEADING_CHARS:
            return None
        head, rest = body[: m.start()], body[m.end() :].strip()
    head_sq = squash(head)
    if not head_sq or (_CLAUSE_PUNCT.search(head_sq) and style == "none"):
        return None
    key = _match_key(head)
    # unnumbered lines are headings only when they are nothing but a known title (引言, 概述, …)
    if style == "none" and (key is None or rest or not is_canonical_title(head)):
        return None
    if key == "preamble" and style != "none":
        key = None
    title = s if not rest else s[: len(s) - len(rest)].rstrip()
    return Heading(line_no, style, ordinal, key, title, rest, is_canonical_title(head))


def heading_candidates(lines: list[tuple[str, bool]]) -> list[Heading]:
    """Stage 2: every line that parses as a heading."""
    return [h for i, (line, _) in enumerate(lines) if (h := parse_heading(line, i)) is not None]


_STYLE_PREFERENCE = ("cn", "part", "paren_cn", "arabic", "paren_arabic")


def pick_top_level(candidates: list[Heading]) -> list[Heading]:
    """Stage 3: the headings of the top level, in forward order.

    The top-level style is the most preferred numbering style among candidates whose wording is known (一、
    over
    （一） over 1. over (1)); unnumbered known titles (引言, 概述) are accepted at any point. A numbered
    line of
    unknown wording opens the first section only (corpus 070: 一、加强组织领导 → overview); later ones are
    body
    enumerations. Ordinals must increase, so a repeated 一、 inside a section is not a new section — except a
    restart at 一 with a template title in full (corpus 006 numbers its narrative 一–六, then its table part
    一、主动公开政府信息情况 … 五、其他需要报告的事项 again).
    """
    known_styles = {h.style for h in candidates if h.key is not None and h.style != "none"}
    top = next((s for s in _STYLE_PREFERENCE if s in known_styles), None)
    accepted: list[Heading] = []
    last_ordinal = 0
    for h in candidates:
        if h.style == "none":
            if h.key is not None and (not accepted or h.key != accepted[-1].key):
                accepted.append(h)
            continue
        if h.style != top or h.ordinal is None:
            continue
        if h.ordinal <= last_ordinal and not (h.ordinal == 1 and h.canonical):
            continue
        if h.key is None:
            if last_ordinal or h.ordinal != 1:
                continue
            h = Heading(h.line_no, h.style, h.ordinal, "overview", h.title, h.rest, h.canonical)
        accepted.append(h)
        last_ordinal = h.ordinal
    return accepted


def split_tail_signature(lines: list[str]) -> tuple[str | None, date | None, int]:
    """The closing signature: (agency line or None, date or None, number of trailing lines it takes).

    Recognises "agency\\ndate", "agency date" and a lone date among the last non-empty lines (seed:
    镇海区人力资源和社会保障局 / 2023年1月4日). Chinese-numeral dates (二〇二三年一月四日) count too.
    """
    idx = [i for i, line in enumerate(lines) if line.strip()]
    if not idx:
        return None, None, 0
    last = idx[-1]
    from parsers.cn_numbers import cn_dates_to_arabic

    m = _SIGNATURE_DATE.match(cn_dates_to_arabic(collapse_ws(lines[last])))
    if not m:
        return None, None, 0
    found = find_dates(m["date"])
    when = found[0][0] if found else None
    agency = m["agency"]
    taken = len(lines) - last
    if agency is None and len(idx) > 1:
        prev = collapse_ws(lines[idx[-2]])
        if (
            2 <= len(squash(prev)) <= 40
            and _AGENCY_END.search(squash(prev))
            and not re.search(r"[。，,；;]", prev)
        ):
            agency = prev
            taken = len(lines) - idx[-2]
    return (squash(agency) if agency else None), when, taken


def assemble(lines: list[tuple[str, bool]], headings: list[Heading]) -> dict[str, str]:
    """Stage 4: section texts keyed by section, the tail signature removed from the last one."""
    texts = [line for line, _ in lines]
    _, _, tail = split_tail_signature(texts)
    end_of_body = len(texts) - tail
    parts: dict[str, list[str]] = {}
    bounds = [(h.line_no, h) for h in headings]
    first = bounds[0][0] if bounds else end_of_body
    parts["preamble"] = [t for t in texts[: min(first, end_of_body)] if t.strip()]
    for i, (start, h) in enumerate(bounds):
        stop = bounds[i + 1][0] if i + 1 < len(bounds) else end_of_body
        body = ([h.rest] if h.rest else []) + [
            t for t in texts[start + 1 : min(stop, end_of_body)] if t.strip()
        ]
        parts.setdefault(h.key or "overview", []).extend(body)
    # a heading found whose section holds only a table keeps its key with "" (the section exists)
    return {k: "\n".join(v).strip() for k, v in parts.items() if k != "preamble" or any(x.strip() for x in v)}


def split_sections(doc: Document) -> dict[str, str]:
    """The narrative text of each section found in `doc` (tables excluded); see the module docstring."""
    lines = document_lines(doc)
    headings = pick_top_level(heading_candidates(lines))
    return assemble(lines, headings)
