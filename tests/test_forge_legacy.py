"""Pre-2019 forge variants end to end: provincial legacy_2014 tables (format-spec §8.2)."""

from __future__ import annotations

import pytest

from parsers.report import parse
from tests.forge import LEGACY_VARIANTS, VARIANTS, forge, forged_digest
from tests.forge.render_legacy import EXTRA_ROW, legacy_expected

TABLE_VARIANTS = [v for v in LEGACY_VARIANTS if v.renderer == "legacy_table"]


def _same(got, want) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return abs(float(got) - float(want)) <= 0.0005


@pytest.mark.parametrize("variant", TABLE_VARIANTS, ids=lambda v: v.name)
@pytest.mark.parametrize("seed", range(3))
def test_every_value_matches_the_data(variant, seed):
    r = forge(seed, variant)
    res = parse(r.content, content_type=r.content_type, url=r.url)
    assert res.report["format_version"] == "legacy_2014"
    wrong = {
        k: (want, (res.cells.get(k) or {}).get("value"))
        for k, want in legacy_expected(r.data, variant.options["shape"]).items()
        if not _same((res.cells.get(k) or {}).get("value"), want)
    }
    assert not wrong


@pytest.mark.parametrize("variant", TABLE_VARIANTS, ids=lambda v: v.name)
def test_unmatched_row_keeps_label_and_unit(variant):
    r = forge(1, variant)
    res = parse(r.content, content_type=r.content_type, url=r.url)
    cell = res.cells[f"legacy.ext.{EXTRA_ROW[0]}"]
    assert cell["label"] == EXTRA_ROW[0] and cell["unit"] == EXTRA_ROW[1]
    assert res.labels[f"legacy.ext.{EXTRA_ROW[0]}"] == EXTRA_ROW[0]


def test_split_without_total_sums_the_columns_as_derived():
    r = forge(0, "html_legacy_split3")
    res = parse(r.content, content_type=r.content_type, url=r.url)
    cell = res.cells["legacy.apps.received.total"]
    assert cell["flag"] == "derived" and len(cell["src"]["derived_from"]) >= 1


@pytest.mark.parametrize("variant", TABLE_VARIANTS, ids=lambda v: v.name)
def test_legacy_sum_rules_run_and_pass(variant):
    r = forge(2, variant)
    res = parse(r.content, content_type=r.content_type, url=r.url)
    by_rule = {c["rule"]: c["status"] for c in res.checks}
    for rule in ("L14-RECEIVED", "L14-CLOSED", "L14-REPLIED", "L14-REVIEW", "L14-STAFF"):
        assert by_rule.get(rule) == "PASS", (rule, by_rule.get(rule))


def test_new_lists_do_not_touch_the_pinned_variants():
    names = {v.name for v in VARIANTS}
    assert not names & {v.name for v in LEGACY_VARIANTS}
    # the digest covers only what it is given: the legacy lists add variants, they change none
    assert forged_digest([(0, VARIANTS[0])]) == forged_digest([(0, VARIANTS[0])])
