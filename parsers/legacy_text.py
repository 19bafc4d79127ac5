"""Figures from the prose of pre-2014 reports (format-spec §8.1, §8.4 last bullet): legacy_2008.

Why a pattern table: before the 2014 national 统计表 most reports put their numbers only in sentences
(全年共受理申请35件，其中当面申请12件…; 主动公开政府信息一百零五条; 未收到政府信息公开申请). Each quantity is
one row of `PATTERNS` — a key, the words that announce it, the units it may carry — and one function reads
them all, so a new phrasing is a data change.

Keys. Where the §8.2 vocabulary has a key for the quantity, the figure goes there (``legacy.apps.received.
total``, ``legacy.review.total`` …); the two extra 收到申请 channels §8.3 names (电子邮件, 其他形式) are
``legacy.apps.received.email`` / ``.other`` so that L14-RECEIVED sums them. Quantities the §8.2 form has no
row for (Shanghai-style 咨询 counts) go under ``legacy.text.<slug>`` with their label.

Every figure is a cell with flag ``text`` (lower confidence than a table, format-spec §8.4), ``raw`` = the
sentence it came from, and ``src = {"paragraph": i, "span": [start, end], "text_src": <carrier src>}`` —
`i` indexes `Document.paragraphs`, the span is in that paragraph's printed text. A negative statement
(未收到政府信息公开申请, 没有发生行政复议, 未收取费用) or a printed 无 gives 0, flag ``text`` too.

Conflicts: patterns are tried from specific to general and a number span is used by one key only (同意部分
公开5件 is never also 同意公开); the first statement of a key wins, later different ones go to ``note``.
Traditional-script mirrors (corpus 053, 070) are matched on their OpenCC simplified form when the
conversion keeps the length, so spans still point into the printed text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from parsers.cn_numbers import cn_to_int, to_simplified
from parsers.document import Document

_CN = "零〇一二两三四五六七八九十百千万"
_NUM = rf"(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?|[{_CN}]+)"
_UNIT = r"(?P<unit>万元|元|人次|件|条|次|个|人|篇|项|期)"
# between the announcing words and the number: 共计, 为, 的有, a colon — never a clause break or a digit
_GAP = rf"(?:[^。；;，,、\d{_CN}]{{0,6}}?)"
_NONE = r"(?P<none>无|没有)(?=[。；;，,、)]|$)"
_NEG = r"(?:未|没有|无|尚未|均未|不存在)"
_SENTENCE_END = "。；;！!？?\n"


@dataclass(frozen=True, slots=True)
class Pattern:
    """One quantity: its key, the words before the number, and the units it may be counted in."""

    key: str
    words: str  # regex of the announcing words
    units: tuple[str, ...] = ("件",)
    label: str = ""  # printed label for ``legacy.text.*`` keys
    before: bool = False  # number printed before the noun: 受理35件申请


# specific before general: a number used by an earlier pattern is not used again
PATTERNS: tuple[Pattern, ...] = (
    Pattern("legacy.apps.received.in_person", r"(?:当面|现场)(?:提出|方式|递交)?(?:的)?申请"),
    Pattern("legacy.apps.received.fax", r"传真(?:方式)?(?:的)?申请"),
    Pattern("legacy.apps.received.email", r"电子邮件(?:方式)?(?:的)?申请"),
    Pattern("legacy.apps.received.online", r"(?:网络|网上|互联网|在线)(?:方式|提交|提出)?(?:的)?申请"),
    Pattern("legacy.apps.received.letter", r"(?:信函|邮寄|来信)(?:方式)?(?:的)?申请"),
    Pattern("legacy.apps.received.other", r"其他(?:形式|方式)(?:的)?申请"),
    Pattern("legacy.apps.closed.on_time", r"(?:按时|按期)办结"),
    Pattern("legacy.apps.closed.extended", r"延期(?:办结|答复)"),
    Pattern("legacy.apps.replied.partial", r"(?:同意)?部分公开(?:答复)?"),
    Pattern("legacy.apps.replied.refused", r"(?:不同意公开|不予公开)(?:答复)?"),
    Pattern("legacy.apps.replied.granted", r"(?<!不)(?<!部分)(?:同意|予以)(?:全部)?公开(?:答复)?"),
    Pattern("legacy.apps.replied.already_public", r"属于(?:已)?主动公开(?:范围)?(?:的)?"),
    Pattern(
        "legacy.apps.replied.not_this_agency",
        r"(?:不属于|非)本(?:行政)?(?:机关|部门|单位)(?:公开|掌握)?(?:范围)?(?:的)?",
    ),
    Pattern("legacy.apps.replied.not_exist", r"(?:申请)?(?:的)?信息不存在(?:的)?"),
    Pattern(
        "legacy.apps.received.total",
        r"(?:受理|收到|接到|接收)(?:了)?(?:各类|公民、法人(?:和|或)其他组织(?:提出的)?)?(?:政府信息公开|信息公开|公开)?申请",
    ),
    Pattern("legacy.apps.received.total", r"(?:受理|收到|接到|接收)(?:了)?(?:各类)?", before=True),
    Pattern("legacy.apps.closed.total", r"(?<!按时)(?<!按期)(?<!延期)办结(?:申请)?"),
    Pattern("legacy.apps.replied.total", r"(?<!公开)答复(?:申请)?"),
    Pattern("legacy.active.normative_issued", r"制发(?:了)?规范性文件"),
    Pattern("legacy.active.total", r"主动公开(?:了)?(?:各类)?(?:政府)?信息", ("条", "件", "项")),
    Pattern("legacy.review.total", r"行政复议(?:案件|申请)?"),
    Pattern("legacy.litigation.total", r"行政诉讼(?:案件)?"),
    Pattern("legacy.complaints.total", r"(?:举报投诉|投诉举报|举报|投诉)(?:案件)?"),
    Pattern("legacy.fees_wan", r"(?:收取|收费)(?:各类)?(?:费用|金额)?", ("元", "万元")),
    Pattern("legacy.org.staff_full", r"(?:全职|专职)(?:工作)?人员", ("人", "名")),
    Pattern("legacy.org.staff_part", r"兼职(?:工作)?人员", ("人", "名")),
    Pattern("legacy.train.meetings", r"召开[^。；，,\d]{0,12}?会议", ("次",)),
    Pattern("legacy.train.courses", r"(?:举办|开展|组织)[^。；，,\d]{0,10}?培训(?:班)?", ("次", "期")),
    Pattern("legacy.text.咨询", r"咨询", ("人次", "次", "件"), label="咨询"),
)

# negative statements → 0 (flag text): key, regex over the normalised text
NEGATIVES: tuple[tuple[str, str], ...] = (
    ("legacy.apps.received.total", rf"{_NEG}(?:收到|接到|受理|接收|发生)[^。；;\d]{{0,30}}?申请"),
    ("legacy.review.total", rf"{_NEG}(?:发生|产生|收到|接到|出现|涉及)?[^。；;\d]{{0,30}}?行政复议"),
    ("legacy.litigation.total", rf"{_NEG}(?:发生|产生|收到|接到|出现|涉及)?[^。；;\d]{{0,40}}?行政诉讼"),
    ("legacy.fees_wan", rf"(?:{_NEG}|不)(?:收取|涉及|产生)[^。；;\d]{{0,25}}?(?:费用|收费)"),
)

def _units(p: Pattern) -> str:
    return "|".join(sorted(p.units, key=len, reverse=True))


_PAT_RES: tuple[tuple[Pattern, re.Pattern[str]], ...] = tuple(
    (
        p,
        re.compile(
            rf"{p.words}{_NUM}(?P<unit>{_units(p)})"
            rf"(?:[^。；;，,、\d]{{0,8}}?申请)"
            if p.before
            else rf"{p.words}{_GAP}(?:{_NUM}(?P<unit>{_units(p)})|{_NONE})"
        ),
    )
    for p in PATTERNS
)
_NEG_RES = tuple((k, re.compile(rx)) for k, rx in NEGATIVES)
_WS = re.compile(r"[\s\u00a0\u3000\u200b-\u200f\ufeff]")


@dataclass(slots=True)
class TextFigure:
    """One figure read from a sentence."""

    key: str
    value: int | float
    unit: str | None
    raw: str  # the sentence as printed
    src: dict[str, Any]
    note: str = ""
    label: str = ""
    also: list[str] = field(default_factory=list)

    def to_cell(self) -> dict[str, Any]:
        cell: dict[str, Any] = {
            "value": self.value,
            "raw": self.raw,
            "flag": "text",
            "unit": self.unit,
            "src": dict(self.src),
        }
        notes = [n for n in (self.note, *self.also) if n]
        if notes:
            cell["note"] = "; ".join(notes)
        if self.label:
            cell["label"] = self.label
        return cell


def _normalised(text: str) -> tuple[str, list[int]]:
    """NFKC, whitespace removed, traditional → simplified when that keeps the length; with the map from
    each normalised character back to its index in `text`."""
    chars: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch):
            if _WS.match(c):
                continue
            chars.append(c)
            idx.append(i)
    s = "".join(chars)
    simp = to_simplified(s)
    if simp != s and len(simp) == len(s):
        s = simp
    return s, idx


def _sentence(text: str, start: int, end: int) -> str:
    lo = max((text.rfind(c, 0, start) for c in _SENTENCE_END), default=-1) + 1
    his = [p for p in (text.find(c, end) for c in _SENTENCE_END) if p >= 0]
    hi = min(his) + 1 if his else len(text)
    return text[lo:hi].strip()


def _value(num: str | None, unit: str | None, key: str) -> tuple[int | float | None, str, str | None]:
    """(value, note, stored unit) of a matched number; None when the numeral is malformed."""
    if num is None:
        return 0, "stated as none", "万元" if key.endswith("_wan") else (unit or "件")
    if num[0].isdigit():
        value: int | float = float(num.replace(",", "")) if "." in num else int(num.replace(",", ""))
        note = ""
    else:
        v = cn_to_int(num)
        if v is None:
            return None, "", unit
        value, note = v, f"Chinese numeral {num}"
    if key.endswith("_wan"):
        if unit == "元":
            value = round(value / 10000, 6)
            note = "; ".join(x for x in (note, f"{num}元 converted to 万元") if x)
        return value, note, "万元"
    return value, note, unit


def extract_figures(doc: Document) -> list[TextFigure]:
    """Every figure `PATTERNS` and `NEGATIVES` find in the document's paragraphs, in reading order."""
    found: dict[str, TextFigure] = {}
    order: list[str] = []
    for p_i, para in enumerate(doc.paragraphs):
        text = para.text or ""
        if not text.strip():
            continue
        s, idx = _normalised(text)
        used: list[tuple[int, int]] = []

        def span(a: int, b: int, idx: list[int] = idx) -> tuple[int, int]:
            return idx[a], idx[b - 1] + 1

        def add(  # defaults bind this paragraph's values
            key: str,
            value: int | float,
            unit: str | None,
            a: int,
            b: int,
            note: str,
            label: str,
            text: str = text,
            p_i: int = p_i,
            para: Any = para,
            span: Any = span,
        ) -> None:
            lo, hi = span(a, b)
            fig = TextFigure(
                key,
                value,
                unit,
                _sentence(text, lo, hi),
                {"paragraph": p_i, "span": [lo, hi], "text_src": dict(para.src)},
                note,
                label,
            )
            if key not in found:
                found[key] = fig
                order.append(key)
            elif found[key].value != value:
                found[key].also.append(f"also stated as {value} in paragraph {p_i}")

        for pat, rx in _PAT_RES:
            for m in rx.finditer(s):
                a, b = (m.start("num"), m.end("unit")) if m.group("num") else (m.start("none"), m.end("none"))
                if any(a < y and x < b for x, y in used):
                    continue
                value, note, unit = _value(m.group("num"), m.group("unit"), pat.key)
                if value is None:
                    continue
                used.append((a, b))
                add(pat.key, value, unit, m.start(), b, note, pat.label)
        for key, rx in _NEG_RES:
            for m in rx.finditer(s):
                add(
                    key,
                    0,
                    "万元" if key.endswith("_wan") else "件",
                    m.start(),
                    m.end(),
                    "negative statement",
                    "",
                )
    return sorted((found[k] for k in order), key=lambda f: (f.src["paragraph"], f.src["span"][0]))


def text_cells(doc: Document, existing: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Cells (flag ``text``) for the figures of `doc` whose key is not already in `existing` (a table
    read wins over prose)."""
    existing = existing or {}
    return {f.key: f.to_cell() for f in extract_figures(doc) if f.key not in existing}


def text_labels(cells: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The printed labels of the ``legacy.text.*`` keys among `cells` (for `ParseResult.labels`)."""
    return {k: str(v.get("label") or k) for k, v in cells.items() if k.startswith("legacy.text.")}
