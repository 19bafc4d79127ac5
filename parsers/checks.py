"""Consistency checks (勾稽关系) of format-spec §7 and §8.3, as a table of data plus small predicates.

Why data: every rule the template prints or implies is a linear relation between canonical keys
(format-spec §6),
so most rules are rows of `RULES_*` below — id, severity, spec section, left keys, right keys, comparison
and a
per-column / per-row expansion — evaluated by one function. Only what is not linear (sign and integrality,
narrative sentences, fee mentions, unit sanity) is a predicate function, each citing its section.

Outcomes. Each result is PASS, FAIL or NOT_ASSESSABLE; evaluating never raises (a bad `mode` is a programming
error and does). A FAIL carries a `kind`:

- ``source_inconsistent`` — every involved cell was read cleanly (flag in `CLEAN_FLAGS`), so the numbers *as
  printed* violate the rule (corpus 001: table 四 totals 0 under 10, 1 and 5). Nothing is ever "repaired".
- ``extraction_suspect`` — at least one involved cell carries a doubtful flag (ocr, position, weak_label,
  unreadable, repaired, unit_inline, text, …): the parse, not the agency, is the first suspect.

Severity follows format-spec §7: T (printed in the template), S (structural), R (reviewers' rules,
including the
narrative and cross-year rules) and H (heuristics). Policy for H rules: the status set stays PASS | FAIL |
NOT_ASSESSABLE, and an H rule FAILs (severity "H") **only when a hard bound is broken** — e.g. more requests
processed than received (T3-PLAUS), more newly published than published in total (T2-2019-PUB), a
行政事业性收费
amount above 10⁶ 万元 (T2-UNIT), a stock of documents in force that grew by more than was issued
(T2-2021-STOCK). Softer signals (a stock that shrank more than was repealed, a fee row with no fee mention in
section 六) end as PASS or NOT_ASSESSABLE with the observation in `message`, because a consumer treats any
FAIL as
doubt and a heuristic firing on a clean report would hide real errors elsewhere. T4-XYEAR (§7.2) is not
implemented: the spec itself gives no relation that can be violated, only "large unexplained jumps", which
needs a
population baseline this module does not have.

Modes (format-spec §7.5), recorded on every result:

- ``strict``: null ≠ 0; a rule with any null operand is NOT_ASSESSABLE.
- ``lenient``: a null cell whose flag is blank/dash/slash counts as 0, but only (a) when its table is mostly
  numeric (`LENIENT_MIN_NUMERIC_SHARE` of its non-empty cells hold numbers) and (b) when the *other*
  operands on the same side of the relation are
  not all null as well. (b) is what keeps clean reports clean: Shanghai 2019 (corpus 005) leaves the whole
  总计
  column blank on outcome rows, which is "not filled", not a claim of 0, so T3-ROWSUM and the 总计 column of
  T3-SUM7 are NOT_ASSESSABLE there instead of failing. Nulls with any other flag (text, unreadable, …) and
  keys
  absent from `cells` are never taken as 0.

Rule ids: T3-*, T4-*, T2-* as in format-spec §7; the legacy_2014 rules of §8.3 are L14-RECEIVED, L14-CLOSED,
L14-REPLIED, L14-REFUSED, L14-REVIEW, L14-LITIGATION, L14-COMPLAINTS, L14-STAFF, L14-ACTIVE-NORM, L14-PRESS,
L14-INTERVIEW, L14-NONNEG and L14-TEXT. Cross-year rules (T3-XYEAR, T2-2021-STOCK, T2-2021-ISS,
T2-2019-ITEMS-XYEAR) live in `run_cross_year_checks`; their previous-year keys are reported with a
``prev:`` prefix.

T3-SUM7 variant: the formula follows table 三's version (`table_versions["table3"]`, else
`format_version`), except
that a 2021 table whose （六）其他处理 is one undivided row (corpus 001: `other.subtotal` present, the
three 2021
leaves absent) is checked with the 19-leaf formula and reported as T3-SUM7-2019, the formula actually applied.

Narrative rules (T3-TEXT, T4-TEXT, T2-TEXT, L14-TEXT; severity R) read numbers from section text with
regexes. A
statement found is compared with the table; several statements of one quantity PASS if any equals the table
(reports quote sub-totals and 本级 figures too). No statement → one NOT_ASSESSABLE result. Messages quote the
matched clause.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parsers._memo import memoize
from parsers.cn_numbers import cn_to_int, squash

PASS = "PASS"
FAIL = "FAIL"
NOT_ASSESSABLE = "NOT_ASSESSABLE"
STRICT = "strict"
LENIENT = "lenient"
MODES = (STRICT, LENIENT)
SOURCE_INCONSISTENT = "source_inconsistent"
EXTRACTION_SUSPECT = "extraction_suspect"

# flags that mean "read cleanly" (format-spec §6, §9.4); anything else makes a failing rule extraction_suspect
CLEAN_FLAGS = frozenset({"ok", "zero_text", "derived", "blank", "dash", "slash"})
BLANKISH_FLAGS = frozenset({"blank", "dash", "slash"})
# §7.5 "mostly numeric": of a table's non-empty cells (blank/dash/slash aside), the share that hold a number.
# Measured over non-empty cells because Shanghai 2019 (corpus 005) prints only 22% of table 三 and leaves the
# rest blank meaning 0; an unfilled or image table has no number at all and stays strict.
LENIENT_MIN_NUMERIC_SHARE = 0.5
# §7: exact equality for counts; 0.0005 for 万元 amounts (rounding to 3 decimals in print)
AMOUNT_TOLERANCE = 0.0005
# §7.3 T2-UNIT: 10⁶ 万元 = 100亿元 of 行政事业性收费 for one report is a yuan figure typed under a 万元 header
FEE_YUAN_SUSPECT_WAN = 1_000_000

C6 = ("natural_person", "commercial", "research", "public_interest", "legal_service", "other_org")
C7 = (*C6, "total")
ORG5 = C6[1:]
DENIED = tuple(
    f"denied.{k}"
    for k in (
        "state_secret",
        "law_prohibited",
        "security_stability",
        "third_party",
        "internal_affairs",
        "process_info",
        "enforcement_file",
        "admin_query",
    )
)
UNABLE = ("unable.not_held", "unable.needs_creation", "unable.unclear")
NOT_PROCESSED = tuple(
    f"not_processed.{k}" for k in ("petition", "duplicate", "publication", "excessive", "confirm_reissue")
)
OTHER_2021 = ("other.overdue_correction", "other.overdue_fee", "other.other")
OTHER_2019 = ("other.subtotal",)
OUTCOMES_2021 = ("granted", "partial", *DENIED, *UNABLE, *NOT_PROCESSED, *OTHER_2021)  # 21 leaves
OUTCOMES_2019 = ("granted", "partial", *DENIED, *UNABLE, *NOT_PROCESSED, *OTHER_2019)  # 19 leaves
ROWS_2021 = ("new", "carried_over", *OUTCOMES_2021, "total_processed", "carried_forward")  # 25 rows
ROWS_2019 = ("new", "carried_over", *OUTCOMES_2019, "total_processed", "carried_forward")  # 23 rows
T4_COLS = ("upheld", "corrected", "other", "pending")

GOV2019, GOV2021 = "gov2019", "gov2021"


def _a(row: str, col: str = "{x}") -> str:
    return f"applications.{row}.{col}"


# ----------------------------------------------------------------------------------------------------
# The rules as data


@dataclass(frozen=True, slots=True)
class Rule:
    """One linear relation ``Σ left <op> Σ right``, expanded once per value of `expand`.

    Keys are templates: ``{x}`` is replaced by each expansion value (a column of table 三, a row, …). A key
    ending in ``.*`` stands for every key of `cells` one level below that prefix that is not already named on
    the other side ("sum whatever children are present", §8.3). `optional` rules are skipped, not reported,
    when their left-hand key is absent (derived subtotals, the 法人或其他组织小计 column).
    """

    id: str
    severity: str  # T | S | R | H
    section: str  # where format-spec states it
    left: tuple[str, ...]
    right: tuple[str, ...]
    op: str = "="  # "=" | "≤" | "≥"
    expand: tuple[str, ...] = ("",)
    optional: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if self.op not in ("=", "≤", "≥"):
            raise ValueError(f"rule {self.id}: op must be one of =, ≤, ≥, not {self.op!r}")
        if self.severity not in ("T", "S", "R", "H"):
            raise ValueError(f"rule {self.id}: severity must be T, S, R or H, not {self.severity!r}")


RULES_T3 = (
    Rule(
        "T3-BAL",
        "T",
        "§7.1",
        (_a("new"), _a("carried_over")),
        (_a("total_processed"), _a("carried_forward")),
        expand=C7,
        description="一 + 二 = 三 + 四, per column (the corner note of table 三)",
    ),
    Rule(
        "T3-PLAUS",
        "H",
        "§7.1",
        (_a("total_processed", "total"),),
        (_a("new", "total"), _a("carried_over", "total")),
        op="≤",
        description="no more requests processed than received plus carried over",
    ),
)
RULES_T3_2021 = (
    Rule(
        "T3-ROWSUM",
        "S",
        "§7.1",
        (_a("{x}", "total"),),
        tuple(_a("{x}", c) for c in C6),
        expand=ROWS_2021,
        description="总计 = Σ six applicant columns",
    ),
    Rule(
        "T3-SUM7-2021",
        "S",
        "§7.1",
        (_a("total_processed"),),
        tuple(_a(r) for r in OUTCOMES_2021),
        expand=C7,
        description="（七）总计 = 21 outcome leaves",
    ),
    Rule(
        "T3-SUBTOT",
        "S",
        "§7.1",
        (_a("other.subtotal"),),
        tuple(_a(r) for r in OTHER_2021),
        expand=C7,
        optional=True,
        description="（六）其他处理 subtotal = its 3 leaves",
    ),
    Rule(
        "T3-LP",
        "S",
        "§7.1",
        (_a("{x}", "legal_person"),),
        tuple(_a("{x}", c) for c in ORG5),
        expand=ROWS_2021,
        optional=True,
        description="法人或其他组织小计 = 5 organisation columns",
    ),
)
RULES_T3_2019 = (
    Rule(
        "T3-ROWSUM",
        "S",
        "§7.1",
        (_a("{x}", "total"),),
        tuple(_a("{x}", c) for c in C6),
        expand=ROWS_2019,
        description="总计 = Σ six applicant columns",
    ),
    Rule(
        "T3-SUM7-2019",
        "S",
        "§7.1",
        (_a("total_processed"),),
        tuple(_a(r) for r in OUTCOMES_2019),
        expand=C7,
        description="（七）总计 = 19 outcome leaves (（六） undivided)",
    ),
    Rule(
        "T3-LP",
        "S",
        "§7.1",
        (_a("{x}", "legal_person"),),
        tuple(_a("{x}", c) for c in ORG5),
        expand=ROWS_2019,
        optional=True,
        description="法人或其他组织小计 = 5 organisation columns",
    ),
)
RULES_T3_SUBTOT = (
    Rule(
        "T3-SUBTOT",
        "S",
        "§7.1",
        (_a("denied.subtotal"),),
        tuple(_a(r) for r in DENIED),
        expand=C7,
        optional=True,
        description="（三）不予公开 subtotal = 8 leaves",
    ),
    Rule(
        "T3-SUBTOT",
        "S",
        "§7.1",
        (_a("unable.subtotal"),),
        tuple(_a(r) for r in UNABLE),
        expand=C7,
        optional=True,
        description="（四）无法提供 subtotal = 3 leaves",
    ),
    Rule(
        "T3-SUBTOT",
        "S",
        "§7.1",
        (_a("not_processed.subtotal"),),
        tuple(_a(r) for r in NOT_PROCESSED),
        expand=C7,
        optional=True,
        description="（五）不予处理 subtotal = 5 leaves",
    ),
)
RULES_T4 = (
    Rule(
        "T4-REV",
        "S",
        "§7.2",
        ("review.total",),
        tuple(f"review.{c}" for c in T4_COLS),
        description="行政复议 总计 = 维持 + 纠正 + 其他 + 尚未审结",
    ),
    Rule(
        "T4-LITD",
        "S",
        "§7.2",
        ("litigation.direct.total",),
        tuple(f"litigation.direct.{c}" for c in T4_COLS),
        description="未经复议直接起诉 总计 = its 4 results",
    ),
    Rule(
        "T4-LITR",
        "S",
        "§7.2",
        ("litigation.after_review.total",),
        tuple(f"litigation.after_review.{c}" for c in T4_COLS),
        description="复议后起诉 总计 = its 4 results",
    ),
)
RULES_T2_2019 = (
    Rule(
        "T2-2019-PUB",
        "H",
        "§7.3",
        ("active.{x}.new_published",),
        ("active.{x}.total_published",),
        op="≤",
        expand=("regulations", "normative_docs"),
        description="本年新公开 ≤ 对外公开总数",
    ),
)
RULES_L14 = (
    Rule(
        "L14-RECEIVED",
        "S",
        "§8.3",
        ("legacy.apps.received.total",),
        ("legacy.apps.received.*",),
        description="收到申请数 = Σ channels present",
    ),
    Rule(
        "L14-CLOSED",
        "S",
        "§8.3",
        ("legacy.apps.closed.total",),
        ("legacy.apps.closed.on_time", "legacy.apps.closed.extended"),
        description="办结 = 按时 + 延期",
    ),
    Rule(
        "L14-REPLIED",
        "S",
        "§8.3",
        ("legacy.apps.replied.total",),
        ("legacy.apps.replied.*",),
        description="申请答复数 = Σ reply kinds present",
    ),
    Rule(
        "L14-REFUSED",
        "S",
        "§8.3",
        ("legacy.apps.replied.refused",),
        ("legacy.apps.refused.*",),
        op="≥",
        description="不同意公开 ≥ Σ reasons (reasons not exhaustive in every edition)",
    ),
    Rule(
        "L14-REVIEW",
        "S",
        "§8.3",
        ("legacy.review.total",),
        ("legacy.review.upheld", "legacy.review.corrected", "legacy.review.other"),
    ),
    Rule(
        "L14-LITIGATION",
        "S",
        "§8.3",
        ("legacy.litigation.total",),
        ("legacy.litigation.upheld", "legacy.litigation.corrected", "legacy.litigation.other"),
    ),
    Rule(
        "L14-COMPLAINTS",
        "S",
        "§8.3",
        ("legacy.complaints.total",),
        ("legacy.complaints.upheld", "legacy.complaints.corrected", "legacy.complaints.other"),
    ),
    Rule("L14-STAFF", "S", "§8.3", ("legacy.org.staff",), ("legacy.org.staff_full", "legacy.org.staff_part")),
    Rule(
        "L14-ACTIVE-NORM",
        "S",
        "§8.3",
        ("legacy.active.normative_published",),
        ("legacy.active.total",),
        op="≤",
    ),
    Rule(
        "L14-PRESS", "S", "§8.3", ("legacy.resp.press_conf_principal",), ("legacy.resp.press_conf",), op="≤"
    ),
    Rule(
        "L14-INTERVIEW",
        "S",
        "§8.3",
        ("legacy.resp.online_interviews_principal",),
        ("legacy.resp.online_interviews",),
        op="≤",
    ),
)

XYEAR_T2_2019_ROWS = ("licensing", "other_mgmt_services", "penalty", "coercion", "fees")
RULES_XYEAR_T3 = (
    Rule(
        "T3-XYEAR",
        "R",
        "§7.1",
        (_a("carried_over"),),
        ("prev:" + _a("carried_forward"),),
        expand=C7,
        description="上年结转 (N) = 结转下年度 (N−1), per column",
    ),
)
RULES_XYEAR_T2_2021 = (
    Rule(
        "T2-2021-STOCK",
        "H",
        "§7.3",
        ("active.{x}.in_force", "active.{x}.repealed"),
        ("prev:active.{x}.in_force", "active.{x}.issued"),
        op="≤",
        expand=("regulations", "normative_docs"),
        description="in_force(N) ≈ in_force(N−1) + issued − repealed; only growth beyond issued is a failure",
    ),
    Rule(
        "T2-2021-ISS",
        "H",
        "§7.3",
        ("active.{x}.repealed",),
        ("prev:active.{x}.in_force", "active.{x}.issued"),
        op="≤",
        expand=("regulations", "normative_docs"),
        description="repealed ≤ in_force(N−1) + issued(N)",
    ),
)
RULES_XYEAR_T2_2019 = (
    Rule(
        "T2-2019-ITEMS-XYEAR",
        "R",
        "§7.3",
        ("active.{x}.prev_items",),
        ("prev:active.{x}.prev_items", "prev:active.{x}.delta_items"),
        expand=XYEAR_T2_2019_ROWS,
        description="上一年项目数量 (N) = 上一年项目数量 (N−1) + 本年增/减 (N−1)",
    ),
)


# ----------------------------------------------------------------------------------------------------
# Results


@dataclass(slots=True)
class CheckResult:
    """The outcome of one rule for one expansion (one column, row or block)."""

    rule: str
    status: str
    severity: str
    mode: str
    message: str = ""
    left: float | int | None = None
    right: float | int | None = None
    left_keys: list[str] = field(default_factory=list)
    right_keys: list[str] = field(default_factory=list)
    kind: str | None = None
    section: str = ""

    @property
    def keys(self) -> list[str]:
        return [*self.left_keys, *self.right_keys]

    @property
    def delta(self) -> float | int | None:
        if self.left is None or self.right is None:
            return None
        return _tidy(self.left - self.right)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "status": self.status,
            "severity": self.severity,
            "left": self.left,
            "right": self.right,
            "delta": self.delta,
            "keys": self.keys,
            "kind": self.kind,
            "mode": self.mode,
            "message": self.message,
        }


def _tidy(x: float | int) -> float | int:
    """Sums of decimals print as 26.815, not 26.814999999999998; integral floats stay floats."""
    return round(x, 6) if isinstance(x, float) else x


# ----------------------------------------------------------------------------------------------------
# Evaluation context: value lookup under a mode


@memoize(maxsize=4096, max_chars=None)  # for every cell by every rule family; keys are short, few
def _table_of(key: str) -> str:
    key = key.removeprefix("prev:")
    head = key.split(".", 1)[0]
    if head in ("review", "litigation"):
        return "t4"
    return {"applications": "t3", "active": "t2", "legacy": "legacy"}.get(head, head)


def _number(v: Any) -> float | int | None:
    if type(v) is int:  # the usual case, first
        return v
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


class _Ctx:
    """Looks values up in `cells` the way `mode` says, and remembers each table's numeric share.

    Why the indexes: every rule expansion sums a handful of keys, and a report has a few hundred expansions
    (run by `run_checks` and again by `parsers.repair`); reading each cell's value, flag and table once
    here makes every later lookup one dict access. `cells` must not change while the context is used
    (every caller builds a fresh context from the cells it evaluates).
    """

    def __init__(self, cells: Mapping[str, Mapping[str, Any]], mode: str) -> None:
        self.cells = cells
        self.mode = mode
        # keys per table, in `cells` order: every rule family asks "the keys of table X" (`_keys_of`)
        self.by_table: dict[str, list[str]] = {}
        self.values: dict[str, float | int | None] = {}  # key → number or None (`raw_value`)
        self.flags: dict[str, str] = {}  # key → flag as `flag()` reports it
        by_table, values, flags = self.by_table, self.values, self.flags
        counts: dict[str, list[int]] = {}
        blankish: list[tuple[str, str]] = []  # (key, table) of blank/dash/slash cells
        for key, cell in cells.items():
            table = _table_of(key)
            keys = by_table.get(table)
            if keys is None:
                by_table[table] = [key]
            else:
                keys.append(key)
            if cell is None:
                values[key] = None
                flags[key] = "missing"
                flag = value = None
            else:
                value = cell.get("value")
                if type(value) is not int:  # the usual case needs no conversion (`_number`'s first test)
                    value = _number(value)
                values[key] = value
                flag = cell.get("flag")
                flags[key] = str(flag or "ok")
            if flag in BLANKISH_FLAGS:
                blankish.append((key, table))
            if flag == "derived":
                continue
            c = counts.get(table)
            if c is None:
                c = counts[table] = [0, 0]
            if value is not None:
                c[0] += 1
                c[1] += 1
            elif flag not in BLANKISH_FLAGS:
                c[1] += 1
        self.numeric_share = {t: (n / tot if n else 0.0) for t, (n, tot) in counts.items()}
        # keys a lenient sum may take as 0 (`blank_is_zero`), decided once per cell
        self.zero_keys: frozenset[str] = frozenset(
            key
            for key, table in blankish
            if mode == LENIENT and self.numeric_share.get(table, 0.0) >= LENIENT_MIN_NUMERIC_SHARE
        )
        self._children: dict[str, list[str]] | None = None

    def present(self, key: str) -> bool:
        return key in self.cells

    def flag(self, key: str) -> str:
        return self.flags.get(key, "missing")

    def raw_value(self, key: str) -> float | int | None:
        return self.values.get(key)

    def blank_is_zero(self, key: str) -> bool:
        return key in self.zero_keys

    def children(self, prefix: str) -> list[str]:
        """The keys one level below `prefix` (which ends in "."), sorted: what a ``prefix*`` template
        names. Indexed on first use, once per context, instead of a scan of `cells` per expansion."""
        if self._children is None:
            index: dict[str, list[str]] = {}
            for k in self.cells:
                index.setdefault(k[: k.rfind(".") + 1], []).append(k)
            for keys in index.values():
                keys.sort()
            self._children = index
        return self._children.get(prefix, [])

    def side(self, keys: Sequence[str]) -> tuple[float | int | None, list[str]]:
        """Sum one side of a relation; returns (sum or None, keys that made it not assessable)."""
        get = self.values.get
        values = [get(k) for k in keys]  # raw_value
        if values.count(None) == len(values):  # nothing printed on this side: never a claim of 0
            return None, list(keys)
        total: float | int = 0
        bad: list[str] = []
        zero = self.zero_keys
        for k, v in zip(keys, values, strict=True):
            if v is not None:
                total += v
            elif k not in zero:
                bad.append(k)
        return (None, bad) if bad else (_tidy(total), [])

    def kind(self, keys: Iterable[str]) -> tuple[str, list[str]]:
        doubtful = [k for k in keys if self.present(k) and self.flag(k) not in CLEAN_FLAGS]
        return (EXTRACTION_SUSPECT if doubtful else SOURCE_INCONSISTENT), doubtful


def _tolerance(keys: Iterable[str]) -> float:
    # one scan of the joined keys instead of two string tests per key ("\0" occurs in no key, so a
    # key ending in "_wan" is exactly a "_wan\0" in the joined text)
    joined = "\0".join(keys) + "\0"
    return AMOUNT_TOLERANCE if "amount" in joined or "_wan\0" in joined else 0.0


def _compare(left: float | int, right: float | int, op: str, tol: float) -> bool:
    if op == "=":
        return abs(left - right) <= tol
    if op == "≤":
        return left <= right + tol
    return left + tol >= right


def _fail(ctx: _Ctx, res: CheckResult, keys: Iterable[str]) -> CheckResult:
    res.status = FAIL
    res.kind, doubtful = ctx.kind(keys)
    if doubtful:
        res.message += f"; doubtful flags on {', '.join(f'{k}={ctx.flag(k)}' for k in doubtful)}"
    return res


#: (id(templates), x) → (templates, expanded parts, the key list when no part is a wildcard). Each ``.*``
#: template is kept as its prefix (a 1-tuple) to be filled from the context. A pure function of the rule
#: tables (one entry per rule expansion); keyed by identity, checked on use, because hashing the tuple of
#: templates on every call costs more than the lookup saves.
_TEMPLATES: dict[
    tuple[int, str], tuple[tuple[str, ...], tuple[str | tuple[str], ...], tuple[str, ...] | None]
] = {}
_TEMPLATES_MAX = 4096


def _expand_templates(
    templates: tuple[str, ...], x: str
) -> tuple[tuple[str, ...], tuple[str | tuple[str], ...], tuple[str, ...] | None]:
    entry = _TEMPLATES.get((id(templates), x))
    if entry is None or entry[0] is not templates:
        out: list[str | tuple[str]] = []
        for t in templates:
            key = t.replace("{x}", x)
            out.append((key[:-1],) if key.endswith(".*") else key)
        parts = tuple(out)
        fixed = tuple(p for p in parts if type(p) is str)
        if len(_TEMPLATES) >= _TEMPLATES_MAX:  # rules built on the fly: keep the table bounded
            _TEMPLATES.clear()
        entry = (templates, parts, fixed if len(fixed) == len(parts) else None)
        _TEMPLATES[(id(templates), x)] = entry
    return entry


def _expand_keys(templates: Sequence[str], x: str, ctx: _Ctx, exclude: Sequence[str]) -> list[str]:
    _, parts, fixed = _expand_templates(tuple(templates), x)
    if fixed is not None:  # no wildcard: the same keys for every report
        return list(fixed)
    out: list[str] = []
    for part in parts:
        if type(part) is str:
            out.append(part)
        else:
            out.extend(k for k in ctx.children(part[0]) if k not in exclude)
    return out


def evaluate_rule(rule: Rule, x: str, ctx: _Ctx) -> CheckResult | None:
    """Evaluate one expansion of a linear rule; None when an optional rule's left key is absent."""
    left_keys = _expand_keys(rule.left, x, ctx, ())
    right_keys = _expand_keys(rule.right, x, ctx, left_keys)
    if rule.optional and not all(k in ctx.cells for k in left_keys):
        return None
    where = f" [{x}]" if x else ""
    res = CheckResult(
        rule.id,
        NOT_ASSESSABLE,
        rule.severity,
        ctx.mode,
        left_keys=left_keys,
        right_keys=right_keys,
        section=rule.section,
    )
    if not right_keys:
        res.message = f"{rule.id}{where}: no operands present ({rule.section})"
        return res
    lval, lbad = ctx.side(left_keys)
    rval, rbad = ctx.side(right_keys)
    res.left, res.right = lval, rval
    if lval is None or rval is None:
        missing = [k for k in (*lbad, *rbad) if not ctx.present(k)]
        nulls = [k for k in (*lbad, *rbad) if ctx.present(k)]
        parts = []
        if missing:
            parts.append(f"absent: {', '.join(missing[:4])}{' …' if len(missing) > 4 else ''}")
        if nulls:
            parts.append(f"null: {', '.join(nulls[:4])}{' …' if len(nulls) > 4 else ''}")
        res.message = f"{rule.id}{where}: not assessable in {ctx.mode} mode ({'; '.join(parts)})"
        return res
    ok = _compare(lval, rval, rule.op, _tolerance(left_keys + right_keys))
    res.message = (
        f"{rule.id}{where}: {lval} {rule.op} {rval} {'holds' if ok else 'violated'}"
        f" — {rule.description} ({rule.section})"
    )
    if ok:
        res.status = PASS
        return res
    return _fail(ctx, res, left_keys + right_keys)


