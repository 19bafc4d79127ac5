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

For each suspect the row's digit runs (consecutive digit tokens, across cells and spaces; a dash, slash
or 无 is a hard boundary) are split into exactly the row's number of cells, without leading zeros, in
every way (bounded by `MAX_CANDIDATES`). A reading is kept when every linear rule touching the row that
can be evaluated holds (at least one must). Exactly one such reading → its cells get flag
``repaired_by_constraint`` and ``evidence`` = the original raw text and the identities that now hold.
None or several → the cells keep what was read (absent rows: value null) with flag
``extraction_suspect``. Rows are solved one at a time, each solved row becoming known for the next
round, so two damaged rows of one table can still be repaired when each is pinned by clean rows.

A report whose clean cells break a rule (corpus 001's table 四) has no suspect row: its FAIL stays
``source_inconsistent``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from parsers import schema
from parsers.checks import LENIENT, EvalContext, Rule, evaluate_rule, linear_rules
from parsers.labels import match_group, match_row
from parsers.tables import GridRow, LogicalTable, TableExtraction
from parsers.values import is_value_text, parse_value

REPAIRED = "repaired_by_constraint"
SUSPECT = "extraction_suspect"
MAX_CANDIDATES = 50_000  # readings tried per row; a row with more stays extraction_suspect
MAX_ROUNDS = 4

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
    ex: TableExtraction, cells: Mapping[str, Mapping[str, Any]], failing: set[str]
) -> list[Suspect]:
    """Rows whose own text shows split or glued digits (see the module docstring)."""
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
        out += _table_suspects(t, cells, by_row, failing)
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
) -> list[Suspect]:
    out: list[Suspect] = []
    cols = _t3_columns(t, by_row) if t.kind == "t3" else []
    group: str | None = None
    for r in t.rows:
        vals, spanned = _value_cells(r)
        texts = [_text(c) for _, c in vals]
        if not any(ch.isdigit() for tx in texts for ch in tx):
            continue
        mapped = sorted(by_row.get((r.table_idx, r.row_idx), []))
        keys = [k for _, k in mapped]
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
    # runs: consecutive digit tokens; markers stand alone
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
                    s, srcs = r
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


def solve(
    s: Suspect,
    known: Mapping[str, Mapping[str, Any]],
    fmt: str,
    tv: Mapping[str, str] | None,
    mode: str,
) -> tuple[list[list[tuple[str, dict[str, Any]]]], list[str], int, bool]:
    """(satisfying readings, identities holding for the first, readings tried, search complete)."""
    base = {k: v for k, v in known.items() if k not in s.keys}
    placeholder = {**base, **{k: {"value": 0, "flag": "ok"} for k in s.keys}}
    insts = _instances(placeholder, s.keys, fmt, tv, mode)
    vals = _Values(base, mode)
    found, complete = readings(s.tokens, len(s.keys))
    good: list[list[tuple[str, dict[str, Any]]]] = []
    evidence: list[str] = []
    for reading in found:
        cand = {k: _cand_value(t) for k, (t, _) in zip(s.keys, reading, strict=True)}
        results = [(i, _holds(i, cand, vals)) for i in insts]
        if any(ok is False for _, ok in results) or not any(ok for _, ok in results):
            continue
        good.append(reading)
        if len(good) == 1:
            evidence = [i.name for i, ok in results if ok]
    return good, evidence, len(found), complete


# --------------------------------------------------------------------------------------------------
# the stage


def _failing(
    cells: Mapping[str, Mapping[str, Any]], fmt: str, tv: Mapping[str, str] | None, mode: str
) -> set[str]:
    ctx = EvalContext(cells, mode)
    bad: set[str] = set()
    for rule in linear_rules(cells, format_version=fmt, table_versions=tv):
        for x in rule.expand:
            res = evaluate_rule(rule, x, ctx)
            if res is not None and res.status == "FAIL":
                bad.update(res.keys)
    return bad


def repair_digits(
    doc: Any,
    ex: TableExtraction,
    cells: Mapping[str, Mapping[str, Any]],
    *,
    format_version: str,
    mode: str = LENIENT,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Stage 6c of `parsers.report`: (cells with split/glued rows repaired or flagged, notes).

    `doc` is unused today (the grid rows on `ex` keep each cell's text and source) and is accepted so
    a carrier-specific signal — a PDF's character gaps — can join later without changing the call."""
    del doc
    tv = {"table3": ex.table3_version or format_version, "table2": ex.table2_version or format_version}
    printed = {k: dict(v) for k, v in cells.items() if v.get("flag") != "derived"}
    suspects = find_suspects(ex, cells, _failing(cells, format_version, tv, mode))
    if not suspects:
        return {k: dict(v) for k, v in cells.items()}, []
    notes: list[str] = []
    pending = list(suspects)
    for s in pending:  # the search must not trust what the damaged rows were read as
        for k in s.keys:
            printed.pop(k, None)
    known = dict(printed)
    outcome: dict[int, tuple[list[Any], list[str], int, bool]] = {}
    for _ in range(MAX_ROUNDS):
        progress = False
        for i, s in enumerate(pending):
            if i in outcome and len(outcome[i][0]) == 1:
                continue
            good, evidence, tried, complete = solve(s, known, format_version, tv, mode)
            outcome[i] = (good, evidence, tried, complete)
            if len(good) == 1 and complete:
                known.update(_repaired_cells(s, good[0], evidence, tried))
                progress = True
        if not progress:
            break
    out = {k: dict(v) for k, v in known.items()}
    for i, s in enumerate(pending):
        good, evidence, tried, complete = outcome[i]
        where = f"table {s.table_kind} row {s.row_idx}"
        original = " | ".join(s.raws)
        if len(good) == 1 and complete:
            parts = " | ".join(t for t, _ in good[0])
            notes.append(
                f"{where}: {s.reason} digits {original!r} re-segmented as {parts} ({', '.join(evidence)})"
            )
            continue
        why = (
            "too many readings to search"
            if not complete
            else (
                "no reading satisfies the identities"
                if not good
                else f"{len(good)} readings satisfy the identities"
            )
        )
        notes.append(f"{where}: {s.reason} digits {original!r} not repaired: {why}")
        for k in s.keys:
            old = cells.get(k)
            if s.mapped and old is not None:
                cell = dict(old)
            else:
                cell = {"value": None, "raw": original, "unit": "件", "src": dict(s.row_src)}
            cell["flag"] = SUSPECT
            cell["note"] = f"{s.reason} digits {original!r}: {why} ({tried} readings tried)"
            out[k] = cell
    return schema.derive(out), notes


def _repaired_cells(
    s: Suspect, reading: list[tuple[str, dict[str, Any]]], evidence: list[str], tried: int
) -> dict[str, dict[str, Any]]:
    original = " | ".join(s.raws)
    out: dict[str, dict[str, Any]] = {}
    for k, (text, src) in zip(s.keys, reading, strict=True):
        v = parse_value(text)
        out[k] = {
            "value": _cand_value(text),
            "raw": text,
            "flag": REPAIRED,
            "unit": v.unit,
            "src": dict(src),
            "note": f"{s.reason} digits {original!r} re-segmented; holds: {', '.join(evidence)}",
            "evidence": {"original_raw": original, "identities": list(evidence), "readings_tried": tried},
        }
    return out
