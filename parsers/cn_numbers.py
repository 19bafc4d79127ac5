"""Chinese numerals, dates and the text normalisation shared by meta, sections and checks.

Why a small hand-written module instead of a library: reports only use two numeral forms that matter to us —
digit-by-digit years (二〇二三年, 二零二三年) and small positional numbers for months, days and counts
(十二月,
二十四日, 一百零五件) — and the PyPI converters (cn2an, chinese2digits) bring their own dependency trees
for far
more than this. Anything outside that grammar returns ``None`` instead of a guess (a parser never invents a
number).

Traditional→simplified conversion uses OpenCC and is a *fallback* only (format-spec §9.1 "Mirrors"): it can
change real simplified names (e.g. 乾县), so callers try the text as it is first.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from parsers._memo import memoize

DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000}
WAN = {"万": 10_000, "亿": 100_000_000}

# whitespace incl. ideographic space, NBSP and the zero-width characters Word and CMS exports leave behind
_WS_RE = re.compile(r"[\s\u00a0\u3000\u200b-\u200f\u2028\u2029\ufeff]+")
_CN_DIGIT_CHARS = "〇○零一二三四五六七八九"
_CN_NUM_CHARS = _CN_DIGIT_CHARS + "两十百千"
_CN_DATE_RE = re.compile(
    rf"(?P<y>[{_CN_DIGIT_CHARS}]{{4}})\s*年\s*(?P<m>[{_CN_NUM_CHARS}]{{1,3}})\s*月"
    rf"(?:\s*(?P<d>[{_CN_NUM_CHARS}]{{1,3}})\s*[日号])?"
)
# a year-less Chinese-numeral month and day, as in "…起至十二月三十一日止"
_CN_MONTH_DAY_RE = re.compile(
    rf"(?<![{_CN_NUM_CHARS}\d])(?P<m>[{_CN_NUM_CHARS}]{{1,3}})\s*月\s*(?P<d>[{_CN_NUM_CHARS}]{{1,3}})\s*[日号]"
)
_DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*(?:月|[-/.])\s*(?P<d>\d{1,2})(?!\d)\s*[日号]?"
)


def nfkc(text: str) -> str:
    """NFKC (full-width digits/letters/punctuation → ASCII, （）→()), as format-spec §9.3 step 1."""
    return unicodedata.normalize("NFKC", text)


@memoize()  # labels, headings and clauses are squashed again and again by meta, sections and checks
def squash(text: str) -> str:
    """NFKC plus removal of every kind of whitespace: the form labels, titles and sentences are matched in.

    PDF text layers put spaces between digits and CJK ("2023 年") and wrap sentences mid-word, so regexes are
    written against the squashed form, never against raw text.
    """
    return _WS_RE.sub("", nfkc(text))


def collapse_ws(text: str) -> str:
    """NFKC with every whitespace run turned into one space (keeps "2024-01-16 10:30" apart)."""
    return _WS_RE.sub(" ", nfkc(text)).strip()


def cn_to_int(text: str) -> int | None:
    """Parse a Chinese numeral: positional (二十四, 一百零五, 三万二千) or digit-by-digit (二〇二三).

    Returns None for anything that is not a well-formed numeral, so a caller never gets a half-parsed guess.
    Arabic digits are accepted too (after NFKC), so mixed callers need not care which form was printed.
    """
    s = squash(text)
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if any(ch not in DIGITS and ch not in UNITS and ch not in WAN for ch in s):
        return None
    if all(ch in DIGITS for ch in s):  # digit-by-digit: 二〇二三, or a single digit
        if len(s) > 1 and "两" in s:
            return None
        return int("".join(str(DIGITS[ch]) for ch in s))
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in DIGITS:
            if digit is not None and DIGITS[ch] != 0:  # two digits in a row without a unit: malformed
                return None
            digit = DIGITS[ch] if DIGITS[ch] != 0 else None
        elif ch in UNITS:
            section += (1 if digit is None else digit) * UNITS[ch]
            digit = None
        else:  # 万 / 亿
            section += digit or 0
            if section == 0:
                return None
            total += section * WAN[ch]
            section, digit = 0, None
    return total + section + (digit or 0)


def cn_dates_to_arabic(text: str) -> str:
    """Rewrite dates written in Chinese numerals (二〇二三年一月四日) as 2023年1月4日, leaving all else
    alone."""

    def repl(m: re.Match[str]) -> str:
        y, mo = cn_to_int(m["y"]), cn_to_int(m["m"])
        d = cn_to_int(m["d"]) if m["d"] else None
        if y is None or mo is None or (m["d"] and d is None):
            return m[0]
        return f"{y}年{mo}月{d}日" if d is not None else f"{y}年{mo}月"

    def repl_md(m: re.Match[str]) -> str:  # "至十二月三十一日" after a full date
        mo, d = cn_to_int(m["m"]), cn_to_int(m["d"])
        return f"{mo}月{d}日" if mo and d and mo <= 12 and d <= 31 else m[0]

    return _CN_MONTH_DAY_RE.sub(repl_md, _CN_DATE_RE.sub(repl, text))


def find_dates(text: str) -> list[tuple[date, int, int]]:
    """Every valid calendar date in `text` as (date, start, end) over the squashed, Arabic-numeral form.

    Accepts 2023年1月4日, 2023-01-04, 2023/1/4, 2023.01.04 and Chinese-numeral dates. Impossible dates
    (2023年2月30日) are skipped rather than corrected. Offsets refer to
    ``collapse_ws(cn_dates_to_arabic(text))``.
    """
    s = collapse_ws(cn_dates_to_arabic(text))
    out: list[tuple[date, int, int]] = []
    for m in _DATE_RE.finditer(s):
        try:
            out.append((date(int(m["y"]), int(m["m"]), int(m["d"])), m.start(), m.end()))
        except ValueError:
            continue
    return out


def parse_date(text: str) -> date | None:
    """The first valid date in `text` (see `find_dates`), or None."""
    found = find_dates(text)
    return found[0][0] if found else None


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # imported lazily: only traditional-script pages need it

    return opencc.OpenCC("t2s")


@memoize()  # every title candidate of every report is tried in both scripts
def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC ``t2s``). A fallback only; see the module docstring."""
    return _t2s().convert(text)
