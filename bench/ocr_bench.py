"""OCR accuracy and throughput on forged scans (`tests.forge.render_scan`), per scan variant.

Run: ``.venv/bin/python -m bench.ocr_bench [--seeds 3] [--only v1,v2] [--wrong]``.

Why accuracy beside speed: the OCR gate (`tests/test_forge_scan.py`) runs one seed per variant, which is
thin proof for "≥ 99% of cells right and every wrong cell flagged". Here every variant is parsed on seeds
``0..N-1`` with the same scoring (`tests.test_forge_scan.score`: the full `parsers.report.parse`, every
forged cell compared with the data) and the table shows, per variant: cells right / total, wrong cells
that carry a warning flag (``ocr``, or missing), wrong cells with a *clean* flag (silent errors — the ones
that must stay at zero), pages/s and seconds per report (wall clock: OCR is what the worker waits for).
A total line sums all variants. ``--wrong`` lists every wrong cell (to find failure patterns).
Re-run after changing `parsers.ocr` settings (``REC_MIN_WIDTH``, ``MEDIAN_KSIZE``, kernel sizes) and
compare. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsers.ocr.engine import get_engine  # noqa: E402
from tests.forge.render_scan import SCAN_VARIANTS, ForgedScan, render_scan  # noqa: E402
from tests.test_forge_scan import score  # noqa: E402


@dataclass(slots=True)
class Row:
    """Sums over the seeds of one variant."""

    name: str
    reports: int = 0
    pages: int = 0
    n: int = 0
    right: int = 0
    flagged: int = 0
    silent: int = 0
    seconds: float = 0.0

    def add(self, other: Row) -> None:
        for f in ("reports", "pages", "n", "right", "flagged", "silent", "seconds"):
            setattr(self, f, getattr(self, f) + getattr(other, f))

    def line(self) -> str:
        share = self.right / self.n if self.n else 0.0
        pps = self.pages / self.seconds if self.seconds else 0.0
        spr = self.seconds / self.reports if self.reports else 0.0
        return (f"{self.name:24s} {self.reports:5d} {self.right:6d}/{self.n:<6d} {share:7.2%} "
                f"{self.flagged:7d} {self.silent:6d} {pps:7.3f} {spr:7.1f}")  # fmt: skip


HEADER = (f"{'variant':24s} {'seeds':>5} {'right/total':>13} {'share':>7} {'flagged':>7} {'silent':>6} "
          f"{'pages/s':>7} {'s/rep':>7}")  # fmt: skip


def run(names: list[str], n_seeds: int, *, show_wrong: bool = False) -> list[Row]:
    """Score every (variant, seed); print one line per seed as it finishes, then the table."""
    rows: list[Row] = []
    for name in names:
        row = Row(name)
        for seed in range(n_seeds):
            scan = render_scan(seed, name)
            t = time.perf_counter()
            s = score(scan)
            spent = time.perf_counter() - t
            pages = len(scan.resources) or _page_count(scan)
            one = Row(name, 1, pages, s.n, s.right, len(s.wrong_flagged), len(s.wrong_silent), spent)
            row.add(one)
            print(f"# {name} seed {seed}: {s.right}/{s.n} right, {len(s.wrong_flagged)} flagged, "
                  f"{len(s.wrong_silent)} silent, {spent:.1f} s", flush=True)  # fmt: skip
            if show_wrong:
                for x in s.wrong_silent:
                    print(f"#   SILENT {x}", flush=True)
                for x in s.wrong_flagged:
                    print(f"#   flagged {x}", flush=True)
        rows.append(row)
    return rows


def _page_count(scan: ForgedScan) -> int:
    """Pages of the scan's carrier without OCR: PDF pages, TIFF frames, 1 for a single image."""
    if scan.content_type == "application/pdf":
        import io

        import pdfplumber

        with pdfplumber.open(io.BytesIO(scan.content)) as pdf:
            return len(pdf.pages)
    if scan.content_type == "image/tiff":
        import io

        from PIL import Image

        with Image.open(io.BytesIO(scan.content)) as img:
            return getattr(img, "n_frames", 1)
    return 1


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per variant (default 3)")
    ap.add_argument("--only", default="", help="comma-separated scan variants (default: all)")
    ap.add_argument("--wrong", action="store_true", help="list every wrong cell")
    args = ap.parse_args(argv)
    known = [v.name for v in SCAN_VARIANTS]
    names = [n for n in args.only.split(",") if n] or known
    unknown = [n for n in names if n not in known]
    if unknown:
        ap.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(known)}")
    get_engine()  # model load, not counted
    rows = run(names, args.seeds, show_wrong=args.wrong)
    print(HEADER)
    total = Row("TOTAL")
    for r in rows:
        print(r.line())
        total.add(r)
    print(total.line())


if __name__ == "__main__":
    main()
