"""OCR throughput: pages per second of `parsers.carriers.image` on forged scans (`tests.forge.render_scan`).

Run: ``.venv/bin/python -m bench.ocr_bench [N_SEEDS]``. Prints, per scan variant, pages/s, seconds per
report and cells per second; re-run after changing `parsers.ocr` settings (``REC_MIN_WIDTH``,
``MEDIAN_KSIZE``, kernel sizes) and compare. Nothing is written to disk.
"""

from __future__ import annotations

import sys
import time

from parsers.carriers import load
from tests.forge.render_scan import SCAN_VARIANTS, render_scan


def main(n_seeds: int = 1) -> None:
    load(render_scan(0, "scan_html_img_tables").resources.popitem()[1])  # warm-up: model load
    for v in SCAN_VARIANTS:
        if v.fmt == "html":
            continue
        pages = cells = 0
        spent = 0.0
        for seed in range(n_seeds):
            scan = render_scan(seed, v)
            t = time.perf_counter()
            doc = load(scan.content, url=scan.url)
            spent += time.perf_counter() - t
            pages += len({b.src.get("page") for b in doc.blocks}) or 1
            cells += sum(t.n_rows * t.n_cols for t in doc.tables)
        print(f"{v.name:24s} {pages / spent:6.3f} pages/s  {spent / n_seeds:6.1f} s/report  "
              f"{cells / spent:7.1f} cells/s")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
