"""parsers.labels: normalisation (format-spec §9.3) and matching with parent context."""

from __future__ import annotations

from parsers import schema
from parsers.labels import match_group, match_row, normalize, slug, to_simplified


def test_whitespace_and_line_breaks_removed() -> None:
    lab = normalize("（三）\n不予\u3000公开\u00a0\u200b")
    assert lab.text == "(三)不予公开"
    assert lab.ordinal == "(三)"
    assert lab.core == "不予公开"


def test_ordinals_stripped_but_kept() -> None:
    assert normalize("三、本年度办理结果").ordinal == "三、"
    assert normalize("1.属于国家秘密").core == "属于国家秘密"
    assert normalize("2．重复申请").ordinal == "2."
    assert normalize("(七)总计").core == "总计"


def test_quotes_removed_and_annotation_stripped() -> None:
    assert normalize("3.危及“三安全一稳定”").core == "危及三安全一稳定"
    lab = normalize("规章(设区的市、自治州人民政府应提供相关数据)")
    assert lab.base == "规章"
    assert normalize("（二）部分公开（区分处理的，只计这一情形，不计其他情形）").base == "部分公开"


def test_row_fragments_match() -> None:
    m = match_row("1.本机关不掌握相关政府信息", schema.T3_ROWS, era="gov2021")
    assert m is not None and m.spec.key == "unable.not_held" and m.strength == "strong"
    m = match_row("2.其他法律行政止公开", schema.T3_ROWS, era="gov2021")  # corpus 001 typo
    assert m is not None and m.spec.key == "denied.law_prohibited"


def test_qita_needs_parent_context() -> None:
    with_parent = match_row("3.其他", schema.T3_ROWS, era="gov2021", parents=["other"])
    assert (
        with_parent is not None and with_parent.spec.key == "other.other" and with_parent.strength == "strong"
    )
    without = match_row("3.其他", schema.T3_ROWS, era="gov2021")
    assert without is not None and without.strength == "weak"
    # 其他 never matches the long 2.其他法律行政法规禁止公开 row as other.other
    m = match_row("2.其他法律行政法规禁止公开", schema.T3_ROWS, era="gov2021", parents=["other"])
    assert m is not None and m.spec.key == "denied.law_prohibited"


def test_zongji_is_total_processed_in_table3() -> None:
    m = match_row("（七）总计", schema.T3_ROWS, era="gov2019")
    assert m is not None and m.spec.key == "total_processed"


def test_other_era_row_is_weak() -> None:
    m = match_row("（六）其他处理", schema.T3_ROWS, era="gov2021")
    assert m is not None and m.spec.key == "other.subtotal" and m.strength == "weak"
    m = match_row("（六）其他处理", schema.T3_ROWS, era="gov2019")
    assert m is not None and m.strength == "strong"


def test_traditional_fallback() -> None:
    assert to_simplified("規範性檔案") == "规范性文件"
    m = match_row("行政規範性檔案", schema.T2_ROWS, era="gov2021")
    assert m is not None and m.spec.key == "normative_docs"


def test_groups_for_table4() -> None:
    assert match_group("未经复议直接起诉", schema.T4_GROUPS).key == "litigation.direct"
    assert match_group("复议后起诉", schema.T4_GROUPS).key == "litigation.after_review"
    assert match_group("行政复议", schema.T4_GROUPS).key == "review"
    assert match_group("结果维持", schema.T4_GROUPS) is None


def test_slug_is_stable() -> None:
    assert slug("其他主动公开文件（设区的市填写）") == "其他主动公开文件"
    assert slug("  ") == "row"
