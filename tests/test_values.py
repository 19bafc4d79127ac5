"""parsers.values: every row of format-spec §9.4 plus the units of §9.5."""

from __future__ import annotations

import pytest

from parsers.values import parse_value


@pytest.mark.parametrize("raw", ["0", "０", " 0 ", "0件", "\u00a00", "0\u00a0"])
def test_zero_forms_are_ok_zero(raw: str) -> None:
    v = parse_value(raw)
    assert (v.value, v.flag) == (0, "ok")
    assert v.raw == raw


@pytest.mark.parametrize("raw", ["", "   ", "&nbsp;", "\u3000"])
def test_blank(raw: str) -> None:
    v = parse_value(raw)
    assert (v.value, v.flag) == (None, "blank")


@pytest.mark.parametrize("raw", ["—", "-", "－", "--", "——"])
def test_dash(raw: str) -> None:
    assert (parse_value(raw).value, parse_value(raw).flag) == (None, "dash")


@pytest.mark.parametrize("raw", ["/", "／", "\\"])
def test_slash(raw: str) -> None:
    assert (parse_value(raw).value, parse_value(raw).flag) == (None, "slash")


def test_wu_is_zero_text() -> None:
    v = parse_value("无")
    assert (v.value, v.flag) == (0, "zero_text")


@pytest.mark.parametrize("raw", ["1,234", "1 234", "1，234"])
def test_thousands_separators(raw: str) -> None:
    v = parse_value(raw)
    assert (v.value, v.flag) == (1234, "ok")


@pytest.mark.parametrize(("raw", "want"), [("+5", 5), ("-8", -8), ("增加5", 5), ("减少3", -3), ("0", 0)])
def test_signed_delta_column(raw: str, want: int) -> None:
    v = parse_value(raw, kind="signed", unit="项")
    assert (v.value, v.flag) == (want, "ok")


def test_delta_words_are_not_counts() -> None:
    assert parse_value("增加5").flag == "unreadable"
    assert parse_value("-8").flag == "negative"


@pytest.mark.parametrize(("raw", "want"), [("26.815", 26.815), ("0.00", 0)])
def test_decimals_in_amount(raw: str, want: float) -> None:
    v = parse_value(raw, kind="amount_wan", unit="万元")
    assert v.value == pytest.approx(want)
    assert (v.flag, v.unit) == ("ok", "万元")


@pytest.mark.parametrize(("raw", "want"), [("251000元", 25.1), ("25.1万元", 25.1), ("25.1万", 25.1)])
def test_inline_units_convert_to_wan(raw: str, want: float) -> None:
    for kind in ("amount_wan", "amount"):
        v = parse_value(raw, kind=kind, unit=None)
        assert v.value == pytest.approx(want)
        assert (v.flag, v.unit) == ("unit_inline", "万元")


def test_amount_without_unit_is_unit_unknown() -> None:
    v = parse_value("251000", kind="amount", unit=None)
    assert (v.value, v.flag, v.unit) == (251000, "unit_unknown", None)


@pytest.mark.parametrize("raw", ["未统计", "暂无"])
def test_null_text(raw: str) -> None:
    assert (parse_value(raw).value, parse_value(raw).flag) == (None, "text")


def test_bookmark_artefact_stripped_with_note() -> None:
    v = parse_value("[bookmark: _GoBack]0")
    assert (v.value, v.flag) == (0, "ok")
    assert v.note and "_GoBack" in v.note


def test_count_must_be_integral() -> None:
    v = parse_value("3.5")
    assert v.value == 3.5  # kept, not rounded
    assert v.flag == "not_integral"


def test_unreadable_keeps_raw() -> None:
    v = parse_value("见附件")
    assert (v.value, v.flag, v.raw) == (None, "unreadable", "见附件")


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown value kind"):
        parse_value("1", kind="money")