def _table_absent(rule: Rule, ctx: _Ctx, label: str) -> CheckResult:
    return CheckResult(
        rule.id,
        NOT_ASSESSABLE,
        rule.severity,
        ctx.mode,
        message=f"{rule.id}: {label} not found in the cells ({rule.section})",
        section=rule.section,
    )


def run_rules(rules: Iterable[Rule], ctx: _Ctx, *, table: str = "", label: str = "") -> list[CheckResult]:
    """Evaluate data rules; a table with no cells at all gives one NOT_ASSESSABLE per rule, not one per
    column."""
    out: list[CheckResult] = []
    has_table = not table or table in ctx.by_table
    seen_absent: set[str] = set()
    for rule in rules:
        if not has_table:
            if not rule.optional and rule.id not in seen_absent:
                seen_absent.add(rule.id)
                out.append(_table_absent(rule, ctx, label))
            continue
        for x in rule.expand:
            r = evaluate_rule(rule, x, ctx)
            if r is not None:
                out.append(r)
    return out


# ----------------------------------------------------------------------------------------------------
# Predicates: sign and integrality


def _nonneg(
    rule_id: str,
    ctx: _Ctx,
    keys: Iterable[str],
    *,
    signed: Callable[[str], bool],
    decimal: Callable[[str], bool],
    section: str,
) -> CheckResult:
    checked, bad = 0, []
    worst: float | int | None = None
    values, flags = ctx.values, ctx.flags  # `raw_value` and `flag`, without a method call per key
    for k in keys:
        v = values.get(k)
        if v is None or flags.get(k) == "derived":
            continue
        checked += 1
        int_ok = decimal(k) or float(v).is_integer()
        sign_ok = signed(k) or v >= 0
        if not (int_ok and sign_ok):
            bad.append(k)
            worst = v if worst is None or v < worst else worst
    res = CheckResult(rule_id, NOT_ASSESSABLE, "S", ctx.mode, section=section)
    if not checked:
        res.message = f"{rule_id}: no numeric cells to check ({section})"
        return res
    if not bad:
        res.status = PASS
        res.message = f"{rule_id}: {checked} cells are non-negative and well-typed ({section})"
        return res
    res.left, res.right, res.left_keys = worst, 0, bad
    res.message = (
        f"{rule_id}: {len(bad)} of {checked} cells negative or non-integral: "
        + ", ".join(f"{k}={ctx.raw_value(k)}" for k in bad[:6])
        + f" ({section})"
    )
    return _fail(ctx, res, bad)


