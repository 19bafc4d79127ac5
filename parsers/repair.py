"""Split and glued digits: re-segment a damaged row only when the table's identities allow one reading.

Why: a PDF text layer can read ``1 2`` for 12 (a split), or run a row's figures together — ``713000074``
for 7 | 13 | 0 | 0 | 0 | 0 | 74 (a glue), sometimes as one cell spanning the value columns. Read as
printed, such a row gives wrong numbers or none. The digits are all there, only the boundaries are
lost, and a statistics table carries enough identities (format-spec §7: T3-ROWSUM, T3-BAL, T3-SUM7,
T4 totals, the §8.3 legacy sums) to decide where they go — but only if exactly one reading satisfies
every identity. Anything else is a guess, and a guess is never written as a number.

Where it hooks in (`parsers.report`, stage 6c, after mapping and derive, before the checks). A row is a
**suspect** only when its own text shows digit damage — never because a rule fails on clean cells:

- *dropped* — table 三 rows whose label names a row but whose count of value cells is not the table's
  (mapping could not place them, so their keys are absent): a glue gives fewer cells, a split more;
- *spanned* — one printed number copied over several value columns by a colspan (a glued run in a
  merged PDF cell: mapping gave every column the same figure);
- *spaced* or *glued-with-blanks* — a value cell with digits separated by spaces (``1 2``), or a long
  number next to empty value cells, **and** a rule over the row's keys fails as read.

A row that printed k cells too many and shows no glue (no blank beside a multi-digit figure) is a
split: its other boundaries were printed and are kept, so it is first searched only over the readings
that re-join k pairs of adjacent cells (``1`` | ``2`` → 12; C(15, 1) readings for a split 15-number
row instead of C(29, 14)). Exactly one that holds → repaired (evidence ``search: joins``); several → a
tie, flagged; none → the split was not the whole damage and the full search below runs.

Otherwise the row's digit runs (consecutive digit tokens, across cells and spaces; a dash, slash or 无
is a hard boundary) are split into exactly the row's number of cells, without leading zeros, in every
way (bounded by `MAX_CANDIDATES`). A reading is kept when every linear rule touching the row that
can be evaluated holds (at least one must). Exactly one such reading → its cells get flag
``repaired_by_constraint`` and ``evidence`` = the original raw text and the identities that now hold.
None or several → the cells keep what was read (absent rows: value null) with flag
``extraction_suspect``. Rows are solved one at a time, each solved row becoming known for the next
round, so two damaged rows of one table can still be repaired when each is pinned by clean rows.

Table 四 (format-spec §5, §7.2): a data row (15 numbers, or 5 / 10 in transposed and split layouts) is
a suspect when it spans, when a spaced or long figure sits beside empty value cells and its identity does
not hold as read (fails, or cannot be assessed for the blanks), with a digit for every cell; or when
mapping dropped it (a cell too many or too few), its keys then taken from its group label or the header
above it. Groups of five that show no damage and hold their identity are kept as read, so one glued
group is searched alone. The search is depth-first and tests each identity as soon as its last cell of
the row is placed (a group's 总计), so a 15-number glue — C(29, 14) segmentations — is pruned group by
group (`MAX_STEPS`); it excludes nothing the full test would keep, so "exactly one" stays exact.

Narrative figures (rule T4-TEXT: 行政复议X件 = review.total, 行政诉讼Y件 = the two litigation totals)
choose among a table 四 row's readings only when its identities leave several: a reading whose totals
contradict a stated figure is dropped, and the statement is named in the evidence (``T4-TEXT[…]`` among
the identities, the clause under ``narrative``). A row the identities pin alone is never moved towards
the text — a report whose narrative disagrees with its table keeps the table's figures and its failing
T4-TEXT. Ties inside one group of five leave its total unchanged, so the text rarely decides them.

Table 二 has no identity (§7.3): a row with a figure under no column (a split) or spaced digits beside an
empty cell is flagged ``extraction_suspect`` as read, never repaired (`t2_doubts`).

A report whose clean cells break a rule (corpus 001's table 四) has no suspect row: its FAIL stays
``source_inconsistent``.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from parsers import schema
from parsers.checks import (
    LENIENT,
    T4_TEXT,
    EvalContext,
    Rule,
    evaluate_rule,
    find_statements,
    linear_rules,
)
from parsers.labels import match_group, match_row
from parsers.tables import GridRow, LogicalTable, TableExtraction, resolve_t4_columns
from parsers.values import is_value_text, parse_value

REPAIRED = "repaired_by_constraint"
SUSPECT = "extraction_suspect"
MAX_CANDIDATES = 50_000  # readings tried per row; a row with more stays extraction_suspect
# partial readings (cells placed so far) the pruned search may visit per row: a glued 15-number table 四
# row has tens of millions of segmentations, but each group of five is cut short by its own total
MAX_STEPS = 400_000
MAX_ROUNDS = 4
# where rule T4-TEXT reads the narrative's 行政复议 / 行政诉讼 totals (`parsers.checks.run_checks`)
T4_TEXT_SECTIONS = ("overview", "review_litigation", "applications")

_BLANKISH = frozenset({"blank", "dash", "slash"})
_DIGITS_RE = re.compile(r"^\d+(?:\s+\d+)*$")
_SPACED_RE = re.compile(r"\d\s+\d")


@dataclass(slots=True)
class Token:
    text: str  # digits, or a marker (— / 无)
    digit: bool
    src: dict[str, Any]


@dataclass(slots=True)
class Suspect:
    """One damaged row: the keys its cells should fill, in column order, and what was printed."""

    table_kind: str
    table_idx: int
    row_idx: int
    keys: list[str]
    tokens: list[Token]
    raws: list[str]
    reason: str
    mapped: bool  # keys present as read (spanned/spaced) or absent (dropped)
    row_src: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Instance:
    rule: Rule
    x: str
    left: list[str]
    right: list[str]

    @property
    def name(self) -> str:
        return f"{self.rule.id}[{self.x}]" if self.x else self.rule.id


# --------------------------------------------------------------------------------------------------
# finding suspects


def _text(c: Any) -> str:
    return unicodedata.normalize("NFKC", c.text or "").strip()


def _value_cells(r: GridRow) -> tuple[list[tuple[int, Any]], bool]:
    """Origin value cells after the row's last label cell, and whether a value was colspan-copied."""
    last = -1
    for i, c in enumerate(r.cells):
        if c.text.strip() and not is_value_text(c.text) and not _DIGITS_RE.match(_text(c)):
            last = i
    out: list[tuple[int, Any]] = []
    spanned = False
    for i, c in enumerate(r.cells[last + 1 :], last + 1):
        if c.span_of is not None and c.span_of[0] == r.row_idx and c.span_of[1] < i:
            if any(ch.isdigit() for ch in c.text):
                spanned = True
            continue
        out.append((i, c))
    return out, spanned


