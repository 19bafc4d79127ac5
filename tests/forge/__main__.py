"""``python -m tests.forge OUT_DIR -n 50``: write a sample of forged reports to disk.

Why: replica portals serve these files, and people eyeball them. Each file comes with a line in
``OUT_DIR/manifest.jsonl`` holding its seed, variant, url and the ground truth (report fields plus
every cell's expected value and flag), so anything reading the directory can score itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path

from tests.forge import VARIANTS, VARIANTS_BY_NAME, forge


def _json(v: object) -> object:
    return float(v) if isinstance(v, Decimal) else v


def truth(report) -> dict:
    d = report.data
    return {
        "seed": report.seed,
        "variant": report.variant.name,
        "file": report.filename,
        "url": report.url,
        "content_type": report.content_type,
        "report": {
            "agency": d.agency,
            "stat_year": d.stat_year,
            "format_version": d.format_version,
            "published_date": d.published_date.isoformat(),
            "scope": d.scope,
            "title": d.title,
            "inconsistent": d.inconsistent,
        },
        "cells": {
            k: {"value": _json(d.expected(k)[0]), "raw": d.text(k), "flag": d.expected(k)[1]} for k in d.keys
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.forge", description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("-n", type=int, default=50, help="number of reports (default 50)")
    ap.add_argument("--start", type=int, default=0, help="first seed (default 0)")
    ap.add_argument("--variant", action="append", help="variant name (repeatable; default: all, round robin)")
    ap.add_argument("--no-pdf", action="store_true", help="skip PDF variants (no LibreOffice needed)")
    args = ap.parse_args(argv)
    try:
        variants = [VARIANTS_BY_NAME[n] for n in args.variant] if args.variant else list(VARIANTS)
    except KeyError as e:
        print(f"unknown variant {e.args[0]!r}; known: {', '.join(VARIANTS_BY_NAME)}", file=sys.stderr)
        return 2
    if args.no_pdf:
        variants = [v for v in variants if v.renderer != "pdf"]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with (args.out_dir / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for i in range(args.n):
            seed = args.start + i
            report = forge(seed, variants[i % len(variants)])
            name = f"{seed:05d}_{report.variant.name}_{report.filename}"
            (args.out_dir / name).write_bytes(report.content)
            entry = truth(report) | {"file": name}
            manifest.write(json.dumps(entry, ensure_ascii=False) + "\n")
    print(f"wrote {args.n} reports and manifest.jsonl to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