def _keys_of(ctx: _Ctx, table: str) -> list[str]:
    return list(ctx.by_table.get(table, ()))


def _never(key: str) -> bool:
    return False


def _is_amount(key: str) -> bool:
    return "amount" in key or key.endswith("_wan")


def check_nonneg(ctx: _Ctx) -> list[CheckResult]:
    """T3-NONNEG, T4-NONNEG (§7.1–7.2), T2-NONNEG (§7.3; 本年增/减 is signed, 万元 amounts are decimals) and
    L14-NONNEG (§8.3; fees_wan and budget_wan are decimals)."""
    out = []
    if _keys_of(ctx, "t3"):
        out.append(
            _nonneg("T3-NONNEG", ctx, _keys_of(ctx, "t3"), signed=_never, decimal=_never, section="§7.1")
        )
    if _keys_of(ctx, "t4"):
        out.append(
            _nonneg("T4-NONNEG", ctx, _keys_of(ctx, "t4"), signed=_never, decimal=_never, section="§7.2")
        )
    if _keys_of(ctx, "t2"):
        out.append(
            _nonneg(
                "T2-NONNEG",
                ctx,
                _keys_of(ctx, "t2"),
                signed=lambda k: k.endswith(".delta_items"),
                decimal=lambda k: _is_amount(k) or k.startswith("active.ext."),
                section="§7.3",
            )
        )
    if _keys_of(ctx, "legacy"):
        out.append(
            _nonneg(
                "L14-NONNEG",
                ctx,
                _keys_of(ctx, "legacy"),
                signed=_never,
                decimal=lambda k: _is_amount(k) or k.startswith("legacy.ext."),
                section="§8.3",
            )
        )
    return out