def _tokens(r: GridRow, vals: list[tuple[int, Any]], drop_blanks: bool) -> tuple[list[Token], list[str]]:
    tokens: list[Token] = []
    raws: list[str] = []
    for i, c in vals:
        t = _text(c)
        src = {"table_idx": r.table_idx, "row_idx": r.row_idx, "col_idx": i}
        src.update({k: v for k, v in c.src.items() if k not in src and k != "pad"})
        raws.append(c.text)
        if _DIGITS_RE.match(t):
            tokens += [Token(d, True, src) for d in t.split()]
        elif not t:
            if not drop_blanks:
                tokens.append(Token("", False, src))
        else:
            tokens.append(Token(t, False, src))
    return tokens, raws


def _row_prefix(key: str) -> str:
    return key.rsplit(".", 1)[0]


def _t3_parent(row_key: str) -> str | None:
    spec = next((s for s in schema.T3_ROWS if s.key == row_key), None)
    return spec.parent if spec is not None and spec.parent not in (None, "results") else None


def find_suspects(
    ex: TableExtraction,
    cells: Mapping[str, Mapping[str, Any]],
    failing: set[str],
    passing: set[str] | None = None,
) -> list[Suspect]:
    """Rows whose own text shows split or glued digits (see the module docstring).

    `passing` (keys of identities that hold as read) lets a table 四 glue be a suspect when its identity
    is merely not assessable: a row read as one long figure and blanks has nothing to fail against."""
    by_row: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for k, c in cells.items():
        src = c.get("src") or {}
        if c.get("flag") == "derived" or ".ext." in k or "row_idx" not in src:
            continue
        by_row.setdefault((src.get("table_idx", -1), src["row_idx"]), []).append((src.get("col_idx", 0), k))
    out: list[Suspect] = []
    for t in ex.tables:
        if t.kind not in ("t3", "t4", "legacy"):
            continue
        out += _table_suspects(t, cells, by_row, failing, passing or set())
    return out


def _t3_columns(t: LogicalTable, by_row: Mapping[tuple[int, int], list[tuple[int, str]]]) -> list[str]:
    seqs = Counter(
        tuple(k.rsplit(".", 1)[1] for _, k in sorted(by_row[(r.table_idx, r.row_idx)]))
        for r in t.rows
        if (r.table_idx, r.row_idx) in by_row
    )
    return list(seqs.most_common(1)[0][0]) if seqs else []


def _table_suspects(
    t: LogicalTable,
    cells: Mapping[str, Mapping[str, Any]],
    by_row: Mapping[tuple[int, int], list[tuple[int, str]]],
    failing: set[str],
    passing: set[str],
) -> list[Suspect]:
    out: list[Suspect] = []
    cols = _t3_columns(t, by_row) if t.kind == "t3" else []
    group: str | None = None
    header_rows: list[GridRow] = []  # table 四: the label rows above the current data row
    after_data = False
    for r in t.rows:
        vals, spanned = _value_cells(r)
        texts = [_text(c) for _, c in vals]
        if not any(ch.isdigit() for tx in texts for ch in tx):
            if after_data:
                header_rows, after_data = [], False
            header_rows.append(r)
            continue
        after_data = True
        mapped = sorted(by_row.get((r.table_idx, r.row_idx), []))
        keys = [k for _, k in mapped]
        if t.kind == "t4":
            out += _t4_suspect(t, r, vals, spanned, mapped, cells, header_rows, failing, passing)
            continue
        if t.kind == "t3" and keys:
            group = _t3_parent(_row_prefix(keys[0]).removeprefix("applications.")) or group
        if keys:
            spaced = any(_SPACED_RE.search(tx) for tx in texts)
            blanks = sum(1 for tx in texts if not tx)
            long_glue = blanks > 0 and any(len(re.sub(r"\D", "", tx)) > 1 for tx in texts)
            fails_here = bool(failing & set(keys))
            if spanned or ((spaced or long_glue) and fails_here):
                why = "spanned" if spanned else ("spaced" if spaced else "glued-with-blanks")
                tokens, raws = _tokens(r, vals, drop_blanks=spanned or long_glue)
                out.append(Suspect(t.kind, r.table_idx, r.row_idx, keys, tokens, raws, why, True))
            continue
        if t.kind != "t3" or not cols:
            continue
        row_key = _t3_row_key(r, t.era, group)
        if row_key is None:
            continue
        group = _t3_parent(row_key) or group
        want = [f"applications.{row_key}.{c}" for c in cols]
        if any(k in cells for k in want):
            continue
        tokens, raws = _tokens(r, vals, drop_blanks=True)
        src = {"table_idx": r.table_idx, "row_idx": r.row_idx}
        out.append(Suspect("t3", r.table_idx, r.row_idx, want, tokens, raws, "dropped", False, src))
    return out


