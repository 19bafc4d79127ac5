"""Tests for parsers.checks: every rule passes on consistent cells and fails on broken ones (format-spec
§7)."""

from __future__ import annotations

from typing import Any

import pytest

from parsers.checks import (
    C6,
    C7,
    EXTRACTION_SUSPECT,
    FAIL,
    NOT_ASSESSABLE,
    OUTCOMES_2019,
    OUTCOMES_2021,
    PASS,
    ROWS_2019,
    ROWS_2021,
    SOURCE_INCONSISTENT,
    T3_TEXT,
    CheckResult,
    find_statements,
    run_checks,
    run_cross_year_checks,
)

Cells = dict[str, dict[str, Any]]


def cell(value: Any, flag: str | None = None, raw: str | None = None) -> dict[str, Any]:
    if flag is None:
        flag = "ok" if value is not None else "blank"
    return {
        "value": value,
        "raw": raw if raw is not None else ("" if value is None else str(value)),
        "flag": flag,
    }


def table3(version: str = "gov2021", per_row: dict[str, list[int]] | None = None) -> Cells:
    """A consistent table 三: natural persons 10 new + 2 carried = 9 processed + 3 forward, one firm
    request."""
    rows = ROWS_2021 if version == "gov2021" else ROWS_2019
    base = {r: [0] * 6 for r in rows}
    base["new"] = [10, 1, 0, 0, 0, 0]
    base["carried_over"] = [2, 0, 0, 0, 0, 0]
    base["granted"] = [5, 1, 0, 0, 0, 0]
    base["partial"] = [1, 0, 0, 0, 0, 0]
    base["denied.state_secret"] = [1, 0, 0, 0, 0, 0]
    base["unable.not_held"] = [2, 0, 0, 0, 0, 0]
    base["total_processed"] = [9, 1, 0, 0, 0, 0]
    base["carried_forward"] = [3, 0, 0, 0, 0, 0]
    base.update(per_row or {})
    cells: Cells = {}
    for r, vals in base.items():
        for c, v in zip(C6, vals, strict=True):
            cells[f"applications.{r}.{c}"] = cell(v)
        cells[f"applications.{r}.total"] = cell(sum(vals))
    return cells


