"""Gate on the real corpus: the scorer in /work/shared/tools must not drop below the pinned floors.

Like trafilatura's eval_gate: floors are the level reached when they were pinned; raise them as the
parser improves, never lower them to make a change pass. Skipped (with the reason) where the shared
corpus is not checked out beside the repository.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
SCORER = SHARED / "tools" / "score_parse.py"

# pinned floors (all 7 truth files: seed, 001, 003, 004, 005, 006, 008)
MIN_CELLS_PCT = 100.0
MAX_SILENT = 0
MIN_META = 7
MAX_FAILED = 0

_SUMMARY = re.compile(
    r"score: cells (?P<pct>[\d.]+)% \((?P<ok>\d+)/(?P<tot>\d+)\), "
    r"reports exact (?P<exact>\d+)/(?P<docs>\d+), "
    r"silent errors (?P<silent>\d+), meta (?P<meta>\d+)/\d+, failed to parse (?P<failed>\d+)"
)


@pytest.mark.slow
@pytest.mark.skipif(not SCORER.exists(), reason=f"shared corpus and scorer not found at {SHARED}")
def test_corpus_score_floors() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCORER), "--project", str(ROOT), "--python", sys.executable],
        capture_output=True,
        text=True,
        timeout=900,
    )
    m = _SUMMARY.search(proc.stdout)
    assert m, f"scorer printed no summary:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    report = proc.stdout[-3000:]
    assert int(m["failed"]) <= MAX_FAILED, report
    assert float(m["pct"]) >= MIN_CELLS_PCT, report
    assert int(m["silent"]) <= MAX_SILENT, report
    assert int(m["meta"]) >= MIN_META, report
