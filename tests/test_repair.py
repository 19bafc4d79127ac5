"""parsers.repair: split and glued digits re-segmented by the table identities (format-spec §7)."""

from __future__ import annotations

import pytest

from parsers.repair import REPAIRED, SUSPECT, Token, readings
from parsers.report import parse
from tests.forge import SPLIT_DIGIT_VARIANTS, forge
from tests.forge.data import make_report
from tests.forge.render_damaged import render_damaged
from tests.test_forge_parse import same_value


def _digits(*texts: str) -> list[Token]:
    return [Token(t, t.isdigit(), {"i": i}) for i, t in enumerate(texts)]


def test_readings_respect_leading_zeros_and_markers():
    found, complete = readings(_digits("1300"), 3)
    assert complete
    assert sorted("|".join(t for t, _ in r) for r in found) == ["13|0|0", "1|30|0"]  # never "00"
    found, _ = readings(_digits("12", "—", "3"), 3)
    assert ["|".join(t for t, _ in r) for r in found] == ["12|—|3"]


def test_readings_of_a_split_figure_merge_it_back():
    found, _ = readings(_digits("1", "2", "5"), 2)
    assert sorted("|".join(t for t, _ in r) for r in found) == ["12|5", "1|25"]


def test_too_many_readings_is_reported_not_guessed():
    found, complete = readings(_digits("1" * 60), 20)
    assert found == [] and complete is False


def _outcome(data, info, res):
    out = []
    for k in info.keys:
        c = res.cells.get(k)
        if c is None:
            out.append("absent")
        elif c["flag"] == REPAIRED:
            assert c["value"] == data.cells[k], k
            assert c["evidence"]["original_raw"] and c["evidence"]["identities"]
            out.append("repaired")
        elif c["flag"] == SUSPECT:
            out.append("suspect")
        else:
            assert c["value"] == data.cells[k], f"silently wrong: {k}"
            out.append("ok")
    return out


@pytest.mark.parametrize("variant", SPLIT_DIGIT_VARIANTS, ids=lambda v: v.name)
@pytest.mark.parametrize("seed", range(4))
def test_forged_damage_is_repaired_or_flagged_never_silent(variant, seed):
    r = forge(seed, variant)
    res = parse(r.content, content_type=r.content_type, url=r.url)
    _, _, _, info = render_damaged(r.data, variant.layout, **variant.options)
    if info is None:  # no row qualifies for this damage (all zero): the undamaged report reads exactly
        for key, want in r.data.cells.items():
            got = res.cells.get(key)
            assert got is not None and same_value(want, got["value"]), key
        return
    out = _outcome(r.data, info, res)
    assert "absent" not in out
    assert set(out) <= {"repaired", "suspect", "ok"}


def test_repair_rate_over_seeds():
    repaired = total = 0
    for seed in range(6):
        d = make_report(seed, format_version="gov2021", blanks="none")
        content, ct, fn, info = render_damaged(d, damage="glue_blanks", style="seed")
        if info is None:
            continue
        total += 1
        res = parse(content, content_type=ct, url="http://127.0.0.1/" + fn)
        if "repaired" in _outcome(d, info, res):
            repaired += 1
    assert total and repaired / total >= 0.8


def test_clean_but_inconsistent_source_is_not_repaired():
    d = make_report(3, format_version="gov2021", inconsistent="t4_totals")
    from tests.forge.render_text import render_text

    content, ct, fn = render_text(d, style="seed")
    res = parse(content, content_type=ct, url="http://127.0.0.1/" + fn)
    assert not any(c.get("flag") in (REPAIRED, SUSPECT) for c in res.cells.values())
    fails = [c for c in res.checks if c["rule"] == "T4-REV" and c["status"] == "FAIL"]
    assert fails and all(c["kind"] == "source_inconsistent" for c in fails)


_SPLIT_VARIANTS = [v for v in SPLIT_DIGIT_VARIANTS if v.name.endswith("_split")]


@pytest.mark.parametrize("variant", _SPLIT_VARIANTS, ids=lambda v: v.name)
def test_split_t3_row_is_repaired_by_rejoining_adjacent_cells(variant):
    """A table 三 row with a figure printed as two cells keeps its other printed boundaries: the repair
    re-joins one adjacent pair (evidence ``search: joins``) rather than re-cutting every digit. Measured:
    every damaged seed of 0–23 repaired exactly, before and after the join search (7 cells, many
    identities), now without searching the row's digit-by-digit segmentations."""
    repaired = damaged = 0
    for seed in range(4):
        r = forge(seed, variant)
        _, _, _, info = render_damaged(r.data, variant.layout, **variant.options)
        if info is None:
            continue
        damaged += 1
        res = parse(r.content, content_type=r.content_type, url=r.url)
        out = _outcome(r.data, info, res)
        if set(out) == {"repaired"}:
            repaired += 1
            assert {res.cells[k]["evidence"]["search"] for k in info.keys} == {"joins"}
    assert damaged and repaired == damaged