def table4(values: list[int] | None = None) -> Cells:
    vals = values or [1, 1, 0, 1, 3, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    keys = [
        f"{g}.{c}"
        for g in ("review", "litigation.direct", "litigation.after_review")
        for c in ("upheld", "corrected", "other", "pending", "total")
    ]
    return {k: cell(v) for k, v in zip(keys, vals, strict=True)}


def table2_2021(**over: Any) -> Cells:
    cells = {
        k: cell(0)
        for k in (
            "active.regulations.issued",
            "active.regulations.repealed",
            "active.regulations.in_force",
            "active.normative_docs.issued",
            "active.normative_docs.repealed",
            "active.normative_docs.in_force",
            "active.licensing.decisions",
            "active.penalty.decisions",
            "active.coercion.decisions",
        )
    }
    cells["active.fees.amount_wan"] = cell(26.815)
    for k, v in over.items():
        cells[k.replace("__", ".")] = cell(v) if not isinstance(v, dict) else v
    return cells


def by(results: list[CheckResult], rule: str) -> list[CheckResult]:
    return [r for r in results if r.rule == rule]


def statuses(results: list[CheckResult], rule: str) -> set[str]:
    return {r.status for r in by(results, rule)}


# --- a full consistent report passes everything it can assess
# --------------------------------------------------


@pytest.mark.parametrize("version", ["gov2021", "gov2019"])
def test_consistent_report_has_no_failure(version: str) -> None:
    cells = {**table3(version), **table4(), **table2_2021()}
    results = run_checks(cells, format_version=version, mode="strict")
    assert not [r.to_dict() for r in results if r.status == FAIL]
    assert statuses(results, "T3-BAL") == {PASS}
    assert len(by(results, "T3-BAL")) == 7  # one per column
    assert statuses(results, "T3-ROWSUM") == {PASS}
    assert len(by(results, "T3-ROWSUM")) == (25 if version == "gov2021" else 23)
    assert statuses(results, f"T3-SUM7-{version[3:]}") == {PASS}
    for rule in ("T4-REV", "T4-LITD", "T4-LITR", "T3-NONNEG", "T4-NONNEG", "T2-NONNEG", "T3-PLAUS"):
        assert statuses(results, rule) == {PASS}, rule


def test_result_dict_shape() -> None:
    results = run_checks(table3(), format_version="gov2021")
    d = by(results, "T3-BAL")[0].to_dict()
    assert set(d) == {
        "rule",
        "status",
        "severity",
        "left",
        "right",
        "delta",
        "keys",
        "kind",
        "mode",
        "message",
    }
    assert d["severity"] == "T" and d["mode"] == "lenient" and d["delta"] == 0 and d["kind"] is None
    assert "applications.new.natural_person" in d["keys"]


# --- T3 rules: failing cases
# ------------------------------------------------------------------------------------


def test_t3_bal_fails_on_one_column_only() -> None:
    cells = table3()
    cells["applications.carried_forward.natural_person"] = cell(4)
    cells["applications.carried_forward.total"] = cell(4)
    results = run_checks(cells, format_version="gov2021")
    failed = [r for r in by(results, "T3-BAL") if r.status == FAIL]
    assert {r.keys[0] for r in failed} == {"applications.new.natural_person", "applications.new.total"}
    assert failed[0].left == 12 and failed[0].right == 13 and failed[0].delta == -1
    assert failed[0].kind == SOURCE_INCONSISTENT and failed[0].severity == "T"


def test_t3_rowsum_fails_on_bad_total() -> None:
    cells = table3()
    cells["applications.granted.total"] = cell(7)
    bad = [r for r in by(run_checks(cells, format_version="gov2021"), "T3-ROWSUM") if r.status == FAIL]
    assert len(bad) == 1 and bad[0].left_keys == ["applications.granted.total"] and bad[0].right == 6


def test_sum7_2021_uses_21_leaves_and_fails() -> None:
    cells = table3("gov2021")
    cells["applications.other.overdue_fee.natural_person"] = cell(1)
    results = run_checks(cells, format_version="gov2021")
    sum7 = [r for r in by(results, "T3-SUM7-2021") if "applications.total_processed.natural_person" in r.keys]
    assert len(sum7) == 1 and sum7[0].status == FAIL and len(sum7[0].right_keys) == len(OUTCOMES_2021) == 21
    assert not by(results, "T3-SUM7-2019")


def test_sum7_2019_uses_undivided_other_row() -> None:
    cells = table3("gov2019", {"other.subtotal": [1, 0, 0, 0, 0, 0], "granted": [4, 1, 0, 0, 0, 0]})
    results = run_checks(cells, format_version="gov2019")
    assert statuses(results, "T3-SUM7-2019") == {PASS}
    assert len(by(results, "T3-SUM7-2019")[0].right_keys) == len(OUTCOMES_2019) == 19
    cells["applications.other.subtotal.natural_person"] = cell(2)
    assert FAIL in statuses(run_checks(cells, format_version="gov2019"), "T3-SUM7-2019")


def test_2021_report_with_undivided_other_row_is_checked_with_2019_formula() -> None:
    """Corpus 001: a 2021 report keeping one （六）其他处理 row."""
    cells = table3("gov2019")
    results = run_checks(cells, format_version="gov2021", table_versions={"table3": "gov2021"})
    assert statuses(results, "T3-SUM7-2019") == {PASS}
    assert not by(results, "T3-SUM7-2021")


def test_subtotal_and_legal_person_columns_only_when_present() -> None:
    cells = table3()
    assert not by(run_checks(cells, format_version="gov2021"), "T3-SUBTOT")
    cells["applications.denied.subtotal.natural_person"] = cell(1, "derived")
    cells["applications.new.legal_person"] = cell(1)
    results = run_checks(cells, format_version="gov2021")
    assert statuses(results, "T3-SUBTOT") == {PASS} and statuses(results, "T3-LP") == {PASS}
    cells["applications.denied.subtotal.natural_person"] = cell(2, "derived")
    cells["applications.new.legal_person"] = cell(3)
    results = run_checks(cells, format_version="gov2021")
    assert statuses(results, "T3-SUBTOT") == {FAIL} and statuses(results, "T3-LP") == {FAIL}


def test_nonneg_flags_negative_and_fractional_counts() -> None:
    cells = table3()
    cells["applications.partial.research"] = cell(-1)
    cells["review.upheld"] = cell(1.5)
    results = run_checks({**cells, **table4(), "review.upheld": cell(1.5)}, format_version="gov2021")
    t3 = by(results, "T3-NONNEG")[0]
    assert t3.status == FAIL and t3.keys == ["applications.partial.research"] and t3.left == -1
    assert by(results, "T4-NONNEG")[0].status == FAIL


def test_t3_plaus_is_heuristic_and_fails_only_when_bound_broken() -> None:
    cells = table3()
    results = run_checks(cells, format_version="gov2021")
    assert by(results, "T3-PLAUS")[0].status == PASS and by(results, "T3-PLAUS")[0].severity == "H"
    cells["applications.total_processed.total"] = cell(20)
    plaus = by(run_checks(cells, format_version="gov2021"), "T3-PLAUS")[0]
    assert plaus.status == FAIL and plaus.severity == "H"


# --- T4 ------------------------------------------------------------------------------


def test_corpus_001_table4_totals_zero_is_source_inconsistent() -> None:
    """001: 复议 维持 10, 纠正 1, 总计 0; 复议后起诉 维持 5, 总计 0 — the source is inconsistent, not the
    parse."""
    cells = table4([10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0])
    results = run_checks(cells, format_version="gov2021")
    rev, litd, litr = by(results, "T4-REV")[0], by(results, "T4-LITD")[0], by(results, "T4-LITR")[0]
    assert (rev.status, rev.left, rev.right, rev.kind) == (FAIL, 0, 11, SOURCE_INCONSISTENT)
    assert (litr.status, litr.left, litr.right, litr.kind) == (FAIL, 0, 5, SOURCE_INCONSISTENT)
    assert litd.status == PASS
    assert cells["review.total"]["value"] == 0  # never changes a number


def test_doubtful_flag_makes_failure_extraction_suspect() -> None:
    cells = table4([10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0])
    cells["review.upheld"] = cell(10, "ocr")
    rev = by(run_checks(cells, format_version="gov2021"), "T4-REV")[0]
    assert rev.kind == EXTRACTION_SUSPECT and "review.upheld=ocr" in rev.message
    cells["review.upheld"] = cell(10, "position")
    assert by(run_checks(cells, format_version="gov2021"), "T4-REV")[0].kind == EXTRACTION_SUSPECT


def test_missing_table_gives_one_not_assessable_per_rule() -> None:
    results = run_checks(table3(), format_version="gov2021")
    assert [r.status for r in by(results, "T4-REV")] == [NOT_ASSESSABLE]
    assert "table 四" in by(results, "T4-REV")[0].message


# --- modes ---------------------------------------------------------------------------


def test_strict_mode_null_is_not_assessable_lenient_blank_is_zero() -> None:
    cells = table4()
    cells["review.other"] = cell(None, "blank")
    strict = by(run_checks(cells, format_version="gov2021", mode="strict"), "T4-REV")[0]
    assert strict.status == NOT_ASSESSABLE and strict.mode == "strict" and "review.other" in strict.message
    lenient = by(run_checks(cells, format_version="gov2021", mode="lenient"), "T4-REV")[0]
    assert lenient.status == PASS and lenient.mode == "lenient"


@pytest.mark.parametrize("flag", ["dash", "slash"])
def test_lenient_dash_and_slash_count_as_zero(flag: str) -> None:
    cells = table4()
    cells["review.other"] = cell(None, flag, raw="—" if flag == "dash" else "/")
    assert by(run_checks(cells, format_version="gov2021"), "T4-REV")[0].status == PASS


def test_lenient_never_zeroes_text_or_unreadable_nulls() -> None:
    cells = table4()
    cells["review.other"] = cell(None, "text", raw="未统计")
    assert by(run_checks(cells, format_version="gov2021"), "T4-REV")[0].status == NOT_ASSESSABLE


def test_lenient_blank_total_is_not_a_claim_of_zero() -> None:
    """Corpus 005 (Shanghai 2019): the 总计 column is blank on outcome rows; that is not 0."""
    cells = table3("gov2019")
    for r in OUTCOMES_2019:
        cells[f"applications.{r}.total"] = cell(None, "blank")
    for c in ("research", "public_interest"):
        for r in ROWS_2019:
            cells[f"applications.{r}.{c}"] = cell(None, "blank")
    results = run_checks(cells, format_version="gov2019")
    assert not [r for r in results if r.status == FAIL]
    granted = next(r for r in by(results, "T3-ROWSUM") if r.left_keys == ["applications.granted.total"])
    assert granted.status == NOT_ASSESSABLE
    new = next(r for r in by(results, "T3-ROWSUM") if r.left_keys == ["applications.new.total"])
    assert new.status == PASS  # blank research/public_interest count as 0 beside printed numbers


def test_lenient_requires_a_mostly_numeric_table() -> None:
    cells = {k: cell(None, "blank") for k in table4()}
    cells["review.other"] = cell(None, "text")
    cells["review.pending"] = cell(None, "text")
    assert by(run_checks(cells, format_version="gov2021"), "T4-REV")[0].status == NOT_ASSESSABLE


def test_bad_mode_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="strict, lenient"):
        run_checks({}, format_version="gov2021", mode="loose")


