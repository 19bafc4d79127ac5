"""`parsers._memo.memoize`: results are reused, long arguments are never stored, caches can be cleared."""

from __future__ import annotations

from parsers import _memo
from parsers._memo import clear_caches, memoize


def test_repeated_calls_compute_once() -> None:
    calls: list[str] = []

    @memoize(maxsize=8)
    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert [upper("ab"), upper("ab"), upper("cd")] == ["AB", "AB", "CD"]
    assert calls == ["ab", "cd"]
    assert upper.cache_info().hits == 1


def test_long_first_argument_bypasses_the_cache() -> None:
    calls: list[str] = []

    @memoize(maxsize=8, max_chars=3)
    def length(text: str) -> int:
        calls.append(text)
        return len(text)

    assert length("abcd") == 4 and length("abcd") == 4
    assert calls == ["abcd", "abcd"]  # computed twice: longer than max_chars, never stored
    assert length.cache_info().currsize == 0
    assert length("ab") == 2 and length.cache_info().currsize == 1


def test_keyword_arguments_and_none_are_part_of_the_key() -> None:
    @memoize(maxsize=8)
    def tag(raw: str | None, *, kind: str = "a") -> str:
        return f"{raw}:{kind}"

    assert tag(None) == "None:a"
    assert tag("x", kind="b") == "x:b"
    assert tag("x") == "x:a"


def test_clear_caches_empties_every_registered_cache() -> None:
    @memoize(maxsize=8, max_chars=None)
    def ident(text: str) -> str:
        return text

    ident("q")
    assert ident.cache_info().currsize == 1
    assert ident in _memo._REGISTRY
    clear_caches()
    assert ident.cache_info().currsize == 0


def test_parser_functions_are_memoised_and_still_pure() -> None:
    from parsers.labels import normalize
    from parsers.values import parse_value

    clear_caches()
    first = normalize("（三）不予公开")
    assert normalize("（三）不予公开") is first  # one frozen Label shared
    assert first.ordinal == "(三)" and first.core == "不予公开"
    v = parse_value("1,234", kind="count")
    assert (v.value, v.flag) == (1234, "ok")
    assert parse_value("1,234", kind="count") is v
