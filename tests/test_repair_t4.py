"""parsers.repair on table 四 (and honest flags on table 二): glued and split digits, text and HTML.

Table 四's data row is 15 numbers in three groups of five, each group one identity (T4-REV, T4-LITD,
T4-LITR: 总计 = the sum of the other four, format-spec §7.2). A text layer that glues the row
(``713000074…``), one group, or splits one figure into two cells loses the boundaries; the repair must
put them back only when exactly one reading satisfies every identity, flag the row otherwise, and never
return a wrong number under a clean flag. Table 二 has no identity: a damaged row there is only flagged.

For every seed × damage kind × carrier (seed text, pipe text, HTML) × table 四 layout (one 15-number row,
transposed 3 × 5, split into 复议 and 诉讼 tables): each damaged cell is right and ``repaired_by_constraint``
with evidence, or ``extraction_suspect``; every other cell is right, and unflagged unless the carrier
itself lost its row (then it may come back right, by constraint, with evidence).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from parsers.repair import MAX_STEPS, REPAIRED, SUSPECT, Stated, Suspect, Token, extra_cells, solve_row
from parsers.report import parse
from tests.forge.data import ReportData, make_report
from tests.forge.layout import Layout
from tests.forge.render_damaged import T2_DAMAGES, T4_DAMAGES, Damage, render_damaged
from tests.test_forge_parse import same_value

SEEDS = 6
T4_LAYOUTS = ("standard", "transposed", "split")
# the carriers each layout is read from cleanly when undamaged (pipe text cannot carry the transposed
# layout's two-column group label: its review row is lost before any damage, see test below)
CARRIERS = {
    "standard": ("seed", "pipe", "html"),
    "transposed": ("seed", "html"),
    "split": ("seed", "pipe", "html"),
}
# Share of damaged rows that must come back exactly by constraint (the rest flagged, never wrong). A row
# of five (transposed, split, one glued group) has one identity for four boundaries: measured 29 of 30
# per kind and carrier (the miss: 10|1|0|0|11-like ties). The full 15-number row has three identities for
# 14 boundaries — a glued row whose digits all run together is often ambiguous: measured 2 of 6 per
# carrier (4 flagged, 0 wrong; the ties are inside one group, so its total — and the narrative's
# 行政复议X件 — cannot tell them apart), so its floor only proves the search reaches an answer at all.
# A split row keeps its other 14 printed boundaries: re-joining adjacent cells first, measured 6 of 6 per
# layout and carrier on these seeds (before: 2 of 6 on the 15-number row, 5 of 6 split) and 23 of 24
# (standard), 22 of 24 (transposed), 24 of 24 (split) on seeds 6–29, 0 wrong.
REPAIR_FLOOR = 0.8
WHOLE_ROW_FLOOR = 0.25


def _floor(kind: str, layout: str, style: str) -> float:
    """The whole 15-number row is searched digit by digit when the damage is not confined to one group's
    cells: a glue of the row, or a group glued last in a pipe line (the empty cells after it are not
    printed, so the row is short). A split keeps its printed boundaries and is held to the full floor."""
    if layout != "standard" or kind == "t4_split" or (kind == "t4_glue_group" and style != "pipe"):
        return REPAIR_FLOOR
    return WHOLE_ROW_FLOOR


def _data(seed: int) -> ReportData:
    """City-sized table 四 figures (a small agency's is mostly zeros: nothing to glue), both eras."""
    return make_report(
        900 + seed, format_version="gov2019" if seed % 2 else "gov2021", profile="city", blanks="none"
    )


@dataclass
class Outcome:
    damaged: Counter[str] = field(default_factory=Counter)  # per damaged key: repaired / suspect / read
    rescued: int = 0  # undamaged cells the carrier lost with the damaged row's shape, repaired right
    problems: list[str] = field(default_factory=list)


def _judge(data: ReportData, info: Damage, res: Any, zone: set[str]) -> Outcome:
    """Every broken promise: a wrong value under any flag but ``extraction_suspect``, a damaged cell lost,
    a repair without evidence, an undamaged cell outside `zone` hurt or doubted."""
    out = Outcome()
    for k in info.keys:
        c = res.cells.get(k)
        if c is None:
            out.problems.append(f"{k}: damaged cell lost (neither a value nor a flag)")
        elif c["flag"] == SUSPECT:
            out.damaged["suspect"] += 1
        elif not same_value(data.cells[k], c["value"]):
            out.problems.append(f"{k}: wrong {c['value']!r} ({c['flag']}), printed {data.cells[k]}")
        elif c["flag"] == REPAIRED:
            ev = c.get("evidence") or {}
            if not ev.get("identities") or not ev.get("original_raw"):
                out.problems.append(f"{k}: repaired without evidence ({ev})")
            out.damaged["repaired"] += 1
        else:
            out.damaged["read"] += 1
    for k, want in data.cells.items():
        if k in info.keys:
            continue
        c = res.cells.get(k)
        if c is None or not same_value(want, c["value"]):
            if k in zone and c is not None and c["flag"] == SUSPECT:
                continue
            out.problems.append(f"{k}: undamaged cell read {c and c['value']!r}, printed {want}")
        elif c["flag"] == SUSPECT and k not in zone:
            out.problems.append(f"{k}: undamaged cell flagged {SUSPECT}")
        elif c["flag"] == REPAIRED:
            if not (c.get("evidence") or {}).get("identities"):
                out.problems.append(f"{k}: re-read without evidence")
            out.rescued += 1
    for chk in res.checks:  # the data are consistent: a failing identity is never the source's fault
        if chk["status"] == "FAIL" and chk["kind"] == "source_inconsistent":
            out.problems.append(f"{chk['rule']} blamed on the source: {chk['message']}")
    return out


def _cases() -> list[tuple[str, str, str]]:
    return [
        (kind, layout, style)
        for kind in T4_DAMAGES
        for layout in T4_LAYOUTS
        for style in CARRIERS[layout]
        if style == "html" or not kind.endswith("glue_span")
    ]


@pytest.mark.parametrize(("kind", "layout", "style"), _cases(), ids=["-".join(c) for c in _cases()])
def test_t4_damage_is_repaired_or_flagged_never_silent(kind: str, layout: str, style: str) -> None:
    problems: list[str] = []
    damaged = exact = 0
    tally: Counter[str] = Counter()
    for seed in range(SEEDS):
        data = _data(seed)
        content, ct, fn, info = render_damaged(data, Layout(t4=layout), damage=kind, style=style)
        if info is None:
            continue
        damaged += 1
        res = parse(content, content_type=ct, url=f"http://www.forge.gov.cn/{fn}")
        # a damaged row can cost its siblings their mapping (a split widens the grid; a pipe line drops
        # trailing blanks): they are re-read as dropped rows, and may be flagged — never wrong and clean
        zone = {k for k in data.cells if k.startswith(("review.", "litigation."))}
        out = _judge(data, info, res, zone=zone)
        problems += [f"seed {seed} {info.printed!r}: {p}" for p in out.problems]
        tally.update(out.damaged)
        if set(out.damaged) == {"repaired"}:
            exact += 1
    print(f"{kind}/{layout}/{style}: {exact} of {damaged} damaged rows repaired exactly; cells {dict(tally)}")
    assert not problems, "\n".join(problems)
    assert damaged >= SEEDS - 1, f"only {damaged} of {SEEDS} reports had a table 四 row to damage"
    assert exact >= _floor(kind, layout, style) * damaged, f"{exact} of {damaged} repaired exactly"


def test_group_glue_leaves_the_other_groups_as_read() -> None:
    """One group glued in a 15-number row: only its five cells are searched and flagged; the other ten
    are printed cell by cell, hold their identities, and keep their clean flags."""
    seen = 0
    for seed in range(SEEDS):
        data = _data(seed)
        content, ct, fn, info = render_damaged(data, damage="t4_glue_group", style="seed")
        if info is None:
            continue
        seen += 1
        res = parse(content, content_type=ct, url=f"http://www.forge.gov.cn/{fn}")
        others = [k for k in data.cells if k.startswith(("review.", "litigation.")) and k not in info.keys]
        assert len(others) == 10
        assert all(
            res.cells[k]["flag"] == "ok" and same_value(data.cells[k], res.cells[k]["value"]) for k in others
        )
        assert {res.cells[k]["flag"] for k in info.keys} <= {REPAIRED, SUSPECT}
    assert seen >= SEEDS - 1


def _suspect(digits: str) -> Suspect:
    keys = [
        f"{g}.{c}"
        for g in ("review", "litigation.direct", "litigation.after_review")
        for c in ("upheld", "corrected", "other", "pending", "total")
    ]
    return Suspect(
        "t4", 0, 3, keys, [Token(digits, True, {"col_idx": 0})], [digits], "glued-with-blanks", True
    )


def test_issue_example_glued_row_is_searched_by_group() -> None:
    """The issue's ``713000074…`` kind of run: far more segmentations than `MAX_STEPS` (C(33, 14) ≈ 8·10⁸),
    but pruned group by group it is solved, with the one reading that holds."""
    row = ["7", "13", "0", "0", "20", "0", "0", "0", "74", "74", "5", "6", "0", "1", "12"]
    sol = solve_row(_suspect("".join(row)), {}, "gov2021", None, "lenient")
    good, evidence, tried, complete = sol.good, sol.evidence, sol.tried, sol.complete
    assert complete and tried < MAX_STEPS
    assert [[t for t, _ in g] for g in good] == [row]
    assert set(evidence) == {"T4-REV", "T4-LITD", "T4-LITR"}


def test_ambiguous_glued_group_is_not_guessed() -> None:
    """``1010011`` is 10|1|0|0|11 and 1|0|10|0|11: both hold T4-REV, so neither may be written."""
    s = _suspect("1010011")
    s.keys = s.keys[:5]
    sol = solve_row(s, {}, "gov2021", None, "lenient")
    good, complete = sol.good, sol.complete
    assert complete
    assert sorted("|".join(t for t, _ in g) for g in good) == ["10|1|0|0|11", "1|0|10|0|11"]


@pytest.mark.parametrize("kind", ["t4_glue_group", "t4_glue_blanks"])
def test_ambiguous_row_is_flagged_in_the_report(kind: str) -> None:
    """The same ambiguity through the parser (every group 10|1|0|0|11): the damaged cells all flagged
    ``extraction_suspect``, none repaired, none given a value under a clean flag."""
    base = _data(0)
    cells = dict(base.cells)
    for g in ("review", "litigation.direct", "litigation.after_review"):
        cells.update(
            {f"{g}.upheld": 10, f"{g}.corrected": 1, f"{g}.other": 0, f"{g}.pending": 0, f"{g}.total": 11}
        )
    data = replace(base, cells=cells)
    content, ct, fn, info = render_damaged(data, damage=kind, style="seed")
    assert info is not None and "1010011" in info.printed
    res = parse(content, content_type=ct, url=f"http://www.forge.gov.cn/{fn}")
    assert {res.cells[k]["flag"] for k in info.keys} == {SUSPECT}
    assert any("readings satisfy the identities" in w for w in res.warnings)


@pytest.mark.parametrize("kind", T2_DAMAGES)
@pytest.mark.parametrize("style", ["seed", "pipe", "html"])
def test_t2_damage_is_never_a_clean_wrong_value(kind: str, style: str) -> None:
    """Table 二 has no identity: a split figure's row is flagged (its siblings may be shifted), a spaced
    figure reads as one number (right) or, beside an empty cell, is flagged — never wrong and clean."""
    problems: list[str] = []
    damaged = flagged = 0
    for seed in range(SEEDS):
        data = _data(seed)
        content, ct, fn, info = render_damaged(data, Layout(t2="grid"), damage=kind, style=style)
        if info is None:
            continue
        damaged += 1
        res = parse(content, content_type=ct, url=f"http://www.forge.gov.cn/{fn}")
        row = info.keys[0].rsplit(".", 1)[0] + "."
        zone = {k for k in data.cells if k.startswith(row)}
        out = _judge(data, info, res, zone=zone)
        problems += [f"seed {seed} {info.printed!r}: {p}" for p in out.problems]
        assert "repaired" not in out.damaged, "table 二 has no identity to repair by"
        flagged += out.damaged["suspect"]
    assert not problems, "\n".join(problems)
    assert damaged >= SEEDS - 1
    if kind == "t2_split":
        assert flagged == damaged  # the first half alone is never right


def test_clean_t4_rows_are_not_suspects() -> None:
    """Undamaged reports in every layout and carrier: no table 四 cell flagged or re-read."""
    for layout in T4_LAYOUTS:
        for style in CARRIERS[layout]:
            data = _data(1)
            content, ct, fn, _ = render_damaged(data, Layout(t4=layout), damage="t2_spaced", style=style)
            res = parse(content, content_type=ct, url=f"http://www.forge.gov.cn/{fn}")
            for k, want in data.cells.items():
                if k.startswith(("review.", "litigation.")):
                    c = res.cells[k]
                    assert c["flag"] == "ok" and same_value(want, c["value"]), (layout, style, k, c)


# --------------------------------------------------------------------------------------------------
# a split row keeps its other printed boundaries; the narrative breaks ties, never overrides the table

_KEYS15 = _suspect("0").keys
# glued, this row has two readings (20|2|6 or 2|0|26 in the 直接起诉 group); split, only one
_TIED_ROW = ["12", "0", "38", "94", "144", "2", "0", "26", "72", "100", "93", "1", "26", "0", "120"]
# glued, two readings whose litigation totals differ (24 + 44 = 68 or 22 + 244 = 266)
_CROSS_ROW = ["1", "0", "3", "2", "6", "2", "0", "10", "12", "24", "10", "20", "12", "2", "44"]


def _printed(cells: list[str]) -> Suspect:
    """A table 四 row mapping could not place, printed cell by cell (each token its own cell)."""
    tokens = [Token(t, True, {"col_idx": i}) for i, t in enumerate(cells)]
    return Suspect("t4", 0, 3, list(_KEYS15), tokens, list(cells), "dropped", False)


def _texts(good: list[Any]) -> list[str]:
    return sorted("|".join(t for t, _ in g) for g in good)


def test_split_row_rejoins_adjacent_cells_before_searching_every_boundary() -> None:
    """``144`` printed as ``14`` | ``4``: the 16 cells have 15 readings that re-join one adjacent pair
    and keep the other 14 boundaries; exactly one holds T4-REV/LITD/LITR, so the row is repaired even
    though its digits, run together, have two readings."""
    assert len(solve_row(_suspect("".join(_TIED_ROW)), {}, "gov2021", None, "lenient").good) == 2
    cells = [*_TIED_ROW[:4], "14", "4", *_TIED_ROW[5:]]
    sol = solve_row(_printed(cells), {}, "gov2021", None, "lenient")
    assert extra_cells(_printed(cells)) == 1
    # 15 adjacent pairs, 3 of them starting with a lone 0 (never 0x): 12 readings tried
    assert sol.unique and sol.method == "joins" and sol.tried == 12
    assert _texts(sol.good) == ["|".join(_TIED_ROW)]
    assert [src["col_idx"] for _, src in sol.good[0]][3:6] == [3, 4, 6]  # 144 keeps its first cell's place


def test_split_row_with_two_rejoinings_that_hold_is_flagged() -> None:
    """11 | 0 | 0 | 0 | 11 printed ``1`` | ``1`` | ``0`` | ``0`` | ``0`` | ``11``: 11|0|0|0|11 and
    1|10|0|0|11 both re-join one pair and hold T4-REV — a tie, never a guess."""
    s = _printed(["1", "1", "0", "0", "0", "11"])
    s.keys = s.keys[:5]
    sol = solve_row(s, {}, "gov2021", None, "lenient")
    assert sol.method == "joins" and not sol.unique
    assert _texts(sol.good) == ["11|0|0|0|11", "1|10|0|0|11"]


def test_split_row_no_rejoining_explains_falls_back_to_the_full_search() -> None:
    """``1`` | ``23`` | ``0`` | ``0`` | ``15`` plus nothing else: one cell too many, but no re-joining
    of adjacent cells holds (1|23|0|0|15 breaks T4-REV…) — the boundary is elsewhere (12|3), which only
    the digit-by-digit search finds."""
    s = _printed(["1", "23", "0", "0", "1", "5"])
    s.keys = s.keys[:5]
    sol = solve_row(s, {}, "gov2021", None, "lenient")
    assert sol.unique and sol.method == "full"
    assert _texts(sol.good) == ["12|3|0|0|15"]


def test_glued_row_is_not_searched_by_rejoining() -> None:
    """A long figure beside blanks is a glue: its printed boundaries are not trusted (no join search)."""
    s = _printed(["120", "38", "", "", "144"])
    assert extra_cells(s) == 0


def _stated(name: str, *values: int) -> Stated:
    lit = ("litigation.direct.total", "litigation.after_review.total")
    keys = ("review.total",) if name == "行政复议" else lit
    return Stated(name, keys, frozenset(values), f"{name}{values[0]}件")


def test_narrative_total_breaks_a_tie_and_is_named_in_the_evidence() -> None:
    s = _suspect("".join(_CROSS_ROW))
    tied = solve_row(s, {}, "gov2021", None, "lenient")
    assert tied.complete and len(tied.good) == 2 and not tied.narrative
    sol = solve_row(s, {}, "gov2021", None, "lenient", [_stated("行政复议", 6), _stated("行政诉讼", 68)])
    assert sol.unique and sol.by_identities == 2
    assert _texts(sol.good) == ["|".join(_CROSS_ROW)]
    assert "T4-TEXT[行政诉讼=68]" in sol.evidence and {"T4-REV", "T4-LITD", "T4-LITR"} <= set(sol.evidence)
    assert [st.name for st in sol.narrative] == ["行政诉讼"]  # 行政复议 6 is in both: it chose nothing


def test_narrative_contradicting_every_reading_leaves_the_row_flagged() -> None:
    sol = solve_row(_suspect("".join(_CROSS_ROW)), {}, "gov2021", None, "lenient", [_stated("行政诉讼", 100)])
    assert sol.complete and not sol.unique and sol.good == [] and sol.by_identities == 2


def test_narrative_is_not_consulted_when_the_identities_pin_the_row() -> None:
    """The issue's row has one reading; a narrative saying otherwise (a source inconsistency) must not
    move it: the reading stays the table's, and nothing in its evidence cites the text."""
    row = ["7", "13", "0", "0", "20", "0", "0", "0", "74", "74", "5", "6", "0", "1", "12"]
    stated = [_stated("行政复议", 21), _stated("行政诉讼", 99)]
    sol = solve_row(_suspect("".join(row)), {}, "gov2021", None, "lenient", stated)
    assert sol.unique and _texts(sol.good) == ["|".join(row)]
    assert not sol.narrative and not any(e.startswith("T4-TEXT") for e in sol.evidence)


def _with_row(base: ReportData, row: list[str], narrative: str) -> ReportData:
    cells = dict(base.cells)
    groups = ("review", "litigation.direct", "litigation.after_review")
    cols = ("upheld", "corrected", "other", "pending", "total")
    keys = [f"{g}.{c}" for g in groups for c in cols]
    cells.update({k: int(v) for k, v in zip(keys, row, strict=True)})
    raw = {k: v for k, v in base.raw.items() if not k.startswith(("review.", "litigation."))}
    return replace(base, cells=cells, raw=raw, narrative={**base.narrative, "review_litigation": narrative})


@pytest.mark.parametrize("style", ["seed", "html"])
def test_narrative_repairs_a_tied_glued_row_end_to_end(style: str) -> None:
    """Glued 15-number row with two readings: flagged without a narrative figure; with 行政诉讼68件 in
    section 四 it is repaired, its evidence quoting the clause; with a figure neither reading has, flagged."""
    base = _data(0)
    outcomes = {}
    for label, text in (
        ("none", ""),
        ("stated", "本年度因政府信息公开工作被申请行政复议6件，被提起行政诉讼68件。"),
        ("neither", "本年度因政府信息公开工作被提起行政诉讼100件。"),
    ):
        data = _with_row(base, _CROSS_ROW, text)
        content, ct, fn, info = render_damaged(data, damage="t4_glue_blanks", style=style)
        assert info is not None and info.printed == "".join(_CROSS_ROW)
        res = parse(content, content_type=ct, url=f"http://www.forge.gov.cn/{fn}")
        outcomes[label] = res
        flags = {res.cells[k]["flag"] for k in info.keys}
        if label == "stated":
            assert flags == {REPAIRED}
            assert all(same_value(data.cells[k], res.cells[k]["value"]) for k in info.keys)
            ev = res.cells["litigation.direct.total"]["evidence"]
            assert "T4-TEXT[行政诉讼=68]" in ev["identities"] and ev["readings_by_identities"] == 2
            assert "行政诉讼68件" in ev["narrative"][0]["clause"]
        else:
            assert flags == {SUSPECT}, label
    assert any("the narrative" in w for w in outcomes["neither"].warnings)


def test_narrative_disagreeing_with_a_pinned_row_stays_a_failing_check() -> None:
    """Source inconsistency between text and table: the glued row is repaired by its own identities to
    what the table printed, and T4-TEXT still fails — the text is not written into the table."""
    row = ["7", "13", "0", "0", "20", "0", "0", "0", "74", "74", "5", "6", "0", "1", "12"]
    data = _with_row(_data(0), row, "本年度因政府信息公开工作被申请行政复议21件，被提起行政诉讼99件。")
    content, ct, fn, info = render_damaged(data, damage="t4_glue_blanks", style="seed")
    assert info is not None
    res = parse(content, content_type=ct, url=f"http://www.forge.gov.cn/{fn}")
    for k in info.keys:
        c = res.cells[k]
        assert c["flag"] == REPAIRED and same_value(data.cells[k], c["value"]), k
        assert "narrative" not in c["evidence"]
        assert not any(i.startswith("T4-TEXT") for i in c["evidence"]["identities"])
    text_checks = [c for c in res.checks if c["rule"] == "T4-TEXT"]
    assert {c["status"] for c in text_checks} == {"FAIL"} and len(text_checks) == 2
