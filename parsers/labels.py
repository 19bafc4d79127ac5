"""Label normalisation and fragment matching (format-spec §9.3).

Why: the same template label reaches us as ``（三）\\n不予\\n公开``, ``(三)不予公开``, ``商业<br>企业``
or with a province's parenthetical guidance appended. Labels and the vocabulary in `parsers.schema`
are both passed through `normalize()` and compared on distinctive fragments, never as raw strings.
Words that occur in several places (其他, 总计) are disambiguated by the caller with **parent
context**: `match_row()` takes the group labels seen on the same row or above it (the row-span parent).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parsers._memo import memoize
from parsers.schema import T2_ROWS, T3_GROUPS, T3_ROWS, T4_GROUPS, GroupSpec, RowSpec

# whitespace the NFKC pass leaves behind or that Word/HTML exports carry inside labels
_SPACE_RE = re.compile(r"[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+")
_QUOTES_RE = re.compile(r"[\"'“”‘’「」『』〝〞]")
_LONG_PUNCT_RE = re.compile(r"[、,，;；:：。.·•]")
_BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]", re.I)
_ORDINAL_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+、|\(?[一二三四五六七八九十]+\)|[0-9]+[.、．](?![0-9])|\([0-9]+\))"
)
_TRAILING_PAREN_RE = re.compile(r"\([^()]*\)$")

# Traditional→simplified, only for characters seen in mirrored template labels (format-spec §9.1);
# applied as a fallback when the plain label matched nothing.
_T2S = str.maketrans(
    "規範檔許處罰強製業費計總結轉審維護請證據當訴議際開資訊類於與機關屬務護過執詢掌現補應達雜條統數項義",
    "规范档许处罚强制业费计总结转审维护请证据当诉议际开资讯类于与机关属务护过执询掌现补应达杂条统数项义",
)
_T2S_WORDS = (("檔案", "文件"), ("资讯", "信息"))

# `clean`, `compact` and `normalize` are pure functions of a string and are called with the same few
# hundred labels and schema fragments for every cell of every table: memoised (`parsers._memo`).
# `Label` is frozen, so sharing one instance is safe.


@memoize()
def clean(text: str) -> str:
    """NFKC, then drop whitespace (incl. \\u3000, NBSP, zero-width), quotes and Word bookmark artefacts."""
    t = unicodedata.normalize("NFKC", text or "")
    t = _BOOKMARK_RE.sub("", t)
    t = _SPACE_RE.sub("", t)
    return _QUOTES_RE.sub("", t)


def to_simplified(text: str) -> str:
    """Fallback conversion of the few traditional label words mirrors produce (規範性檔案 → 规范性文件)."""
    for trad, simp in _T2S_WORDS:
        text = text.replace(trad, simp)
    t = text.translate(_T2S)
    for trad, simp in _T2S_WORDS:
        t = t.replace(trad, simp)
    return t


@dataclass(frozen=True, slots=True)
class Label:
    """A normalised label.

    ``text``: cleaned (§9.3 steps 1–3 except punctuation); ``ordinal``: the leading ordinal that was
    stripped (kept to check order), e.g. ``(三)`` or ``1.``; ``core``: text without the ordinal;
    ``base``: core without trailing parenthetical annotations (step 5); ``compact``: core without the
    separators 、，,:; — used for containment on long labels.
    """

    raw: str
    text: str
    ordinal: str | None
    core: str
    base: str
    compact: str

    def contains(self, fragment: str) -> bool:
        f = compact(fragment)
        return bool(f) and (f in self.compact or f in self.base)


@memoize()
def compact(text: str) -> str:
    return _LONG_PUNCT_RE.sub("", clean(text))


@memoize()
def normalize(raw: str) -> Label:
    """Normalise a printed label (format-spec §9.3 steps 1–5)."""
    text = clean(raw)
    ordinal = None
    core = text
    # a group label and its child may share a cell after text extraction: strip one ordinal at a time
    m = _ORDINAL_RE.match(core)
    if m:
        ordinal = m.group(0)
        core = core[m.end() :]
    base = core
    while True:
        stripped = _TRAILING_PAREN_RE.sub("", base)
        if stripped == base or not stripped:
            break
        base = stripped
    return Label(
        raw=raw, text=text, ordinal=ordinal, core=core, base=base, compact=_LONG_PUNCT_RE.sub("", core)
    )


def compact_all(fragments: Sequence[str]) -> tuple[str, ...]:
    """`compact` of each fragment; a vocabulary tuple (the schema's, the table stage's) is compacted once."""
    if isinstance(fragments, tuple):
        return _compact_tuple(fragments)
    return tuple(map(compact, fragments))


@memoize(maxsize=4096, max_chars=None)
def _compact_tuple(fragments: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(map(compact, fragments))


def _fragment_hits(label: Label, fragments: Sequence[str], exact: bool) -> int:
    """Length of the longest fragment the label matches (0 = none). Exact specs (其他, 总计) must equal
    the label's base so that 其他 never matches 其他法律行政法规禁止公开."""
    frags = fragments if isinstance(fragments, tuple) else tuple(fragments)
    return _hits(label.compact, label.base, frags, exact)