def test_amounts_use_rounding_tolerance() -> None:
    prev = table2_2021()
    now = table2_2021(active__regulations__in_force=1, active__regulations__issued=1)
    results = run_cross_year_checks(prev, now)
    assert {r.status for r in results if r.rule == "T2-2021-STOCK"} == {PASS}


# --- T2 ------------------------------------------------------------------------------


def test_t2_unit_flags_yuan_in_wan_column() -> None:
    assert by(run_checks(table2_2021(), format_version="gov2021"), "T2-UNIT")[0].status == PASS
    r = by(
        run_checks(table2_2021(active__fees__amount_wan=268_150_000), format_version="gov2021"), "T2-UNIT"
    )[0]
    assert r.status == FAIL and r.severity == "H"


def test_t2_nonneg_allows_signed_delta_in_2019_only() -> None:
    cells = {
        "active.licensing.delta_items": cell(-8),
        "active.licensing.prev_items": cell(20),
        "active.regulations.new_published": cell(1),
        "active.regulations.total_published": cell(3),
    }
    results = run_checks(cells, format_version="gov2019")
    assert by(results, "T2-NONNEG")[0].status == PASS
    cells["active.licensing.prev_items"] = cell(-1)
    assert by(run_checks(cells, format_version="gov2019"), "T2-NONNEG")[0].status == FAIL


