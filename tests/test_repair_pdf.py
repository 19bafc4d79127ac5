"""parsers.repair on PDF text layers: split and glued digits drawn into the PDF geometry.

`tests/test_repair.py` proves the repair on HTML and text forgeries; here the damage is where it really
happens — in how characters and rules are placed on a page (`tests/forge/render_damaged_pdf.py`), so the
PDF carrier (pdfplumber cells, centre assignment, gaps read as spaces) is part of what is tested. For every
seed × damage kind: each damaged cell comes back right (by constraint, with evidence, or read right
directly) or is flagged ``extraction_suspect`` — never a wrong value under a clean flag — and every
undamaged cell comes back right and unflagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from parsers.repair import REPAIRED, SUSPECT
from parsers.report import parse
from tests.forge.data import INCONSISTENCIES, ReportData, make_report
from tests.forge.render_damaged import Damage
from tests.forge.render_damaged_pdf import DAMAGES, render_damaged_pdf
from tests.test_forge_parse import same_value

SEEDS = 8  # per damage kind; the module runs in about half a minute on one core
# Kinds whose damage stays inside one cell: the figure's digits are all in its own cell, so reading the
# cell (digits across a space are one figure) already gives the value; no identity is needed.
IN_CELL = ("split_gap", "split_spacing")
# Kinds the identities must repair: at least this share of damaged reports comes back exactly by
# constraint (the rest may be flagged, never wrong). Measured: every seed here is repaired.
REPAIR_FLOOR = 0.8


def _data(kind: str, seed: int) -> ReportData:
    """Different data per kind and seed; gov2019 and gov2021 tables, small and city-sized figures."""
    s = 500 + seed * len(DAMAGES) + DAMAGES.index(kind)
    return make_report(
        s,
        format_version="gov2019" if seed % 3 == 0 else "gov2021",
        profile="small" if seed % 3 == 1 else "city",  # small tables may have no two-digit figure
        blanks="none",
    )


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


@dataclass
class Outcome:
    damaged: list[str] = field(default_factory=list)  # per damaged key: repaired / suspect / read
    problems: list[str] = field(default_factory=list)


def _judge(kind: str, data: ReportData, info: Damage | None, res: Any) -> Outcome:
    """What became of each damaged cell, and every broken promise (a wrong value under a clean flag,
    a damaged cell lost, an undamaged cell hurt, damage that never reached the text layer)."""
    out = Outcome()
    keys = set(info.keys) if info else set()
    for k in info.keys if info else ():
        c = res.cells.get(k)
        if c is None:
            out.problems.append(f"{k}: damaged cell lost (neither a value nor a flag)")
            continue
        if c["flag"] == REPAIRED:
            ev = c.get("evidence") or {}
            if not same_value(data.cells[k], c["value"]):
                out.problems.append(f"{k}: repaired to {c['value']}, printed {data.cells[k]}")
            if not ev.get("identities") or _digits(ev.get("original_raw", "")) != _digits(info.printed):
                out.problems.append(f"{k}: repaired without evidence of what was printed ({ev})")
            out.damaged.append("repaired")
        elif c["flag"] == SUSPECT:
            out.damaged.append("suspect")
        elif same_value(data.cells[k], c["value"]):
            out.damaged.append("read")
        else:
            out.problems.append(f"{k}: silently wrong: {c['value']!r} ({c['flag']}), printed {data.cells[k]}")
    if info is not None and kind in IN_CELL:  # the gap must be in the text layer, or the test is vacuous
        spaced = [p for p in info.printed.split(" | ") if " " in p]
        got = [c for k in info.keys if (c := res.cells.get(k))]
        raws = {c["raw"] for c in got} | {(c.get("evidence") or {}).get("original_raw", "") for c in got}
        if not any(s in r for s in spaced for r in raws):
            out.problems.append(f"the split {spaced} did not reach the text layer: {sorted(raws)}")
    for k, want in data.cells.items():
        if k in keys:
            continue
        c = res.cells.get(k)
        if c is None or not same_value(want, c["value"]):
            out.problems.append(f"{k}: undamaged cell read {c and c['value']!r}, printed {want}")
        elif c["flag"] in (REPAIRED, SUSPECT):
            out.problems.append(f"{k}: undamaged cell flagged {c['flag']}")
    for chk in res.checks:  # the data are consistent: a failing identity is never the source's fault
        if chk["status"] == "FAIL" and chk["kind"] == "source_inconsistent":
            out.problems.append(f"{chk['rule']} blamed on the source: {chk['message']}")
    return out


@pytest.mark.parametrize("kind", DAMAGES)
def test_pdf_damage_is_repaired_or_flagged_never_silent(kind: str) -> None:
    problems: list[str] = []
    damaged = repaired = 0
    for seed in range(SEEDS):
        data = _data(kind, seed)
        content, ct, fn, info = render_damaged_pdf(data, damage=kind)
        res = parse(content, content_type=ct, url=f"http://www.forge.gov.cn/{fn}")
        out = _judge(kind, data, info, res)
        problems += [f"seed {seed}: {p}" for p in out.problems]
        if info is None:
            continue
        damaged += 1
        if kind in IN_CELL:
            if set(out.damaged) != {"read"}:  # one cell, its digits all there: no reason to doubt it
                problems.append(f"seed {seed}: in-cell split {info.printed!r} not read as is: {out.damaged}")
        elif out.damaged and set(out.damaged) == {"repaired"}:
            repaired += 1
    print(f"{kind}: {damaged} of {SEEDS} reports damaged, {repaired} repaired exactly by constraint")
    assert not problems, "\n".join(problems)
    assert damaged >= 0.75 * SEEDS, f"only {damaged} of {SEEDS} reports had a row to damage"
    if kind not in IN_CELL:
        assert repaired >= REPAIR_FLOOR * damaged, f"{kind}: {repaired} of {damaged} repaired exactly"


def test_split_across_an_extra_rule_is_a_row_one_cell_too_long() -> None:
    """The carrier's `stray_border`: the damaged row keeps both halves as cells, its siblings keep their
    shape (no copy across the stray rule), so mapping reads every other row and repair sees the row."""
    from parsers.carriers import pdf

    data = _data("split_cells", 1)
    content, _, _, info = render_damaged_pdf(data, damage="split_cells")
    assert info is not None
    doc = pdf.read(content)
    t3 = next(t for t in doc.tables if any("予以公开" in c.text for row in t.rows for c in row))
    widths = {len([c for c in row if not c.src.get("pad")]) for row in t3.rows}
    assert widths == {t3.n_cols - 1, t3.n_cols}
    long_rows = [row for row in t3.rows if not row[-1].src.get("pad")]
    assert len(long_rows) == 1
    values = [c.text for c in long_rows[0][-(len(info.keys) + 1) :]]
    assert " | ".join(values) == info.printed


@pytest.mark.parametrize("inconsistency", sorted(INCONSISTENCIES))
def test_printed_inconsistency_stays_source_inconsistent_on_pdf(inconsistency: str) -> None:
    rules = INCONSISTENCIES[inconsistency][0]
    data = make_report(
        3, format_version="gov2021", profile="small", blanks="none", inconsistent=inconsistency
    )
    content, ct, fn, info = render_damaged_pdf(data, damage=None)
    assert info is None
    res = parse(content, content_type=ct, url=f"http://www.forge.gov.cn/{fn}")
    assert not [k for k, c in res.cells.items() if c.get("flag") in (REPAIRED, SUSPECT)]
    for k, want in data.cells.items():  # printed as it is, read as printed
        assert k in res.cells and same_value(want, res.cells[k]["value"]), k
    fails = [c for c in res.checks if c["rule"] in rules and c["status"] == "FAIL"]
    assert fails and all(c["kind"] == "source_inconsistent" for c in fails)