def check_fee_unit(ctx: _Ctx) -> list[CheckResult]:
    """T2-UNIT (H, §7.3): 行政事业性收费 above `FEE_YUAN_SUSPECT_WAN` 万元 is a yuan figure in a 万元
    column."""
    key = "active.fees.amount_wan"
    res = CheckResult("T2-UNIT", NOT_ASSESSABLE, "H", ctx.mode, left_keys=[key], section="§7.3")
    v = ctx.raw_value(key)
    if v is None:
        res.message = f"T2-UNIT: {key} absent or null (§7.3)"
        return [res]
    res.left, res.right = v, FEE_YUAN_SUSPECT_WAN
    if v <= FEE_YUAN_SUSPECT_WAN:
        res.status = PASS
        res.message = f"T2-UNIT: {v} 万元 is a plausible amount (§7.3)"
        return [res]
    res.message = (
        f"T2-UNIT: {v} 万元 (= {v / 10_000:g} 亿元) looks like yuan typed under a 万元 header (§7.3)"
    )
    return [_fail(ctx, res, [key])]


# ----------------------------------------------------------------------------------------------------
# Predicates: narrative text


_N = r"(?P<n>\d+|[零〇一二两三四五六七八九十百千]+)"
_CLAUSE_SPLIT = re.compile(r"[,，]")
_YEAR = re.compile(r"(?:19|20)\d{2}年(?:度)?")
_COMPARATIVE = re.compile(r"同比|较上年|比上年|较去年|比去年|增长|下降|增加|减少")
_APPS = r"(?:政府信息公开|信息公开|依申请公开|公开)?(?:的)?申请"