def test_t2_2019_pub() -> None:
    cells = {"active.regulations.new_published": cell(1), "active.regulations.total_published": cell(3)}
    assert PASS in statuses(run_checks(cells, format_version="gov2019"), "T2-2019-PUB")
    cells["active.regulations.new_published"] = cell(5)
    pub = [r for r in by(run_checks(cells, format_version="gov2019"), "T2-2019-PUB") if r.status == FAIL]
    assert len(pub) == 1 and pub[0].severity == "H"


# --- narrative rules
# --------------------------------------------------------------------------------------------


def test_t3_text_pass_fail_and_not_assessable() -> None:
    cells = table3()  # new.total 11, carried_over.total 2, carried_forward.total 3
    ok = {"overview": "2022年，我局共收到政府信息公开申请11件，上年结转申请2件，结转下年度继续办理3件。"}
    results = by(run_checks(cells, format_version="gov2021", sections=ok), "T3-TEXT")
    assert {r.status for r in results} == {PASS} and len(results) == 3
    bad = {"applications": "本年度新收政府信息公开申请12件。"}
    r = by(run_checks(cells, format_version="gov2021", sections=bad), "T3-TEXT")[0]
    assert r.status == FAIL and r.severity == "R" and "本年度新收政府信息公开申请12件" in r.message
    assert (r.left, r.right) == (12, 11)
    none = {"overview": "我局高度重视政府信息公开工作。"}
    assert [x.status for x in by(run_checks(cells, format_version="gov2021", sections=none), "T3-TEXT")] == [
        NOT_ASSESSABLE
    ]
    assert statuses(run_checks(cells, format_version="gov2021"), "T3-TEXT") == {NOT_ASSESSABLE}


def test_t3_text_received_may_include_carried_over() -> None:
    cells = table3()
    sections = {"overview": "全年共受理政府信息公开申请13件（含上年结转2件）。"}
    assert statuses(run_checks(cells, format_version="gov2021", sections=sections), "T3-TEXT") == {PASS}