def _t4_suspect(
    t: LogicalTable,
    r: GridRow,
    vals: list[tuple[int, Any]],
    spanned: bool,
    mapped: list[tuple[int, str]],
    cells: Mapping[str, Mapping[str, Any]],
    header_rows: list[GridRow],
    failing: set[str],
    passing: set[str],
) -> list[Suspect]:
    """Table 四 data row with digit damage in its own text: its suspects (none, one, or one per span
    of damaged groups).

    Mapped rows: a figure spanning several columns, or a spaced / long figure beside empty value cells
    whose identity does not hold as read (fails, or cannot be assessed for the blanks) — with at least
    one digit for every cell, so a row that merely leaves cells blank is never a suspect. Unmapped rows
    (mapping found more or fewer values than the header has columns): the keys the header gives them,
    when none of those keys was read elsewhere."""
    texts = [_text(c) for _, c in vals]
    n_digits = sum(len(re.sub(r"\D", "", tx)) for tx in texts)
    keys = [k for _, k in mapped]
    if keys:
        if spanned:
            tokens, raws = _tokens(r, vals, drop_blanks=True)
            return [Suspect("t4", r.table_idx, r.row_idx, keys, tokens, raws, "spanned", True)]
        spaced = any(_SPACED_RE.search(tx) for tx in texts)
        blanks = sum(1 for tx in texts if not tx)
        long_glue = blanks > 0 and any(len(re.sub(r"\D", "", tx)) > 1 for tx in texts)
        unsettled = bool(failing & set(keys)) or not set(keys) <= passing
        if (spaced or long_glue) and unsettled and n_digits + _markers(texts) >= len(keys):
            why = "spaced" if spaced and not long_glue else "glued-with-blanks"
            return [
                Suspect("t4", r.table_idx, r.row_idx, ks, *_tokens(r, vs, drop_blanks=long_glue), why, True)
                for ks, vs in _t4_damaged_spans(r, vals, mapped, failing, passing)
            ]
        return []
    want = _t4_row_keys(t, r, vals, header_rows, cells)
    if not want:
        return []
    tokens, raws = _tokens(r, vals, drop_blanks=True)
    src = {"table_idx": r.table_idx, "row_idx": r.row_idx}
    return [Suspect("t4", r.table_idx, r.row_idx, want, tokens, raws, "dropped", False, src)]


def _t4_damaged_spans(
    r: GridRow,
    vals: list[tuple[int, Any]],
    mapped: list[tuple[int, str]],
    failing: set[str],
    passing: set[str],
) -> list[tuple[list[str], list[tuple[int, Any]]]]:
    """The row's keys and value cells cut into spans of damaged groups of five, clean groups left out.

    Why: one group glued into its first cell (``2760126159`` | | | |) leaves the other groups of a
    15-number row printed cell by cell; they hold their identity as read and show no damage, so they are
    kept as read (not re-segmented, not flagged), and the glued digits — which keep their cells' places —
    are searched only over their own group's cells. A span is a maximal run of adjacent damaged groups,
    so a glue that crosses a group boundary is still searched as one."""
    by_col = dict(mapped)
    texts = {i: _text(c) for i, c in vals}
    groups: list[list[tuple[int, str]]] = []
    for ci, k in mapped:
        if groups and _row_prefix(groups[-1][-1][1]) == _row_prefix(k):
            groups[-1].append((ci, k))
        else:
            groups.append([(ci, k)])

    def clean(g: list[tuple[int, str]]) -> bool:
        ks = {k for _, k in g}
        figures = all(_DIGITS_RE.match(texts.get(ci, "")) and " " not in texts[ci] for ci, _ in g)
        return bool(figures) and ks <= passing and not ks & failing

    spans: list[list[list[tuple[int, str]]]] = []
    prev_clean = True
    for g in groups:
        if clean(g):
            prev_clean = True
            continue
        if prev_clean:
            spans.append([])
        spans[-1].append(g)
        prev_clean = False
    out: list[tuple[list[str], list[tuple[int, Any]]]] = []
    for span in spans:
        members = [m for g in span for m in g]
        lo, hi = members[0][0], members[-1][0]
        # its value cells: everything between the clean groups either side (keys outside a span are clean)
        prev = max((ci for ci in by_col if ci < lo), default=None)
        nxt = min((ci for ci in by_col if ci > hi), default=None)
        span_vals = [(i, c) for i, c in vals if (prev is None or i > prev) and (nxt is None or i < nxt)]
        out.append(([k for _, k in members], span_vals))
    return out