# Memoised on what the answer depends on: `match_row` tries every spec of a table on every row label,
# and a template's labels recur in every report.
@memoize(maxsize=1 << 16, max_chars=None)
def _hits(label_compact: str, label_base: str, fragments: tuple[str, ...], exact: bool) -> int:
    best = 0
    for frag in fragments:
        f = compact(frag)
        if not f:
            continue
        if exact:
            if _LONG_PUNCT_RE.sub("", label_base) == f:
                best = max(best, len(f))
        else:  # `Label.contains(f)`
            ff = compact(f)
            if ff and (ff in label_compact or ff in label_base):
                best = max(best, len(f))
    return best


# the schema's group vocabularies by identity (as `_SCHEMA_ROWS` below): matches against them are memoised
_SCHEMA_GROUPS: dict[int, tuple[GroupSpec, ...]] = {id(groups): groups for groups in (T3_GROUPS, T4_GROUPS)}


def match_group(raw: str | Label, groups: Iterable[GroupSpec]) -> GroupSpec | None:
    """The group whose fragment the label contains (longest fragment wins)."""
    if isinstance(raw, str) and _SCHEMA_GROUPS.get(id(groups)) is groups:
        return _match_schema_groups(raw, id(groups))
    return _match_group(raw, groups)


@memoize(maxsize=1 << 14)
def _match_schema_groups(raw: str, groups_id: int) -> GroupSpec | None:
    return _match_group(raw, _SCHEMA_GROUPS[groups_id])


def _match_group(raw: str | Label, groups: Iterable[GroupSpec]) -> GroupSpec | None:
    label = raw if isinstance(raw, Label) else normalize(raw)
    best: tuple[int, GroupSpec | None] = (0, None)
    for g in groups:
        n = _fragment_hits(label, g.fragments, False)
        if n > best[0]:
            best = (n, g)
    return best[1]


@dataclass(frozen=True, slots=True)
class RowMatch:
    """Result of matching a row label: the spec, and how sure we are (``strong`` / ``weak``)."""

    spec: RowSpec
    strength: str
    via: str


# The schema's own row vocabularies (what every caller passes), by identity: a match against one of them
# is memoised on (label, vocabulary, era, parents), since a template's labels recur in every report.
_SCHEMA_ROWS: dict[int, tuple[RowSpec, ...]] = {id(rows): rows for rows in (T2_ROWS, T3_ROWS)}


def match_row(
    raw: str | Label,
    rows: Iterable[RowSpec],
    *,
    era: str | None = None,
    parents: Sequence[str] = (),
) -> RowMatch | None:
    """Match a row label against row specs, using parent context.

    `parents` are the group keys in force for this row (its row-span parent or the group label on the
    same row). A spec with a `parent` outside that context still matches when its fragment is
    distinctive, but an *exact* spec (其他, 总计) needs its parent — 3.其他 is a row of （六）only.
    Specs of another era are tried last and reported ``weak``. If nothing matches, the label is retried
    after traditional→simplified conversion (also ``weak``).
    """
    if isinstance(raw, str) and _SCHEMA_ROWS.get(id(rows)) is rows:
        return _match_schema_rows(raw, id(rows), era, tuple(parents))
    return _match_row(raw, rows, era=era, parents=parents)


@memoize(maxsize=1 << 14)
def _match_schema_rows(raw: str, rows_id: int, era: str | None, parents: tuple[str, ...]) -> RowMatch | None:
    return _match_row(raw, _SCHEMA_ROWS[rows_id], era=era, parents=parents)


def _match_row(
    raw: str | Label, rows: Iterable[RowSpec], *, era: str | None, parents: Sequence[str]
) -> RowMatch | None:
    label = raw if isinstance(raw, Label) else normalize(raw)
    specs = list(rows)

    def best_of(lab: Label, pool: list[RowSpec]) -> tuple[int, RowSpec | None]:
        best: tuple[int, RowSpec | None] = (0, None)
        for spec in pool:
            if spec.exact and spec.parent not in (None, "results") and spec.parent not in parents:
                continue
            n = _fragment_hits(lab, spec.fragments, spec.exact)
            # prefer the spec whose parent is in context when two match equally
            if n and spec.parent in parents:
                n += 0.5
            if n > best[0]:
                best = (n, spec)
        return best

    in_era = [s for s in specs if era is None or era in s.eras]
    _, spec = best_of(label, in_era)
    if spec is not None:
        return RowMatch(spec, "strong", "fragment")
    # an exact word (其他) whose parent label was lost: unique within the era's rows, but only weak
    for s in in_era:
        if s.exact and _fragment_hits(label, s.fragments, True):
            return RowMatch(s, "weak", "exact_without_parent")
    other = [s for s in specs if s not in in_era]
    _, spec = best_of(label, other)
    if spec is not None:
        return RowMatch(spec, "weak", "other_era")
    simp = to_simplified(label.raw)
    if simp != label.raw:
        lab2 = normalize(simp)
        _, spec = best_of(lab2, specs)
        if spec is not None:
            return RowMatch(spec, "weak", "traditional")
    return None


def slug(text: str, max_len: int = 24) -> str:
    """A stable key fragment for an unknown row (``active.ext.<slug>``): the normalised base label."""
    lab = normalize(text)
    s = _LONG_PUNCT_RE.sub("", lab.base or lab.core or lab.text)
    s = re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]+", "_", s).strip("_")
    return s[:max_len] or "row"
