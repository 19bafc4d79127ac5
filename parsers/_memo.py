"""Memoisation of the parsers' pure string functions, bounded in entries and in what is kept.

Why: label normalisation, value parsing, squashing and title matching are pure functions of a short
string, and the later stages ask the same questions about the same labels again and again (every row
against every spec, every cell by several stages, every report of a template the same labels). An
`functools.lru_cache` per function makes the repeats free. Two bounds keep a long-running crawler's
memory flat: `maxsize` entries, and `max_chars` — a longer first argument (a whole section, a page
title gone wrong) is computed but never stored.

Only for functions whose result is immutable (str, int, frozen dataclasses, tuples, ``re.Match``),
because callers share one result object.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: every memoised function, so that a benchmark (``bench/parse_bench.py --cold``) or a test can start cold
_REGISTRY: list[Any] = []


def memoize(maxsize: int = 1 << 15, max_chars: int | None = 512) -> Callable[[F], F]:
    """Decorator: `lru_cache(maxsize)` for calls whose first argument is at most `max_chars` long (or
    None); longer first arguments bypass the cache. ``max_chars=None`` caches everything."""

    def deco(fn: F) -> F:
        cached = lru_cache(maxsize=maxsize)(fn)
        _REGISTRY.append(cached)
        if max_chars is None:
            return cached  # type: ignore[return-value]

        if len(inspect.signature(fn).parameters) == 1:  # the common case, without argument packing

            @wraps(fn)
            def wrapper(first: Any) -> Any:
                if first is not None and len(first) > max_chars:
                    return fn(first)
                return cached(first)

        else:

            @wraps(fn)
            def wrapper(first: Any, *args: Any, **kwargs: Any) -> Any:
                if first is not None and len(first) > max_chars:
                    return fn(first, *args, **kwargs)
                return cached(first, *args, **kwargs)

        wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        wrapper.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco


def clear_caches() -> None:
    """Empty every cache made by `memoize` (the next parse starts cold)."""
    for cached in _REGISTRY:
        cached.cache_clear()
