"""parsers.schema: the key vocabulary (format-spec §3–5, §8.2) and derive()."""

from __future__ import annotations

from parsers import schema


def test_gov2021_counts() -> None:
    assert len(schema.t2_keys("gov2021")) == 10
    assert len(schema.t3_keys("gov2021")) == 175
    assert len(schema.t4_keys()) == 15


def test_gov2019_counts() -> None:
    assert len(schema.t2_keys("gov2019")) == 22
    assert len(schema.t3_keys("gov2019")) == 161
    assert len(schema.leaf_keys("gov2019")) == 22 + 161 + 15


def test_keys_unique_and_prefix_free() -> None:
    for era in ("gov2021", "gov2019", "legacy_2014"):
        keys = schema.leaf_keys(era) + schema.derived_keys(era)
        assert len(keys) == len(set(keys)), era
        assert schema.is_prefix_free(keys), era
    everything = set()
    for era in ("gov2021", "gov2019", "legacy_2014"):
        everything |= set(schema.leaf_keys(era) + schema.derived_keys(era))
    assert schema.is_prefix_free(everything)
    assert not schema.is_prefix_free(["a.b", "a.b.c"])


def test_era_specific_keys() -> None:
    k21, k19 = set(schema.leaf_keys("gov2021")), set(schema.leaf_keys("gov2019"))
    assert "applications.other.overdue_fee.total" in k21 - k19
    assert "applications.other.subtotal.total" in k19 - k21
    assert "active.procurement.amount_wan" in k19 - k21
    assert "active.fees.amount_wan" in k21 and "active.fees.amount_wan" not in k19


def _c(v):
    return {"value": v, "raw": str(v), "flag": "ok", "unit": "件", "src": {}}


def test_derive_adds_subtotals_without_overwriting() -> None:
    cells = {
        f"applications.{r}.{c}": _c(1) for r in schema.T3_SUBTOTALS["denied"] for c in schema.T3_COL_KEYS
    }
    cells["applications.denied.subtotal.total"] = _c(99)  # printed: must survive
    out = schema.derive(cells)
    assert out["applications.denied.subtotal.natural_person"]["value"] == 8
    assert out["applications.denied.subtotal.natural_person"]["flag"] == "derived"
    assert out["applications.denied.subtotal.total"]["value"] == 99
    assert out["applications.denied.state_secret.legal_person"]["value"] == 5
    assert "applications.unable.subtotal.total" not in out  # no operands, nothing invented


def test_derive_needs_every_operand() -> None:
    cells = {f"litigation.direct.{c.key}": _c(2) for c in schema.T4_COLS}
    cells |= {f"litigation.after_review.{c.key}": _c(3) for c in schema.T4_COLS}
    cells["litigation.after_review.pending"] = {**_c(None), "flag": "blank"}
    out = schema.derive(cells)
    assert out["litigation.total.upheld"]["value"] == 5
    assert "litigation.total.pending" not in out