def test_t3_text_negation_means_zero_as_in_seed() -> None:
    zeros = {r: [0] * 6 for r in ROWS_2021}
    cells = table3("gov2021", zeros)
    seed = {"overview": "2022年度，我局未收到政府信息公开申请，无2021年结转的信息公开申请。"}
    results = by(run_checks(cells, format_version="gov2021", sections=seed), "T3-TEXT")
    assert len(results) == 2 and {r.status for r in results} == {PASS}


def test_t3_text_reads_pdf_wrapped_sentence_with_spaces() -> None:
    """Corpus 003: "答复 3050 件（含上年度结转申请 34 件，另有 103 件顺延到下年度答复）"."""
    text = (
        "全市共受理政府信息公开申请 3119 件，答复 3050 件（含上年度结转申请 34 件，"
        "另有 103\n件顺延到下年度答复）"
    )
    found = {q.name: [n for n, _ in find_statements(text, q)] for q in T3_TEXT}
    assert found["收到/受理申请"] == [3119] and found["上年结转"] == [34] and found["结转下年度"] == [103]


def test_t4_text() -> None:
    cells = table4([72, 64, 178, 37, 351, 13, 4, 8, 1, 26, 12, 1, 1, 6, 20])
    ok = {"overview": "政府信息公开行政复议 351件，其中结果维持 72 件；政府信息公开行政诉讼 46 件。"}
    assert statuses(run_checks(cells, format_version="gov2021", sections=ok), "T4-TEXT") == {PASS}
    bad = {"overview": "全年发生政府信息公开行政复议350件。"}
    assert statuses(run_checks(cells, format_version="gov2021", sections=bad), "T4-TEXT") == {FAIL}
    zero = table4([0] * 15)
    neg = {"overview": "2021年，我局未发生依申请公开政府信息方面的行政复议和行政诉讼。"}
    results = by(run_checks(zero, format_version="gov2021", sections=neg), "T4-TEXT")
    assert len(results) == 2 and {r.status for r in results} == {PASS}


def test_t2_text() -> None:
    cells = table2_2021(active__normative_docs__issued=5, active__penalty__decisions=9)
    ok = {"active": "本年度制发行政规范性文件5件，作出行政处罚决定9件。"}
    assert statuses(run_checks(cells, format_version="gov2021", sections=ok), "T2-TEXT") == {PASS}
    bad = {"active": "本年度制发行政规范性文件6件。"}
    assert statuses(run_checks(cells, format_version="gov2021", sections=bad), "T2-TEXT") == {FAIL}


def test_t3_fee() -> None:
    cells = table3()
    cells["applications.other.overdue_fee.total"] = cell(1)
    mention = {"other": "本年度发出收费通知1件，实际收取信息处理费0元。"}
    assert by(run_checks(cells, format_version="gov2021", sections=mention), "T3-FEE")[0].status == PASS
    silent = by(run_checks(cells, format_version="gov2021", sections={"other": "无。"}), "T3-FEE")[0]
    assert silent.status == NOT_ASSESSABLE and "soft expectation" in silent.message
    zeros = table3("gov2021", {r: [0] * 6 for r in ROWS_2021})
    fee = {"other": "全年收取政府信息公开信息处理费380元。"}
    r = by(run_checks(zeros, format_version="gov2021", sections=fee), "T3-FEE")[0]
    assert r.status == FAIL and r.severity == "H"


# --- legacy_2014 (§8.3)
# -----------------------------------------------------------------------------------------


def legacy_cells() -> Cells:
    v = {
        "legacy.apps.received.total": 10,
        "legacy.apps.received.in_person": 4,
        "legacy.apps.received.online": 5,
        "legacy.apps.received.letter": 1,
        "legacy.apps.closed.total": 9,
        "legacy.apps.closed.on_time": 8,
        "legacy.apps.closed.extended": 1,
        "legacy.apps.replied.total": 9,
        "legacy.apps.replied.granted": 6,
        "legacy.apps.replied.refused": 3,
        "legacy.apps.refused.state_secret": 1,
        "legacy.review.total": 2,
        "legacy.review.upheld": 2,
        "legacy.review.corrected": 0,
        "legacy.review.other": 0,
        "legacy.org.staff": 3,
        "legacy.org.staff_full": 1,
        "legacy.org.staff_part": 2,
        "legacy.active.total": 100,
        "legacy.active.normative_published": 5,
        "legacy.resp.press_conf": 2,
        "legacy.resp.press_conf_principal": 1,
    }
    return {k: cell(x) for k, x in v.items()}