@dataclass(frozen=True, slots=True)
class TextQuantity:
    """A number the narrative states, the regexes that find it, and the table keys it must equal.

    `keys` alternatives: the statement passes if it equals the sum of any one alternative (共收到申请X件 is
    sometimes new, sometimes new + carried over). `zero` patterns are negations (未收到…申请) meaning 0.
    """

    rule: str
    name: str
    patterns: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    zero: tuple[str, ...] = ()
    skip_comparative: bool = True


def _t(*keys: str) -> tuple[str, ...]:
    return keys


T3_TEXT = (
    TextQuantity(
        "T3-TEXT",
        "本年新收申请",
        (rf"本年(?:度)?新收(?:到)?{_APPS}(?:数量)?(?:为|共|共计)?{_N}(?:件|份|个|条)",),
        (_t(_a("new", "total")),),
        zero=(
            r"(?:未|没有)(?:收到|受理|接到|接收)[^0-9]{0,16}?(?:政府信息公开|信息公开|依申请公开)(?:的)?(?:申请|事项)",
            r"(?:未|没有)(?:收到|受理|接到|接收)(?:任何)?(?:依申请公开|政府信息公开申请)",
        ),
    ),
    TextQuantity(
        "T3-TEXT",
        "收到/受理申请",
        (
            rf"(?:共|全年|累计|总共|合计)?(?:收到|受理|接到|接收)(?:了)?(?:群众|公民|各类|社会公众)?(?:提出的)?"
            rf"{_APPS}(?:共|共计|总数|数量)?(?:为)?{_N}(?:件|份|个|条|宗)",
            rf"(?:共|全年|累计|总共|合计)?(?:收到|受理|接到|接收)(?:了)?{_N}(?:件|份|个|条|宗)"
            r"(?:政府信息公开|信息公开|依申请公开)(?:的)?申请",
        ),
        (_t(_a("new", "total")), _t(_a("new", "total"), _a("carried_over", "total"))),
    ),
    TextQuantity(
        "T3-TEXT",
        "上年结转",
        (
            rf"上(?:一)?年(?:度)?结转(?:的)?(?:政府信息公开|信息公开)?(?:申请)?(?:数量)?(?:为|共)?{_N}(?:件|份|个|条)",
            rf"结转上(?:一)?年(?:度)?(?:的)?(?:政府信息公开|信息公开)?(?:申请)?{_N}(?:件|份|个|条)",
        ),
        (_t(_a("carried_over", "total")),),
        zero=(
            r"^无(?:\d{4}年(?:度)?)?(?:上(?:一)?年(?:度)?)?结转",
            r"(?:没有|未有)(?:\d{4}年(?:度)?)?(?:上(?:一)?年(?:度)?)?结转",
        ),
    ),
    TextQuantity(
        "T3-TEXT",
        "结转下年度",
        (
            rf"结转(?:至|到)?下(?:一)?年(?:度)?(?:继续)?(?:办理|答复)?(?:的)?(?:申请)?(?:数量)?(?:为|共)?{_N}(?:件|份|个|条)",
            rf"{_N}(?:件|份|个|条)(?:申请)?(?:结转|顺延|转入)(?:至|到)?下(?:一)?年(?:度)?",
        ),
        (_t(_a("carried_forward", "total")),),
    ),
    TextQuantity(
        "T3-TEXT", "予以公开", (rf"(?<![不部])予以公开{_N}(?:件|份|个|条)",), (_t(_a("granted", "total")),)
    ),
    TextQuantity("T3-TEXT", "部分公开", (rf"部分公开{_N}(?:件|份|个|条)",), (_t(_a("partial", "total")),)),
    TextQuantity(
        "T3-TEXT",
        "不予公开",
        (rf"不予公开{_N}(?:件|份|个|条)",),
        (tuple(_a(r, "total") for r in DENIED), _t(_a("denied.subtotal", "total"))),
    ),
    TextQuantity(
        "T3-TEXT",
        "无法提供",
        (rf"无法提供{_N}(?:件|份|个|条)",),
        (tuple(_a(r, "total") for r in UNABLE), _t(_a("unable.subtotal", "total"))),
    ),
    TextQuantity(
        "T3-TEXT",
        "不予处理",
        (rf"不予处理{_N}(?:件|份|个|条)",),
        (tuple(_a(r, "total") for r in NOT_PROCESSED), _t(_a("not_processed.subtotal", "total"))),
    ),
    TextQuantity(
        "T3-TEXT",
        "其他处理",
        (rf"其他处理{_N}(?:件|份|个|条)",),
        (tuple(_a(r, "total") for r in OTHER_2021), _t(_a("other.subtotal", "total"))),
    ),
)
_NO_DIGITS_NEG = r"^[^0-9]*(?:未|没有|无)[^0-9]*{what}[^0-9]*$"
T4_TEXT = (
    TextQuantity(
        "T4-TEXT",
        "行政复议",
        (
            rf"行政复议(?:案件)?(?:共|共计|合计|总计)?(?:为)?{_N}(?:件|起|宗|个)",
            rf"{_N}(?:件|起|宗)(?:政府信息公开)?(?:类)?行政复议",
        ),
        (_t("review.total"),),
        zero=(_NO_DIGITS_NEG.format(what="行政复议"), r"行政复议[^0-9]*(?:均为|都为|皆为)(?:0|零)"),
    ),
    TextQuantity(
        "T4-TEXT",
        "行政诉讼",
        (
            rf"行政诉讼(?:案件)?(?:共|共计|合计|总计)?(?:为)?{_N}(?:件|起|宗|个)",
            rf"{_N}(?:件|起|宗)(?:政府信息公开)?(?:类)?行政诉讼",
        ),
        (_t("litigation.direct.total", "litigation.after_review.total"), _t("litigation.total.total")),
        zero=(_NO_DIGITS_NEG.format(what="行政诉讼"), r"行政诉讼[^0-9]*(?:均为|都为|皆为)(?:0|零)"),
    ),
)
_T2_VERB = r"(?:制发|印发|出台|制定)"
T2_TEXT_2021 = (
    TextQuantity(
        "T2-TEXT",
        "制发行政规范性文件",
        (rf"{_T2_VERB}(?:行政)?规范性文件(?:共)?{_N}(?:件|个|份)",),
        (_t("active.normative_docs.issued"),),
    ),
    TextQuantity(
        "T2-TEXT",
        "制发规章",
        (rf"{_T2_VERB}(?:政府)?规章(?:共)?{_N}(?:件|部|个)",),
        (_t("active.regulations.issued"),),
    ),
)
T2_TEXT_2019 = (
    TextQuantity(
        "T2-TEXT",
        "制发规范性文件",
        (rf"{_T2_VERB}(?:行政)?规范性文件(?:共)?{_N}(?:件|个|份)",),
        (_t("active.normative_docs.new_made"),),
    ),
    TextQuantity(
        "T2-TEXT",
        "制发规章",
        (rf"{_T2_VERB}(?:政府)?规章(?:共)?{_N}(?:件|部|个)",),
        (_t("active.regulations.new_made"),),
    ),
)
T2_TEXT_COMMON = (
    TextQuantity(
        "T2-TEXT",
        "行政许可决定",
        (rf"(?:作出|办结)行政许可(?:决定)?(?:共)?{_N}(?:件|宗)",),
        (_t("active.licensing.decisions"),),
    ),
    TextQuantity(
        "T2-TEXT",
        "行政处罚决定",
        (
            rf"(?:作出|办结|实施|查处)行政处罚(?:决定|案件)?(?:共)?{_N}(?:件|起|宗)",
            r"行政处罚决定(?:共)?(?P<n>\d+)(?:件|起|宗)",
        ),
        (_t("active.penalty.decisions"),),
    ),
    TextQuantity(
        "T2-TEXT",
        "行政强制决定",
        (rf"(?:作出|实施)行政强制(?:决定|措施)?(?:共)?{_N}(?:件|起|宗)",),
        (_t("active.coercion.decisions"),),
    ),
)
L14_TEXT = (
    TextQuantity(
        "L14-TEXT",
        "收到申请",
        (
            rf"(?:共|全年|累计|总共|合计)?(?:收到|受理|接到)(?:了)?(?:群众|公民|各类)?(?:提出的)?{_APPS}"
            rf"(?:共|共计|总数|数量)?(?:为)?{_N}(?:件|份|个|条|宗)",
            rf"(?:共|全年|累计|总共|合计)?(?:收到|受理|接到)(?:了)?{_N}(?:件|份|个|条|宗)(?:政府信息公开|信息公开)?(?:的)?申请",
        ),
        (_t("legacy.apps.received.total"),),
        zero=(
            r"(?:未|没有)(?:收到|受理|接到|接收)[^0-9]{0,16}?(?:政府信息公开|信息公开|依申请公开)(?:的)?(?:申请|事项)",
        ),
    ),
)