def _markers(texts: list[str]) -> int:
    return sum(1 for tx in texts if tx and not any(ch.isdigit() for ch in tx))


def _t4_row_keys(
    t: LogicalTable,
    r: GridRow,
    vals: list[tuple[int, Any]],
    header_rows: list[GridRow],
    cells: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """The table 四 keys an unmapped data row should fill: its group label's five (transposed layout, in
    the template's column order, which every variant prints), else what the header above it names for
    15, 10 or 5 cells (printed order first, the template's only for a full row of 15). Keys already read
    elsewhere disqualify a reading: the row would otherwise overwrite a clean cell."""
    first = vals[0][0] if vals else len(r.cells)
    labels = [c.text for c in r.cells[:first] if c.text.strip()]
    groups = [g.key for tx in labels if (g := match_group(tx, schema.T4_GROUPS)) is not None]
    options: list[list[str]] = []
    if groups:
        options.append([f"{groups[-1]}.{c.key}" for c in schema.T4_COLS])
    else:
        resolved = [(n, *resolve_t4_columns(header_rows, n, -1, t.caption)) for n in (15, 10, 5)]
        options += [ks for _, ks, how in resolved if ks and how not in ("template", "unresolved")]
        options += [ks for n, ks, how in resolved if ks and how == "template" and n == 15]
    for ks in options:
        if not any(k in cells for k in ks):
            return ks
    return []


def t2_doubts(ex: TableExtraction, cells: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Table 二 keys whose row shows digit damage: {key: why}. Table 二 has no identity to re-segment by
    (format-spec §7.3), so such a row is never repaired — only kept from reading as clean.

    - a digit cell of the row that mapping placed under no key (a figure split into two cells, so the
      row has a cell too many and its first half was mapped by position: ``2`` | ``35`` for 235);
    - a cell of spaced digits (``1 2``) beside an empty value cell of the same row: a glue of two
      figures, not a figure with a gap (which reads right as one number and is left alone)."""
    by_row: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for k, c in cells.items():
        src = c.get("src") or {}
        if k.startswith("active.") and ".ext." not in k and "row_idx" in src and c.get("flag") != "derived":
            where = (src.get("table_idx", -1), src["row_idx"])
            by_row.setdefault(where, []).append((src.get("col_idx", -1), k))
    out: dict[str, str] = {}
    for t in ex.tables:
        if t.kind != "t2":
            continue
        for r in t.rows:
            mapped = by_row.get((r.table_idx, r.row_idx))
            if not mapped:
                continue
            vals, _ = _value_cells(r)
            cols = {ci for ci, _ in mapped}
            texts = {i: _text(c) for i, c in vals}
            stray = [tx for i, tx in texts.items() if i not in cols and _DIGITS_RE.match(tx)]
            spaced = [tx for i, tx in texts.items() if i in cols and _SPACED_RE.search(tx)]
            blanks = [i for i, tx in texts.items() if not tx]
            why = ""
            if stray:
                why = f"table 二 row has a figure under no column ({' | '.join(stray)}): a split figure?"
            elif spaced and blanks:
                why = f"table 二 cell {spaced[0]!r} beside an empty cell: two figures glued?"
            for _, k in mapped:
                if why:
                    out[k] = why
    return out


def _t3_row_key(r: GridRow, era: str | None, group: str | None) -> str | None:
    labels = [c.text for c in r.cells if c.text.strip() and not is_value_text(c.text)]
    labels = [tx for tx in labels if not _DIGITS_RE.match(_text_of(tx))]
    parents = [g.key for tx in labels if (g := match_group(tx, schema.T3_GROUPS)) is not None]
    if not parents and group:
        parents = [group]
    for tx in reversed(labels):
        m = match_row(tx, schema.T3_ROWS, era=era, parents=parents)
        if m is not None:
            return m.spec.key
    return None


def _text_of(s: str) -> str:
    return unicodedata.normalize("NFKC", s).strip()


# --------------------------------------------------------------------------------------------------
# candidate readings


def _splits(s: str, k: int) -> Iterator[list[str]]:
    """`s` cut into `k` numbers without leading zeros (a lone 0 is fine)."""
    if k == 1:
        if s == "0" or not s.startswith("0"):
            yield [s]
        return
    if s.startswith("0"):
        for rest in _splits(s[1:], k - 1):
            yield ["0", *rest]
        return
    for i in range(1, len(s) - k + 2):
        for rest in _splits(s[i:], k - 1):
            yield [s[:i], *rest]


def _parts(sizes: list[int], n: int) -> Iterator[list[int]]:
    """Ways to give each digit run 1..len parts, `n` parts in all."""
    if not sizes:
        if n == 0:
            yield []
        return
    rest_min = len(sizes) - 1
    rest_max = sum(sizes[1:])
    for k in range(max(1, n - rest_max), min(sizes[0], n - rest_min) + 1):
        for tail in _parts(sizes[1:], n - k):
            yield [k, *tail]


def readings(tokens: list[Token], n: int) -> tuple[list[list[tuple[str, dict[str, Any]]]], bool]:
    """Every reading of `tokens` as `n` cells: (text, src of the cell its first digit came from).

    Returns (readings, complete); `complete` is False when more than `MAX_CANDIDATES` exist (then the
    list is empty: an incomplete search cannot prove a reading unique)."""
    runs = _runs(tokens)
    digit_runs = [r for r in runs if isinstance(r, tuple)]
    n_digits = n - (len(runs) - len(digit_runs))
    sizes = [len(s) for s, _ in digit_runs]
    if n_digits < len(digit_runs) or n_digits > sum(sizes):
        return [], True
    bound = sum(
        math.prod(math.comb(sz - 1, k - 1) for sz, k in zip(sizes, ks, strict=True))
        for ks in _parts(sizes, n_digits)
    )
    if bound > MAX_CANDIDATES:
        return [], False
    out: list[list[tuple[str, dict[str, Any]]]] = []
    for ks in _parts(sizes, n_digits):
        per_run = [list(_splits(s, k)) for (s, _), k in zip(digit_runs, ks, strict=True)]
        for combo in _product(per_run):
            reading: list[tuple[str, dict[str, Any]]] = []
            di = 0
            for r in runs:
                if isinstance(r, tuple):
                    _, srcs = r
                    pos = 0
                    for part in combo[di]:
                        reading.append((part, srcs[pos]))
                        pos += len(part)
                    di += 1
                else:
                    reading.append((r.text, r.src))
            out.append(reading)
    return out, True


def _product(lists: list[list[list[str]]]) -> Iterator[list[list[str]]]:
    if not lists:
        yield []
        return
    for head in lists[0]:
        for tail in _product(lists[1:]):
            yield [head, *tail]


# --------------------------------------------------------------------------------------------------
# the search


class _Values:
    """Values of the non-suspect cells under the validation mode (lenient: blank/dash/slash = 0)."""

    def __init__(self, cells: Mapping[str, Mapping[str, Any]], mode: str) -> None:
        self.ctx = EvalContext(cells, mode)

    def get(self, key: str) -> tuple[float | int | None, bool]:
        """(value for a sum or None, whether anything was printed)."""
        v = self.ctx.raw_value(key)
        if v is not None:
            return v, True
        return (0, False) if self.ctx.blank_is_zero(key) else (None, False)


def _side(keys: list[str], cand: Mapping[str, int | None], vals: _Values) -> float | int | None:
    total: float | int = 0
    printed = False
    for k in keys:
        if k in cand:
            v = cand[k]
            if v is None:
                return None
            printed = True
        else:
            v, p = vals.get(k)
            printed = printed or p
            if v is None:
                return None
        total += v
    return total if printed else None


def _holds(inst: Instance, cand: Mapping[str, int | None], vals: _Values) -> bool | None:
    left, right = _side(inst.left, cand, vals), _side(inst.right, cand, vals)
    if left is None or right is None:
        return None
    if inst.rule.op == "=":
        return abs(left - right) <= 1e-9
    if inst.rule.op == "≤":
        return left <= right + 1e-9
    return left + 1e-9 >= right


def _cand_value(text: str) -> int | None:
    v = parse_value(text)
    return v.value if isinstance(v.value, int) else (0 if v.flag == "zero_text" else None)


def _instances(
    cells: Mapping[str, Mapping[str, Any]], keys: list[str], fmt: str, tv: Mapping[str, str] | None, mode: str
) -> list[Instance]:
    ctx = EvalContext(cells, mode)
    keyset = set(keys)
    out: list[Instance] = []
    for rule in linear_rules(cells, format_version=fmt, table_versions=tv):
        for x in rule.expand:
            res = evaluate_rule(rule, x, ctx)
            if res is not None and keyset & set(res.keys):
                out.append(Instance(rule, x, list(res.left_keys), list(res.right_keys)))
    return out


@dataclass(frozen=True, slots=True)
class Stated:
    """A figure the narrative states for a sum of table cells (rule T4-TEXT): 行政复议X件 is
    ``review.total``, 行政诉讼Y件 is ``litigation.direct.total + litigation.after_review.total``.

    Why: a glued table 四 row can have several readings that hold every identity of the table; the
    narrative, when it states the totals, is one more printed fact to choose among them by."""

    name: str
    keys: tuple[str, ...]
    values: frozenset[int]  # every figure stated (several statements: any may be meant)
    clause: str

    def label(self) -> str:
        said = "/".join(str(v) for v in sorted(self.values))
        return f"T4-TEXT[{self.name}={said}]"


@dataclass(slots=True)
class Solution:
    """What `solve_row` found for one suspect row.

    `good` are the readings that hold every identity (and, when `narrative` is set, the stated figures
    too); `method` says which readings were searched: ``joins`` (only re-joining adjacent printed cells,
    every other printed boundary kept) or ``full`` (every segmentation of the digit runs)."""

    good: list[list[tuple[str, dict[str, Any]]]]
    evidence: list[str]
    tried: int
    complete: bool
    method: str = "full"
    by_identities: int = 0  # readings the identities alone left (before the narrative was consulted)
    narrative: list[Stated] = field(default_factory=list)  # stated figures that chose the reading

    @property
    def unique(self) -> bool:
        return self.complete and len(self.good) == 1


def solve_row(
    s: Suspect,
    known: Mapping[str, Mapping[str, Any]],
    fmt: str,
    tv: Mapping[str, str] | None,
    mode: str,
    stated: list[Stated] | None = None,
) -> Solution:
    """The readings of one suspect row that satisfy the table's identities.

    A row with k cells too many and no glue (`extra_cells`) is first searched over the readings that
    re-join k pairs of adjacent cells, keeping every other boundary it printed: the damage a split
    does. Exactly one such reading is the answer; several are a tie (flagged); none means the split
    was not the damage, and the full search runs as for any other row.

    The full search is over the readings of `readings`, searched cell by cell: an identity is tested as
    soon as its last cell of the row is placed (a table 四 group of five as soon as its 总计 is), and a
    reading that breaks one is abandoned with every reading sharing its start. Nothing is excluded that
    the full test would keep, so "exactly one" still means exactly one.

    `stated` (narrative figures, table 四) is consulted only when the identities leave several readings:
    those contradicting a stated figure are dropped. A row the identities already pin is never moved
    towards the narrative, so a source whose text disagrees with its table stays inconsistent."""
    base = {k: v for k, v in known.items() if k not in s.keys}
    placeholder = {**base, **{k: {"value": 0, "flag": "ok"} for k in s.keys}}
    insts = _instances(placeholder, s.keys, fmt, tv, mode)
    vals = _Values(base, mode)
    index = {k: i for i, k in enumerate(s.keys)}
    due: list[list[Instance]] = [[] for _ in s.keys]
    for inst in insts:
        mine = [index[k] for k in (*inst.left, *inst.right) if k in index]
        if mine:
            due[max(mine)].append(inst)
    good: list[list[tuple[str, dict[str, Any]]]] = []
    values: list[dict[str, int | None]] = []
    evidence: list[str] = []
    tried = 0

    def partial_ok(ci: int, cand: Mapping[str, int | None]) -> bool:
        return all(_holds(inst, cand, vals) is not False for inst in due[ci])

    def leaf(reading: list[tuple[str, dict[str, Any]]], cand: Mapping[str, int | None]) -> bool:
        nonlocal tried, evidence
        tried += 1
        if tried > MAX_CANDIDATES:
            return False
        results = [(i, _holds(i, cand, vals)) for i in insts]
        if not any(ok is False for _, ok in results) and any(ok for _, ok in results):
            good.append(list(reading))
            values.append(dict(cand))
            if len(good) == 1:
                evidence = [i.name for i, ok in results if ok]
        return True

    method = "full"
    complete = True
    if extra_cells(s) > 0:
        method = "joins"
        for reading in _joined_readings(s.tokens, len(s.keys)):
            cand = {k: _cand_value(text) for k, (text, _) in zip(s.keys, reading, strict=True)}
            if not leaf(reading, cand):
                complete = False
                break
        if complete and not good:  # re-joining cells explains nothing: not (only) a split
            method = "full"
    if method == "full":
        complete = _search(s.tokens, s.keys, partial_ok, leaf)
    if not complete:
        return Solution([], evidence, tried, False, method)
    sol = Solution(good, evidence, tried, True, method, by_identities=len(good))
    if len(good) > 1 and stated:
        _choose_by_narrative(sol, values, stated, vals)
    return sol


def _choose_by_narrative(
    sol: Solution, values: list[dict[str, int | None]], stated: list[Stated], vals: _Values
) -> None:
    """Drop from `sol` the readings whose totals contradict a figure the narrative states (in place).

    Only statements whose every key is known (placed by the reading or printed elsewhere) are used, and
    only those that tell the readings apart; they are named in the evidence when one reading is left."""
    used: list[Stated] = []
    keep = list(range(len(sol.good)))
    for st in stated:
        sums = []
        for i in keep:
            total = _side(list(st.keys), values[i], vals)
            sums.append(None if total is None else int(total))
        if any(t is None for t in sums) or len(set(sums)) == 1:
            continue  # cannot judge, or every reading agrees: the statement chooses nothing
        keep = [i for i, t in zip(keep, sums, strict=True) if t in st.values]
        used.append(st)
        if len(keep) <= 1:
            break
    if not used:
        return
    sol.good = [sol.good[i] for i in keep]
    sol.narrative = used
    if len(keep) == 1:
        sol.evidence = [*sol.evidence, *(st.label() for st in used)]


def extra_cells(s: Suspect) -> int:
    """How many cells too many the row printed, when that is all its damage shows (else 0).

    A split adds a cell and leaves every other boundary printed; a glue removes boundaries and leaves
    blanks beside an over-long number. A row whose value cells include a blank next to a multi-digit
    figure shows glue, so its printed boundaries are not trusted and it gets no join search."""
    texts = [_text_of(r) for r in s.raws]
    blanks = any(not t for t in texts)
    long = any(len(re.sub(r"\D", "", t)) > 1 for t in texts)
    if s.reason == "spanned" or (blanks and long):
        return 0
    return max(0, len(s.tokens) - len(s.keys))


def _joined_readings(tokens: list[Token], n: int) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The readings of `tokens` as `n` cells that re-join adjacent digit tokens (``1`` | ``2`` → 12) and
    keep every other boundary: C(joinable boundaries, len(tokens) − n) of them, none with a leading
    zero (``0`` | ``5`` is never 05)."""
    k = len(tokens) - n
    joinable = [i for i in range(len(tokens) - 1) if tokens[i].digit and tokens[i + 1].digit]
    if k <= 0 or k > len(joinable):
        return
    for joins in itertools.combinations(joinable, k):
        cut = set(joins)
        reading: list[tuple[str, dict[str, Any]]] = []
        text, src = "", None
        for i, tok in enumerate(tokens):
            if not text:
                src = tok.src
            text += tok.text
            if i in cut:
                continue
            if tok.digit and len(text) > 1 and text.startswith("0"):
                break
            reading.append((text, src or {}))
            text = ""
        else:
            if len(reading) == n:
                yield reading


def _search(
    tokens: list[Token],
    keys: list[str],
    partial_ok: Callable[[int, Mapping[str, int | None]], bool],
    leaf: Callable[[list[tuple[str, dict[str, Any]]], Mapping[str, int | None]], bool],
) -> bool:
    """Depth-first over the readings of `tokens` as ``len(keys)`` cells (no leading zeros; a marker is a
    cell of its own), calling `partial_ok(i, values so far)` after placing cell i and `leaf` on each
    complete reading. False when `MAX_STEPS` partial readings were not enough, or `leaf` says stop."""
    runs = _runs(tokens)
    n = len(keys)
    # cells the rest of the runs can fill, from (run, position): at least one per run, at most one per digit
    min_left = [0] * (len(runs) + 1)
    max_left = [0] * (len(runs) + 1)
    for ri in range(len(runs) - 1, -1, -1):
        r = runs[ri]
        min_left[ri] = min_left[ri + 1] + 1
        max_left[ri] = max_left[ri + 1] + (len(r[0]) if isinstance(r, tuple) else 1)
    reading: list[tuple[str, dict[str, Any]]] = []
    cand: dict[str, int | None] = {}
    steps = 0

    def go(ri: int, pos: int) -> bool:
        nonlocal steps
        ci = len(reading)
        if ri == len(runs):
            return leaf(reading, cand) if ci == n else True
        r = runs[ri]
        if isinstance(r, tuple):
            text, srcs = r
            options = [1] if text[pos] == "0" else range(1, len(text) - pos + 1)
        else:
            text, srcs, options = r.text, [r.src], [len(r.text)]
        for length in options:
            end = pos + length
            nxt, npos = (ri + 1, 0) if end >= len(text) else (ri, end)
            rest = n - ci - 1
            lo, hi = (min_left[ri + 1] + 1, max_left[ri + 1] + len(text) - npos) if npos else (
                min_left[nxt],
                max_left[nxt],
            )
            if not lo <= rest <= hi:
                continue
            steps += 1
            if steps > MAX_STEPS:
                return False
            part = text[pos:end] if isinstance(r, tuple) else text
            key = keys[ci]
            cand[key] = _cand_value(part)
            reading.append((part, srcs[pos] if isinstance(r, tuple) else srcs[0]))
            ok = True
            if partial_ok(ci, cand):
                ok = go(nxt, npos)
            reading.pop()
            del cand[key]
            if not ok:
                return False
        return True

    return go(0, 0)


def _runs(tokens: list[Token]) -> list[tuple[str, list[dict[str, Any]]] | Token]:
    """Consecutive digit tokens joined into runs (each digit keeping its cell's src); markers alone."""
    runs: list[tuple[str, list[dict[str, Any]]] | Token] = []
    for tok in tokens:
        if tok.digit:
            if runs and isinstance(runs[-1], tuple):
                s, srcs = runs[-1]
                runs[-1] = (s + tok.text, srcs + [tok.src] * len(tok.text))
            else:
                runs.append((tok.text, [tok.src] * len(tok.text)))
        else:
            runs.append(tok)
    return runs


# --------------------------------------------------------------------------------------------------
# the stage


def _statuses(
    cells: Mapping[str, Mapping[str, Any]], fmt: str, tv: Mapping[str, str] | None, mode: str
) -> tuple[set[str], set[str]]:
    """(keys of identities failing as read, keys of identities holding as read)."""
    ctx = EvalContext(cells, mode)
    bad: set[str] = set()
    good: set[str] = set()
    for rule in linear_rules(cells, format_version=fmt, table_versions=tv):
        for x in rule.expand:
            res = evaluate_rule(rule, x, ctx)
            if res is not None and res.status == "FAIL":
                bad.update(res.keys)
            elif res is not None and res.status == "PASS":
                good.update(res.keys)
    return bad, good


def repair_digits(
    doc: Any,
    ex: TableExtraction,
    cells: Mapping[str, Mapping[str, Any]],
    *,
    format_version: str,
    mode: str = LENIENT,
    sections: Mapping[str, str] | None = None,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Stage 6c of `parsers.report`: (cells with split/glued rows repaired or flagged, notes).

    `doc` gives the narrative (`sections`, split from it when not passed) whose stated 行政复议 /
    行政诉讼 totals may choose among a table 四 row's readings; the grid rows on `ex` keep each cell's
    text and source."""
    tv = {"table3": ex.table3_version or format_version, "table2": ex.table2_version or format_version}
    printed = {k: dict(v) for k, v in cells.items() if v.get("flag") != "derived"}
    failing, passing = _statuses(cells, format_version, tv, mode)
    suspects = find_suspects(ex, cells, failing, passing)
    t2 = t2_doubts(ex, cells)
    notes = [f"{k}: {why}" for k, why in sorted(t2.items())]
    if not suspects:
        return _flag_t2({k: dict(v) for k, v in cells.items()}, t2), notes
    stated = narrative_figures(doc, sections) if any(s.table_kind == "t4" for s in suspects) else []
    pending = list(suspects)
    for s in pending:  # the search must not trust what the damaged rows were read as
        for k in s.keys:
            printed.pop(k, None)
    known = dict(printed)
    outcome: dict[int, Solution] = {}
    for _ in range(MAX_ROUNDS):
        progress = False
        for i, s in enumerate(pending):
            if i in outcome and outcome[i].unique:
                continue
            sol = solve_row(s, known, format_version, tv, mode, stated if s.table_kind == "t4" else None)
            outcome[i] = sol
            if sol.unique:
                known.update(_repaired_cells(s, sol))
                progress = True
        if not progress:
            break
    out = {k: dict(v) for k, v in known.items()}
    for i, s in enumerate(pending):
        sol = outcome[i]
        where = f"table {s.table_kind} row {s.row_idx}"
        original = " | ".join(s.raws)
        if sol.unique:
            parts = " | ".join(t for t, _ in sol.good[0])
            notes.append(
                f"{where}: {s.reason} digits {original!r} re-segmented as {parts} ({', '.join(sol.evidence)})"
                + _how(sol)
            )
            continue
        why = _why_not(sol)
        notes.append(f"{where}: {s.reason} digits {original!r} not repaired: {why}")
        for k in s.keys:
            old = cells.get(k)
            if s.mapped and old is not None:
                cell = dict(old)
            else:
                cell = {"value": None, "raw": original, "unit": "件", "src": dict(s.row_src)}
            cell["flag"] = SUSPECT
            cell["note"] = f"{s.reason} digits {original!r}: {why} ({sol.tried} readings tried)"
            out[k] = cell
    return _flag_t2(schema.derive(out), t2), notes


def _how(sol: Solution) -> str:
    """What the note says about how a unique reading was reached beyond the identities."""
    out = ""
    if sol.method == "joins":
        out += "; only adjacent cells re-joined, every other printed boundary kept"
    if sol.narrative:
        quoted = "；".join(dict.fromkeys(st.clause for st in sol.narrative))
        out += f"; {sol.by_identities} readings held the identities, the narrative chose: 「{quoted}」"
    return out


def _why_not(sol: Solution) -> str:
    if not sol.complete:
        return "too many readings to search"
    if sol.by_identities == 0:
        return "no reading satisfies the identities"
    why = f"{sol.by_identities} readings satisfy the identities"
    if sol.method == "joins":
        why += " (re-joining adjacent cells)"
    if sol.narrative:
        names = ", ".join(st.label() for st in sol.narrative)
        why += f"; the narrative ({names}) leaves {len(sol.good)}"
    return why


def narrative_figures(doc: Any, sections: Mapping[str, str] | None = None) -> list[Stated]:
    """The table 四 totals the narrative states (rule T4-TEXT's statements), for `solve_row`.

    Read from `sections` (`parsers.sections.split_sections`), split from `doc` when not given; nothing
    when neither is available or the text states nothing."""
    if sections is None:
        if doc is None:
            return []
        from parsers.sections import split_sections  # imported here: the narrative is rarely needed

        sections = split_sections(doc)
    text = "\n".join(sections.get(n) or "" for n in T4_TEXT_SECTIONS)
    out: list[Stated] = []
    for q in T4_TEXT:
        found = find_statements(text, q)
        if found:
            clause = "；".join(dict.fromkeys(c for _, c in found))[:120]
            out.append(Stated(q.name, tuple(q.keys[0]), frozenset(n for n, _ in found), clause))
    return out


def _flag_t2(cells: dict[str, dict[str, Any]], doubts: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """`cells` with the doubted table 二 keys flagged ``extraction_suspect`` (value kept as read)."""
    for k, why in doubts.items():
        if k in cells:
            cells[k] = {**cells[k], "flag": SUSPECT, "note": why}
    return cells


def _repaired_cells(s: Suspect, sol: Solution) -> dict[str, dict[str, Any]]:
    original = " | ".join(s.raws)
    out: dict[str, dict[str, Any]] = {}
    evidence: dict[str, Any] = {
        "original_raw": original,
        "identities": list(sol.evidence),
        "readings_tried": sol.tried,
        "search": sol.method,
    }
    if sol.narrative:
        evidence["narrative"] = [
            {"statement": st.name, "keys": list(st.keys), "stated": sorted(st.values), "clause": st.clause}
            for st in sol.narrative
        ]
        evidence["readings_by_identities"] = sol.by_identities
    for k, (text, src) in zip(s.keys, sol.good[0], strict=True):
        v = parse_value(text)
        out[k] = {
            "value": _cand_value(text),
            "raw": text,
            "flag": REPAIRED,
            "unit": v.unit,
            "src": dict(src),
            "note": f"{s.reason} digits {original!r} re-segmented; holds: {', '.join(sol.evidence)}",
            "evidence": dict(evidence),
        }
    return out
