"""Parse benchmark: how many reports per second each stage reads. Prints figures; asserts nothing.

Run: ``.venv/bin/python bench/parse_bench.py [--seconds 2] [--only html,pdf]``

Structure (so later stages can be added as one more entry):

- ``inputs()`` gathers ``Sample``s per carrier: the corpus files (when ``../shared`` exists) plus inputs
  forged here, so the benchmark also runs where the corpus is absent;
- ``STAGES`` maps a stage name to a function ``bytes -> object``. The carrier part registers
  ``carrier`` (``parsers.carriers.load``) and the anchor ``lxml_bare`` (``lxml.html.fromstring`` of the
  same HTML — what any HTML reader must at least pay). A full-parse stage is added as
  ``STAGES["full_parse"] = lambda data: parsers.report.parse(data)``;
- each stage is timed on each carrier's samples for ``--seconds``; the table shows reports/s, pages/s
  for PDFs, and the ratio to the lxml anchor for HTML (how many times slower than a bare parse).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from parsers.carriers import load, sniff  # noqa: E402

SHARED = ROOT.parent / "shared"


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    kind: str
    data: bytes
    pages: int = 1


def forged_html() -> bytes:
    rows = "".join(
        f"<tr><td>{i}.行</td>" + "".join(f"<td>{i * j}</td>" for j in range(7)) + "</tr>" for i in range(28)
    )
    head = '<tr><td rowspan="2" colspan="2">勾稽</td><td colspan="6">申请人情况</td></tr><tr>'
    head += "<td>h</td>" * 6
    body = "<p>一、总体情况</p>" + "<p>" + "我局认真贯彻落实《条例》。" * 40 + "</p>"
    page = f'<html><head><meta charset="utf-8"></head><body><div id="zoom">{body}'
    return f"{page}<table>{head}</tr>{rows}</table></div></body></html>".encode()


def forged_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("一、总体情况")
    t = d.add_table(rows=28, cols=9)
    t.cell(0, 0).merge(t.cell(1, 1))
    for r in range(2, 28):
        for c in range(9):
            t.cell(r, c).text = str(r * c)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def forged_pdf() -> tuple[bytes, int]:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate, Table

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    rows = [[f"行{i}", *[str(i * j) for j in range(7)]] for i in range(120)]
    buf = io.BytesIO()
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONT", (0, 0), (-1, -1), "STSong-Light", 9)]
    SimpleDocTemplate(buf, pagesize=A4).build([Table(rows, style=style, repeatRows=1)])
    data = buf.getvalue()
    return data, data.count(b"/Type /Page\n") or data.count(b"/Type /Page") - data.count(b"/Type /Pages")


def inputs() -> dict[str, list[Sample]]:
    out: dict[str, list[Sample]] = {"html": [], "docx": [], "pdf": [], "text": []}
    out["html"].append(Sample("forged.html", "html", forged_html()))
    out["docx"].append(Sample("forged.docx", "docx", forged_docx()))
    pdf_data, pages = forged_pdf()
    out["pdf"].append(Sample("forged.pdf", "pdf", pdf_data, max(pages, 1)))
    seed_like = "\n".join(f"\t{i}\n\t{i * 3}\n" for i in range(300)).encode()
    out["text"].append(Sample("forged.txt", "text", seed_like))
    raw = SHARED / "corpus" / "raw"
    if raw.is_dir():
        import pdfplumber

        for path in sorted(raw.iterdir()):
            data = path.read_bytes()
            kind = sniff(data)
            if kind not in out:
                continue
            pages = 1
            if kind == "pdf":
                with pdfplumber.open(io.BytesIO(data)) as pdf:
                    pages = len(pdf.pages)
            out[kind].append(Sample(path.name, kind, data, pages))
        seed = SHARED / "seed-report.txt"
        if seed.exists():
            out["text"].append(Sample(seed.name, "text", seed.read_bytes()))
    return out


STAGES: dict[str, Callable[[bytes], object]] = {
    "carrier": load,
    "lxml_bare": lxml.html.fromstring,  # the anchor; only run on HTML
}


def timeit(fn: Callable[[bytes], object], samples: list[Sample], seconds: float) -> tuple[float, float]:
    """(reports/s, pages/s) for `fn` over `samples`, looping for at least `seconds`."""
    n = pages = 0
    started = time.perf_counter()
    while True:
        for s in samples:
            fn(s.data)
            n += 1
            pages += s.pages
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return n / elapsed, pages / elapsed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time per (stage, carrier) cell")
    ap.add_argument("--only", default="", help="comma-separated carriers to run (default: all)")
    args = ap.parse_args(argv)
    samples = inputs()
    only = set(filter(None, args.only.split(",")))
    print(f"{'carrier':7} {'stage':10} {'samples':>7} {'reports/s':>10} {'pages/s':>9} {'x lxml':>7}")
    for kind, group in samples.items():
        if (only and kind not in only) or not group:
            continue
        anchor = None
        if kind == "html":
            anchor, _ = timeit(STAGES["lxml_bare"], group, args.seconds)
            print(f"{kind:7} {'lxml_bare':10} {len(group):7} {anchor:10.1f} {'':>9} {1.0:7.1f}")
        for stage, fn in STAGES.items():
            if stage == "lxml_bare":
                continue
            rps, pps = timeit(fn, group, args.seconds)
            ratio = f"{anchor / rps:7.1f}" if anchor else f"{'':>7}"
            pages = f"{pps:9.1f}" if kind == "pdf" else f"{'':>9}"
            print(f"{kind:7} {stage:10} {len(group):7} {rps:10.1f} {pages} {ratio}")
        for s in group:
            if kind == "pdf":
                rps, pps = timeit(load, [s], min(args.seconds, 1.0))
                print(f"  {s.name:34} {s.pages:3d} pages  {rps:6.2f} reports/s  {pps:6.1f} pages/s")


if __name__ == "__main__":
    main()