@memoize(maxsize=64, max_chars=None)  # every TextQuantity of a family reads the same section text
def _clauses(text: str) -> tuple[str, ...]:
    out: list[str] = []
    # lines are joined first: PDF text layers wrap sentences ("另有 103\n件顺延到下年度")
    for sentence in re.split(r"[。；;！!？?]", text):
        for clause in _CLAUSE_SPLIT.split(sentence):
            c = squash(clause).strip("()（）[]")
            if c:
                out.append(c)
    return tuple(out)


@memoize(maxsize=1024, max_chars=None)
def _pattern(pat: str) -> re.Pattern[str]:
    """A narrative pattern, compiled once (each is tried on every clause of every report)."""
    return re.compile(pat)


#: a quantity's patterns → compiled (pure function of the rule tables; saves a memo call per clause)
_COMPILED: dict[tuple[str, ...], tuple[re.Pattern[str], ...]] = {}


def _patterns(pats: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    compiled = _COMPILED.get(pats)
    if compiled is None:
        compiled = _COMPILED[pats] = tuple(_pattern(p) for p in pats)
    return compiled


@memoize(maxsize=64, max_chars=None)  # like `_clauses`: one section text, every TextQuantity of a family
def _clause_info(text: str) -> tuple[tuple[str, bool, str], ...]:
    """(clause, whether it is comparative, the clause without its years) for each clause of `text`:
    both are the same for every quantity, so they are computed once per clause, not per quantity."""
    return tuple((c, _COMPARATIVE.search(c) is not None, _YEAR.sub("", c)) for c in _clauses(text))


def find_statements(text: str, quantity: TextQuantity) -> list[tuple[int, str]]:
    """Every (number, clause) the narrative states for `quantity` (negations give 0)."""
    found: list[tuple[int, str]] = []
    patterns = _patterns(tuple(quantity.patterns))
    zeros = _patterns(tuple(quantity.zero)) if quantity.zero else ()
    skip_comparative = quantity.skip_comparative
    for clause, comparative, yearless in _clause_info(text):
        if skip_comparative and comparative:
            continue
        hit = False
        for pat in patterns:
            for m in pat.finditer(clause):
                n = cn_to_int(m["n"])
                if n is not None:
                    found.append((n, clause))
                    hit = True
        if not hit and zeros and any(z.search(yearless) for z in zeros):
            found.append((0, clause))
    return found


def _text_checks(
    quantities: Sequence[TextQuantity], text: str, ctx: _Ctx, rule_id: str, section: str
) -> list[CheckResult]:
    out: list[CheckResult] = []
    for q in quantities:
        statements = find_statements(text, q)
        if not statements:
            continue
        said = sorted({n for n, _ in statements})
        quoted = "；".join(dict.fromkeys(c for _, c in statements))[:160]
        res = CheckResult(
            rule_id, NOT_ASSESSABLE, "R", ctx.mode, left=said[0], left_keys=list(q.keys[0]), section=section
        )
        assessable = [(alt, v) for alt in q.keys if (v := ctx.side(alt)[0]) is not None]
        if not assessable:
            res.message = (
                f"{rule_id} {q.name}: text says {said} but the table cells are not assessable"
                f" — 「{quoted}」 ({section})"
            )
            out.append(res)
            continue
        alt, value = next(((a, v) for a, v in assessable if v in said), assessable[0])
        res.left_keys, res.right = list(alt), value
        if value in said:
            res.left, res.status = value, PASS
            res.message = (
                f"{rule_id} {q.name}: text says {value}, table has {value} — 「{quoted}」 ({section})"
            )
            out.append(res)
            continue
        res.message = (
            f"{rule_id} {q.name}: text says {', '.join(map(str, said))}, table has {value}"
            f" — 「{quoted}」 ({section})"
        )
        out.append(_fail(ctx, res, alt))
    if not out:
        out.append(
            CheckResult(
                rule_id,
                NOT_ASSESSABLE,
                "R",
                ctx.mode,
                section=section,
                message=f"{rule_id}: no narrative statement found to compare ({section})",
            )
        )
    return out


def _section_text(sections: Mapping[str, str] | None, names: Sequence[str]) -> str | None:
    if sections is None:
        return None
    return "\n".join(sections.get(n) or "" for n in names)


_FEE_MENTION = re.compile(r"收费通知|信息处理费|处理费")
_FEE_COLLECTED = re.compile(
    r"(?:收取|收缴|实收)(?:政府信息公开)?(?:信息)?处理费(?:共|合计)?(?P<n>\d+(?:\.\d+)?)(?P<u>万?元)"
)


def check_fee_text(ctx: _Ctx, sections: Mapping[str, str] | None) -> list[CheckResult]:
    """T3-FEE (R/H, §7.1): 2021 （六）2 逾期未按收费通知 > 0 should be reflected in section 六; and 信息处理费
    collected (> 0) implies applications existed. Only the second is a hard bound and can FAIL (severity
    H)."""
    res = CheckResult("T3-FEE", NOT_ASSESSABLE, "H", ctx.mode, section="§7.1")
    other = (sections or {}).get("other")
    if sections is None or other is None:
        res.message = "T3-FEE: section 六 text not available (§7.1)"
        return [res]
    s = squash(other)
    collected = [float(m["n"]) * (10_000 if m["u"] == "万元" else 1) for m in _FEE_COLLECTED.finditer(s)]
    received, _ = ctx.side((_a("new", "total"), _a("carried_over", "total")))
    if collected and max(collected) > 0 and received == 0:
        res.left, res.right = max(collected), 0
        res.left_keys = [_a("new", "total"), _a("carried_over", "total")]
        res.message = (
            f"T3-FEE: section 六 reports {max(collected):g} 元 信息处理费 collected, but the table has no"
            " applications (§7.1)"
        )
        return [_fail(ctx, res, res.left_keys)]
    fee_key = _a("other.overdue_fee", "total")
    overdue = ctx.raw_value(fee_key)
    mentions = bool(_FEE_MENTION.search(s))
    if overdue is not None and overdue > 0:
        res.left_keys, res.left = [fee_key], overdue
        if mentions:
            res.status = PASS
            res.message = (
                f"T3-FEE: {overdue} requests lapsed over unpaid fees and section 六 mentions fees (§7.1)"
            )
        else:
            res.message = (
                f"T3-FEE: {overdue} requests lapsed over unpaid fees but section 六 says nothing about"
                " 收费通知/信息处理费 (soft expectation, not a failure) (§7.1)"
            )
        return [res]
    if collected:
        res.status = PASS
        res.message = (
            f"T3-FEE: section 六 reports 信息处理费 {max(collected):g} 元, consistent with the table (§7.1)"
        )
        return [res]
    res.message = "T3-FEE: no fee lapse in table 三 and no fee amount in section 六 (§7.1)"
    return [res]


# ----------------------------------------------------------------------------------------------------
# Entry points


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")


def _version(table_versions: Mapping[str, str] | None, table: str) -> str | None:
    tv = table_versions or {}
    return tv.get(table) or tv.get(f"{table}_version")


def infer_table3_version(cells: Mapping[str, Any]) -> str | None:
    """gov2021 if any （六） 2021 leaf is present, gov2019 if only the undivided row is, else None (§4.3)."""
    if any(_a(r, c) in cells for r in OTHER_2021 for c in C7):
        return GOV2021
    if any(
        _a("other.subtotal", c) in cells and (cells[_a("other.subtotal", c)] or {}).get("flag") != "derived"
        for c in C7
    ):
        return GOV2019
    return None


def infer_table2_version(cells: Mapping[str, Any]) -> str | None:
    """gov2021 from 本年制发/现行有效 keys, gov2019 from 新制作/上一年项目 keys (§3.3), else None."""
    keys = " ".join(k for k in cells if k.startswith("active."))
    if re.search(r"\.(issued|repealed|in_force)\b", keys) or "active.fees.amount_wan" in keys:
        return GOV2021
    if re.search(r"\.(new_made|new_published|total_published|prev_items|delta_items)\b|procurement", keys):
        return GOV2019
    return None


def _t3_rules(t3v: str | None, cells: Mapping[str, Any]) -> tuple[Rule, ...]:
    leaves_2021 = any(_a(r, c) in cells for r in OTHER_2021 for c in C7)
    undivided = any(_a("other.subtotal", c) in cells for c in C7)
    if t3v == GOV2019 or (
        undivided and not leaves_2021
    ):  # 2019, or a 2021 table keeping one （六） row (001)
        return RULES_T3 + RULES_T3_2019 + RULES_T3_SUBTOT
    return RULES_T3 + RULES_T3_2021 + RULES_T3_SUBTOT


def run_checks(
    cells: Mapping[str, Mapping[str, Any]],
    *,
    format_version: str,
    table_versions: Mapping[str, str] | None = None,
    sections: Mapping[str, str] | None = None,
    mode: str = LENIENT,
) -> list[CheckResult]:
    """Run every single-report rule of format-spec §7 and §8.3 that applies to this report.

    `cells` maps canonical key → ``{"value", "raw", "flag", ...}``. `table_versions` may give ``table2`` /
    ``table3`` (or ``table2_version`` / ``table3_version``); otherwise `format_version`, otherwise the keys
    present decide. `sections` (from `parsers.sections.split_sections`) feeds the narrative rules; without it
    they are NOT_ASSESSABLE. Modern rule families run for gov2019/gov2021 reports or whenever their keys are
    present; legacy families for legacy_* reports or whenever ``legacy.*`` keys are present.
    """
    _check_mode(mode)
    ctx = _Ctx(cells, mode)
    modern = format_version in (GOV2019, GOV2021) or any(t in ctx.by_table for t in ("t2", "t3", "t4"))
    legacy = format_version.startswith("legacy") or "legacy" in ctx.by_table
    version = format_version if format_version in (GOV2019, GOV2021) else None
    out: list[CheckResult] = []
    if modern:
        t3v = _version(table_versions, "table3") or version or infer_table3_version(cells)
        t2v = _version(table_versions, "table2") or version or infer_table2_version(cells)
        out += run_rules(_t3_rules(t3v, cells), ctx, table="t3", label="table 三")
        out += run_rules(RULES_T4, ctx, table="t4", label="table 四")
        if t2v == GOV2019:
            out += run_rules(RULES_T2_2019, ctx, table="t2", label="table 二")
        if _keys_of(ctx, "t2"):
            out += check_fee_unit(ctx)
        out += check_fee_text(ctx, sections)
        out += _narrative(ctx, sections, T3_TEXT, ("overview", "applications", "preamble"), "T3-TEXT", "§7.1")
        out += _narrative(
            ctx, sections, T4_TEXT, ("overview", "review_litigation", "applications"), "T4-TEXT", "§7.2"
        )
        t2q = (T2_TEXT_2019 if t2v == GOV2019 else T2_TEXT_2021) + T2_TEXT_COMMON
        out += _narrative(ctx, sections, t2q, ("overview", "active"), "T2-TEXT", "§7.3")
    if legacy:
        out += run_rules(RULES_L14, ctx)
        out += _narrative(ctx, sections, L14_TEXT, ("overview", "applications"), "L14-TEXT", "§8.3")
    out += check_nonneg(ctx)
    return out


def _narrative(
    ctx: _Ctx,
    sections: Mapping[str, str] | None,
    quantities: Sequence[TextQuantity],
    names: Sequence[str],
    rule_id: str,
    section: str,
) -> list[CheckResult]:
    text = _section_text(sections, names)
    if text is None:
        return [
            CheckResult(
                rule_id,
                NOT_ASSESSABLE,
                "R",
                ctx.mode,
                section=section,
                message=f"{rule_id}: no section text given ({section})",
            )
        ]
    return _text_checks(quantities, text, ctx, rule_id, section)


def run_cross_year_checks(
    prev_cells: Mapping[str, Mapping[str, Any]],
    cells: Mapping[str, Mapping[str, Any]],
    *,
    prev_table_versions: Mapping[str, str] | None = None,
    table_versions: Mapping[str, str] | None = None,
    mode: str = LENIENT,
) -> list[CheckResult]:
    """Rules linking year N−1 (`prev_cells`) to year N (`cells`) of the same agency and scope (§7.1, §7.3).

    The store calls this when both years exist. Previous-year keys appear in results as ``prev:<key>``.
    """
    _check_mode(mode)
    merged: dict[str, Mapping[str, Any]] = dict(cells)
    merged.update({f"prev:{k}": v for k, v in prev_cells.items()})
    ctx = _Ctx(merged, mode)
    out = run_rules(RULES_XYEAR_T3, ctx)
    v_prev = _version(prev_table_versions, "table2") or infer_table2_version(prev_cells)
    v_now = _version(table_versions, "table2") or infer_table2_version(cells)
    if v_prev == v_now == GOV2021:
        out += run_rules(RULES_XYEAR_T2_2021, ctx)
    elif v_prev == v_now == GOV2019:
        out += run_rules(RULES_XYEAR_T2_2019, ctx)
    return out


# ----------------------------------------------------------------------------------------------------
# For parsers.repair: the linear rules a report is held to, and the evaluation context (small public surface)

EvalContext = _Ctx


def linear_rules(
    cells: Mapping[str, Mapping[str, Any]],
    *,
    format_version: str,
    table_versions: Mapping[str, str] | None = None,
) -> tuple[Rule, ...]:
    """The data rules (`RULES_*`) `run_checks` applies to `cells`: the identities `parsers.repair` asks a
    re-segmentation of split or glued digits to satisfy. Narrative and predicate rules are not included."""
    present = {_table_of(k) for k in cells}
    modern = format_version in (GOV2019, GOV2021) or bool(present & {"t2", "t3", "t4"})
    legacy = format_version.startswith("legacy") or "legacy" in present
    version = format_version if format_version in (GOV2019, GOV2021) else None
    out: tuple[Rule, ...] = ()
    if modern:
        t3v = _version(table_versions, "table3") or version or infer_table3_version(cells)
        out += _t3_rules(t3v, cells) + RULES_T4
    if legacy:
        out += RULES_L14
    return out