def test_legacy_rules_pass_and_fail() -> None:
    results = run_checks(legacy_cells(), format_version="legacy_2014", mode="strict")
    for rule in (
        "L14-RECEIVED",
        "L14-CLOSED",
        "L14-REPLIED",
        "L14-REFUSED",
        "L14-REVIEW",
        "L14-STAFF",
        "L14-ACTIVE-NORM",
        "L14-PRESS",
        "L14-NONNEG",
    ):
        assert statuses(results, rule) == {PASS}, rule
    assert statuses(results, "L14-LITIGATION") == {NOT_ASSESSABLE}
    assert not by(results, "T3-BAL")  # modern rules do not run on a legacy table
    recv = by(results, "L14-RECEIVED")[0]
    assert recv.right_keys == [
        "legacy.apps.received.in_person",
        "legacy.apps.received.letter",
        "legacy.apps.received.online",
    ]
    broken = legacy_cells()
    broken["legacy.apps.received.fax"] = cell(2)
    broken["legacy.apps.refused.privacy"] = cell(3)
    results = run_checks(broken, format_version="legacy_2014")
    assert statuses(results, "L14-RECEIVED") == {FAIL} and statuses(results, "L14-REFUSED") == {FAIL}


def test_legacy_text() -> None:
    sections = {"overview": "全年共受理政府信息公开申请10件。"}
    assert statuses(
        run_checks(legacy_cells(), format_version="legacy_2014", sections=sections), "L14-TEXT"
    ) == {PASS}


# --- cross-year
# -------------------------------------------------------------------------------------------------


def test_t3_xyear() -> None:
    prev = table3()  # carried_forward natural_person 3
    now = table3("gov2021", {"carried_over": [3, 0, 0, 0, 0, 0], "new": [9, 1, 0, 0, 0, 0]})
    results = run_cross_year_checks(prev, now)
    xy = by(results, "T3-XYEAR")
    assert len(xy) == len(C7) and {r.status for r in xy} == {PASS}
    assert "prev:applications.carried_forward.total" in xy[-1].keys
    results = run_cross_year_checks(prev, table3())
    assert FAIL in {r.status for r in by(results, "T3-XYEAR")}


def test_t2_2021_stock_and_iss() -> None:
    prev = table2_2021(active__normative_docs__in_force=10)
    ok = table2_2021(
        active__normative_docs__issued=2,
        active__normative_docs__repealed=1,
        active__normative_docs__in_force=11,
    )
    assert {r.status for r in run_cross_year_checks(prev, ok) if r.rule.startswith("T2-")} == {PASS}
    grew = table2_2021(active__normative_docs__issued=2, active__normative_docs__in_force=15)
    stock = [r for r in run_cross_year_checks(prev, grew) if r.rule == "T2-2021-STOCK" and r.status == FAIL]
    assert len(stock) == 1 and stock[0].severity == "H"
    too_many = table2_2021(active__normative_docs__repealed=11)
    assert FAIL in {r.status for r in run_cross_year_checks(prev, too_many) if r.rule == "T2-2021-ISS"}


def test_t2_2019_items_xyear() -> None:
    prev = {"active.licensing.prev_items": cell(20), "active.licensing.delta_items": cell(-3)}
    now = {"active.licensing.prev_items": cell(17), "active.licensing.delta_items": cell(0)}
    results = [r for r in run_cross_year_checks(prev, now) if r.rule == "T2-2019-ITEMS-XYEAR"]
    assert [r.status for r in results if r.keys[0] == "active.licensing.prev_items"] == [PASS]
    now["active.licensing.prev_items"] = cell(20)
    results = [r for r in run_cross_year_checks(prev, now) if r.rule == "T2-2019-ITEMS-XYEAR"]
    assert [r.status for r in results if r.keys[0] == "active.licensing.prev_items"] == [FAIL]


def test_never_raises_on_odd_values() -> None:
    cells: Cells = {
        "applications.new.total": {"value": "abc", "flag": "ok"},
        "review.total": {"value": float("nan"), "flag": "ok"},
        "review.upheld": {"value": True},
        "active.fees.amount_wan": {},
    }
    results = run_checks(cells, format_version="unknown_free_text")
    assert results and all(r.status in (PASS, FAIL, NOT_ASSESSABLE) for r in results)
