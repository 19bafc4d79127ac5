"""Raw cell text → (value, flag, unit) (format-spec §9.4 values, §9.5 units).

Why a flag and not just a number: a blank, a dash and a slash do not always mean 0, and researchers must
be able to tell a printed 0 from an empty cell. A parser never invents a number: what it cannot read is
``None`` with flag ``unreadable`` and the raw text kept.

Flags: ``ok``, ``blank``, ``dash``, ``slash``, ``zero_text`` (无), ``text`` (未统计/暂无), ``unit_inline``
(a unit printed in the cell was converted), ``unit_unknown`` (a money amount whose unit nobody printed),
``not_integral`` (3.5 in a count cell: kept, never rounded), ``negative`` (a count below 0),
``unreadable``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from parsers._memo import memoize

KINDS = ("count", "signed", "amount_wan", "amount")

_BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]", re.I)
_SPACES_RE = re.compile(r"[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+")
_DASHES = {"-", "--", "---", "—", "——", "－", "－－", "–", "―", "─", "-—", "ー", "一一"}
_SLASHES = {"/", "\\", "//", "／", "＼"}
_ZERO_TEXT = {"无", "没有", "零"}
_NULL_TEXT = ("未统计", "暂无", "不适用", "无数据", "空", "不涉及", "未涉及")
_NUM = r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]*\.[0-9]+"
_NUMBER_RE = re.compile(
    rf"^(?P<sign>[+-]|增加|减少|增|减)?(?P<num>{_NUM})(?P<unit>万元|万|元|件|项|个|条|人次|人|次|篇)?$"
)
_DASH_RUN_RE = re.compile(r"[-—－–―─]+")
_GROUPED_SPACE_RE = re.compile(r"^[0-9]{1,3}(?: [0-9]{3})+$")


@dataclass(frozen=True, slots=True)
class CellValue:
    """A normalised cell. ``note`` records what was tolerated (an artefact stripped, a unit converted)."""

    value: int | float | None
    flag: str
    unit: str | None
    raw: str
    note: str | None = None


def _number(text: str) -> int | float:
    n = float(text.replace(",", ""))
    return int(n) if n.is_integer() and "." not in text else n


# Memoised: a pure function of its (string) arguments returning a frozen `CellValue`, and the table
# stages ask about the same cell texts many times (row classification, label splitting, mapping).
@memoize()
def parse_value(raw: str | None, *, kind: str = "count", unit: str | None = "件") -> CellValue:
    """Normalise one cell's raw text.

    `kind` is the column's value kind from `parsers.schema` (``count``: integral ≥ 0; ``signed``: the
    2019 本年增/减 column, where +5 / -8 / 增加5 / 减少3 are signed numbers; ``amount_wan``: money whose
    column says 万元; ``amount``: money whose unit the template does not print — a plain number keeps
    ``unit=None`` and flag ``unit_unknown``). `unit` is the column's default unit.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown value kind {kind!r}; expected one of {', '.join(KINDS)}")
    raw = raw if raw is not None else ""
    note = None
    text = unicodedata.normalize("NFKC", raw)
    if _BOOKMARK_RE.search(text):
        note = "artefact stripped: " + ", ".join(_BOOKMARK_RE.findall(text))
        text = _BOOKMARK_RE.sub("", text)
    text = text.strip().replace("&nbsp;", "").strip()
    if _GROUPED_SPACE_RE.match(text):
        text = text.replace(" ", ",")
    text = _SPACES_RE.sub("", text)
    if not text:
        return CellValue(None, "blank", unit, raw, note)
    if text in _DASHES or _DASH_RUN_RE.fullmatch(text):
        return CellValue(None, "dash", unit, raw, note)
    if text in _SLASHES:
        return CellValue(None, "slash", unit, raw, note)
    if text in _ZERO_TEXT:
        return CellValue(0, "zero_text", unit, raw, note)
    if any(t in text for t in _NULL_TEXT):
        return CellValue(None, "text", unit, raw, note)
    m = _NUMBER_RE.match(text)
    if not m:
        return CellValue(None, "unreadable", unit, raw, note)
    value: int | float = _number(m.group("num"))
    sign = m.group("sign")
    if sign in ("-", "减少", "减"):
        value = -value
    inline = m.group("unit")
    flag = "ok"
    out_unit = unit
    if kind in ("amount_wan", "amount"):
        out_unit = "万元"
        if inline == "元":
            value = round(value / 10000, 6)
            flag, note = "unit_inline", _join(note, f"{m.group('num')}元 converted to 万元")
        elif inline in ("万元", "万"):
            flag = "unit_inline"
        elif kind == "amount":
            out_unit, flag = None, "unit_unknown"
        if isinstance(value, float) and value.is_integer() and "." not in m.group("num"):
            value = int(value)
        if value < 0:
            flag = "negative"
        return CellValue(value, flag, out_unit, raw, note)
    if inline in ("万元", "万", "元"):
        # money in a count column: keep the number, show the doubt
        return CellValue(value, "unit_inline", inline, raw, _join(note, "money unit in a count cell"))
    if isinstance(value, float):
        return CellValue(value, "not_integral", unit, raw, _join(note, "count cell is not integral"))
    if kind == "count":
        if sign in ("增加", "增", "减少", "减", "+"):
            flag = "unreadable" if sign not in ("+",) else "ok"
            if flag == "unreadable":
                return CellValue(None, flag, unit, raw, note)
        if value < 0:
            flag = "negative"
    return CellValue(value, flag, out_unit, raw, note)


def _join(a: str | None, b: str) -> str:
    return f"{a}; {b}" if a else b


@memoize()
def is_value_text(raw: str | None) -> bool:
    """True when a cell reads as a value (number, blank-like marker or zero text), not as a label."""
    v = parse_value(raw, kind="signed")
    return v.flag != "unreadable" and v.flag != "text"


@memoize()
def is_number_text(raw: str | None) -> bool:
    """True when the cell holds a number (possibly with an inline unit), as opposed to a blank or marker."""
    v = parse_value(raw, kind="signed")
    return v.value is not None and v.flag in ("ok", "unit_inline", "not_integral", "negative", "zero_text")
