"""Parse benchmark: how many reports per second each stage reads. Prints figures; asserts nothing.

Run: ``.venv/bin/python bench/parse_bench.py [--runs 5] [--only html,pdf] [--cold] [--no-corpus]``
(carriers: ``html docx text pdf doc xlsx scan``)

Targets (the parsers issue): **≥ 50 HTML reports/s and ≥ 5 PDF pages/s per core**, for the full parse.

Structure (so later stages can be added as one more entry):

- ``inputs()`` gathers ``Sample``s per carrier: forged reports in many layouts (`tests.forge`, ~30 HTML
  variants, every DOCX/text variant, a few PDFs) plus the corpus files when ``../shared`` exists. Without
  the forge (a checkout without ``tests/``) a few inputs built here stand in, so the benchmark always runs.
  Per-carrier rows beyond those, each only when it can be made here (`extra_samples`): ``doc`` (forged
  DOCX converted to Word 97 by LibreOffice through `parsers.carriers.convert`, cached under
  ``$TMPDIR/nianbaoku-bench-doc``; reading a DOC converts it to DOCX in a soffice child process, which the
  CPU clock does not see, so this row is always timed on the wall clock and says so),
  ``xlsx`` (the forged report's tables written as worksheets with openpyxl, merges kept) and ``scan``
  (one forged scan PNG — the whole report as one tall image, counted as one page — and one scanned PDF
  from `tests.forge.render_scan`; OCR, so ``SLOW_RUNS`` pass, no warm-up pass beyond loading the model,
  only the full parse, whose split shows the carrier is nearly all of it);
- ``STAGES`` maps a stage name to a function ``Sample -> object``: the anchor ``lxml_bare``
  (``lxml.html.fromstring`` of the same HTML — what any HTML reader must at least pay), ``carrier``
  (``parsers.carriers.load``) and ``full_parse`` (``parsers.report.parse``: carrier → sections → meta →
  tables → derive, legacy prose, repair → checks);
- every stage is timed in ``--runs`` passes over a carrier's samples and the **median** pass is printed
  with the run count (the machine is shared and noisy; a median of passes is stable where one long
  loop is not). The clock is the process's CPU time by default (the targets are *per core*, and CPU
  time does not count the time other processes held the core); ``--clock wall`` for elapsed time.
  The table shows reports/s, pages/s for PDFs and, for HTML, how many times slower than the lxml
  anchor;
- the per-stage split of the full parse (carrier, meta, tables, sections, checks; ``rest`` is derive,
  legacy prose figures, digit repair and glue) is measured
  *inside* ``full_parse`` by wrapping the stage functions `parsers.report.parse` looks up, so it adds up
  to the full parse instead of re-running stages on prepared inputs.

The parsers memoise pure string functions (label normalisation, value parsing). By default the caches
stay warm across reports, as in a crawl of many reports of one template; ``--cold`` clears them before
every report (the pessimistic figure for a first report).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

import parsers.carriers  # noqa: E402
import parsers.report  # noqa: E402
from parsers.carriers import load, sniff  # noqa: E402

SHARED = ROOT.parent / "shared"
KINDS = ("html", "docx", "text", "pdf", "doc", "xlsx", "scan")
PAGED = {"pdf", "scan"}  # carriers whose pages/s is shown
# OCR: 5–40 s a report on 2 cores; one timed pass, only the full parse (the carrier is nearly all of it)
SLOW_RUNS = {"scan": 1}
FORGED_SCANS = (("scan_png_clean", 0), ("scan_pdf_scanner", 0))
WALL_CLOCK_KINDS = {"doc"}  # the work happens in a child process (soffice): CPU time would hide it
FORGED_DOC = ("docx_default", "docx_gov2019")  # forged DOCX variants converted to .doc
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]
TARGETS = {"html": ("reports/s", 50.0), "pdf": ("pages/s", 5.0)}
# HTML variants of the forge in the set (the rest of the forge's HTML variants add little: same code paths)
FORGED_HTML = 30
FORGED_PDF = ("pdf_reportlab", "pdf_soffice", "pdf_reportlab_a5_page_breaks")


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    kind: str
    data: bytes
    pages: int = 1
    url: str | None = None
    content_type: str | None = None


# ---- inputs -----------------------------------------------------------------------------------------


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


def forged_pdf() -> bytes:
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
    return buf.getvalue()


def pdf_pages(data: bytes) -> int:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return max(len(pdf.pages), 1)


def builtin_samples() -> list[Sample]:
    """Inputs made here: the fallback when neither the forge nor the corpus is available."""
    seed_like = "\n".join(f"\t{i}\n\t{i * 3}\n" for i in range(300)).encode()
    pdf = forged_pdf()
    return [
        Sample("builtin.html", "html", forged_html()),
        Sample("builtin.docx", "docx", forged_docx()),
        Sample("builtin.pdf", "pdf", pdf, pdf_pages(pdf)),
        Sample("builtin.txt", "text", seed_like),
    ]


def forged_samples() -> list[Sample]:
    """Reports from `tests.forge`: the first `FORGED_HTML` HTML variants, every DOCX and text variant
    and the `FORGED_PDF` variants (seed 1 each). Empty when the forge cannot be imported."""
    try:
        from tests.forge import VARIANTS, forge
    except ImportError as e:
        print(f"# tests.forge unavailable ({e}); using built-in inputs", file=sys.stderr)
        return []
    html = [v for v in VARIANTS if v.renderer == "html"][:FORGED_HTML]
    rest = [v for v in VARIANTS if v.renderer in ("docx", "text") or v.name in FORGED_PDF]
    out: list[Sample] = []
    for v in html + rest:
        try:
            r = forge(1, v)
        except Exception as e:  # a renderer needing soffice on a machine without it
            print(f"# forge {v.name} skipped: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        pages = pdf_pages(r.content) if v.renderer == "pdf" else 1
        out.append(Sample(f"forge:{v.name}", v.carrier, r.content, pages, r.url, r.content_type))
    return out


def _soffice_doc(docx: bytes) -> bytes:
    """DOCX → DOC with LibreOffice (`parsers.carriers.convert`), cached by the DOCX digest."""
    import hashlib
    import tempfile

    from parsers.carriers.convert import convert

    cache = Path(tempfile.gettempdir()) / "nianbaoku-bench-doc"
    cached = cache / f"{hashlib.sha256(docx).hexdigest()}.doc"
    if cached.exists():
        return cached.read_bytes()
    doc = convert(docx, src_ext="docx", to="doc:MS Word 97", timeout_s=180.0)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    tmp.write_bytes(doc)
    tmp.replace(cached)
    return doc


def _xlsx_of(data: object) -> bytes:
    """A forged report's tables (`tests.forge.layout.outline`) as worksheets, merges kept; cells holding
    a plain integer are stored as numbers (as agencies' spreadsheets do)."""
    import openpyxl

    from tests.forge.layout import Layout, outline

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for t in outline(data, Layout()).tables:  # type: ignore[arg-type]
        ws = wb.create_sheet(t.name[:31])
        for r, row in enumerate(t.grid()):
            for c, (cell, origin, cont) in enumerate(row):
                if not origin or cont or (c > 0 and row[c - 1][0] is cell and row[c - 1][1]):
                    continue
                text = cell.text
                ws.cell(r + 1, c + 1, int(text) if text.isdigit() else (text or None))
                if cell.rowspan > 1 or cell.colspan > 1:
                    ws.merge_cells(start_row=r + 1, start_column=c + 1,
                                   end_row=r + cell.rowspan, end_column=c + cell.colspan)  # fmt: skip
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def extra_samples() -> list[Sample]:
    """The ``doc``, ``xlsx`` and ``scan`` carriers (module docstring); each skipped, with the reason on
    stderr, when what it needs (the forge, LibreOffice, the OCR engine) is missing."""
    try:
        from tests.forge import VARIANTS_BY_NAME, forge, report_data
    except ImportError as e:
        print(f"# doc/xlsx/scan rows skipped: tests.forge unavailable ({e})", file=sys.stderr)
        return []
    out: list[Sample] = []
    for name in FORGED_DOC:
        try:
            r = forge(1, name)
            doc = _soffice_doc(r.content)
            out.append(Sample(f"forge:{name}.doc", "doc", doc, 1, None, "application/msword"))
        except Exception as e:  # no soffice / no Writer: ConverterUnavailable, or a failed conversion
            print(f"# doc {name} skipped: {type(e).__name__}: {e}", file=sys.stderr)
    for seed in (1, 2):
        data = report_data(seed, VARIANTS_BY_NAME["docx_default"])
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        out.append(Sample(f"forge:seed{seed}.xlsx", "xlsx", _xlsx_of(data), 1, None, ctype))
    try:
        from parsers.ocr.engine import get_engine
        from tests.forge.render_scan import render_scan

        get_engine()  # the model load is not what the row measures
    except Exception as e:  # OcrUnavailable, or Pillow/fonts missing for the forge
        print(f"# scan rows skipped: {type(e).__name__}: {e}", file=sys.stderr)
        return out
    for name, seed in FORGED_SCANS:
        scan = render_scan(seed, name)
        pages = pdf_pages(scan.content) if scan.content_type == "application/pdf" else 1
        out.append(Sample(f"forge:{name}", "scan", scan.content, pages, scan.url, scan.content_type))
    return out


def corpus_samples() -> list[Sample]:
    """The corpus files of ``../shared`` (HTML, PDF, text/markdown extractions) and the seed report."""
    raw = SHARED / "corpus" / "raw"
    if not raw.is_dir():
        return []
    paths = sorted(raw.iterdir())
    if (SHARED / "seed-report.txt").exists():
        paths.append(SHARED / "seed-report.txt")
    out: list[Sample] = []
    for path in paths:
        data = path.read_bytes()
        kind = sniff(data, url=path.name)
        if kind in KINDS:
            out.append(Sample(path.name, kind, data, pdf_pages(data) if kind == "pdf" else 1))
    return out


def inputs(
    *, corpus: bool = True, forged: bool = True, only: set[str] | None = None
) -> dict[str, list[Sample]]:
    """Samples per carrier (see the module docstring); `only`: carriers wanted (the slow extras are not
    even built when left out)."""
    samples = (forged_samples() if forged else []) + (corpus_samples() if corpus else [])
    if forged and (not only or only & {"doc", "xlsx", "scan"}):
        samples += [s for s in extra_samples() if not only or s.kind in only]
    have = {s.kind for s in samples}
    samples += [s for s in builtin_samples() if s.kind not in have]
    out: dict[str, list[Sample]] = {k: [] for k in KINDS}
    for s in samples:
        out[s.kind].append(s)
    return out


# ---- stages -----------------------------------------------------------------------------------------

STAGES: dict[str, Callable[[Sample], object]] = {
    "lxml_bare": lambda s: lxml.html.fromstring(s.data),  # the anchor; only run on HTML
    "carrier": lambda s: load(s.data, url=s.url, content_type=s.content_type),
    "full_parse": lambda s: parsers.report.parse(s.data, url=s.url, content_type=s.content_type),
}

# stage of the full parse → (module, attribute) that `parsers.report` looks up when it runs
PARSE_STAGES = {
    "carrier": ("parsers.carriers", "load"),
    "meta": ("parsers.meta", "extract_meta"),
    "tables": ("parsers.report", "extract_tables"),
    "sections": ("parsers.sections", "split_sections"),
    "checks": ("parsers.checks", "run_checks"),
}


@contextmanager
def stage_timers(spent: dict[str, float]) -> Iterator[None]:
    """Wrap the functions of `PARSE_STAGES` so each call adds its time to ``spent[stage]``."""
    import importlib

    saved = []
    for stage, (mod_name, attr) in PARSE_STAGES.items():
        mod = importlib.import_module(mod_name)
        fn = getattr(mod, attr)

        def timed(*a: object, _fn: Callable = fn, _stage: str = stage, **kw: object) -> object:
            t = clock()
            try:
                return _fn(*a, **kw)
            finally:
                spent[_stage] += clock() - t

        saved.append((mod, attr, fn))
        setattr(mod, attr, timed)
    try:
        yield
    finally:
        for mod, attr, fn in saved:
            setattr(mod, attr, fn)


# ---- timing -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Figure:
    """Median of `runs` passes: reports/s and pages/s, plus the slowest and fastest pass (reports/s)."""

    rps: float
    pps: float
    runs: int
    low: float
    high: float


def time_passes(
    fn: Callable[[Sample], object],
    samples: list[Sample],
    runs: int,
    before: Callable[[], None] | None = None,
    warm_up: bool = True,
) -> Figure:
    """Run `fn` over all `samples` `runs` times (after one warm-up pass); the median pass wins."""
    for s in samples if warm_up else ():
        fn(s)
    rates: list[tuple[float, float]] = []
    pages = sum(s.pages for s in samples)
    for _ in range(runs):
        elapsed = 0.0
        for s in samples:
            if before:
                before()
            t = clock()
            fn(s)
            elapsed += clock() - t
        rates.append((len(samples) / elapsed, pages / elapsed))
    rps = sorted(r for r, _ in rates)
    mid = statistics.median_low(rps)
    return Figure(mid, dict(rates)[mid], runs, rps[0], rps[-1])


def split_of_full_parse(samples: list[Sample], before: Callable[[], None] | None) -> dict[str, float]:
    """Share of the full parse spent in each stage over one pass (``rest``: derive, glue, limits)."""
    spent: dict[str, float] = defaultdict(float)
    total = 0.0
    with stage_timers(spent):
        for s in samples:
            if before:
                before()
            t = clock()
            STAGES["full_parse"](s)
            total += clock() - t
    shares = {stage: spent[stage] / total for stage in PARSE_STAGES}
    shares["rest"] = max(0.0, 1.0 - sum(shares.values()))
    return shares


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="passes per (stage, carrier); the median is shown")
    ap.add_argument("--only", default="", help="comma-separated carriers to run (default: all)")
    ap.add_argument("--cold", action="store_true", help="clear the parsers' memo caches before every report")
    ap.add_argument("--no-corpus", action="store_true", help="forged inputs only (ignore ../shared)")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="cpu time (default) or wall time")
    ap.add_argument("--per-file", action="store_true", help="also time the full parse of each file")
    args = ap.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    only = set(filter(None, args.only.split(",")))
    samples = inputs(corpus=not args.no_corpus, only=only)
    before = None
    if args.cold:
        from parsers._memo import clear_caches as before

    caching = "cleared per report" if args.cold else "warm"
    print(f"# median of {args.runs} passes per row; {args.clock} clock; memo caches {caching}")
    print(f"{'carrier':7} {'stage':10} {'samples':>7} {'reports/s':>10} {'pages/s':>9} {'x lxml':>7}"
          f"  {'runs':>4} {'min..max reports/s':>19}")  # fmt: skip
    chosen = clock
    for kind, group in samples.items():
        if (only and kind not in only) or not group:
            continue
        clock = CLOCKS["wall"] if kind in WALL_CLOCK_KINDS else chosen
        if kind in WALL_CLOCK_KINDS and chosen is not clock:
            print(f"{'':18} {kind}: wall clock (the conversion runs in soffice, a child process)")
        anchor = None
        slow = kind in SLOW_RUNS
        runs = SLOW_RUNS.get(kind, args.runs)
        for stage, fn in STAGES.items():
            if (stage == "lxml_bare" and kind != "html") or (slow and stage != "full_parse"):
                continue
            f = time_passes(fn, group, runs, before if stage == "full_parse" else None, warm_up=not slow)
            if stage == "lxml_bare":
                anchor = f.rps
            ratio = f"{anchor / f.rps:7.1f}" if anchor else f"{'':>7}"
            pages = (f"{f.pps:9.3f}" if slow else f"{f.pps:9.1f}") if kind in PAGED else f"{'':>9}"
            spread = f"{f.low:.3f}..{f.high:.3f}" if slow else f"{f.low:.1f}..{f.high:.1f}"
            rps = f"{f.rps:10.3f}" if slow else f"{f.rps:10.1f}"
            row = f"{kind:7} {stage:10} {len(group):7} {rps} {pages} {ratio}"
            print(f"{row}  {f.runs:4} {spread:>19}")
            if stage == "full_parse" and kind in TARGETS:
                unit, goal = TARGETS[kind]
                got = f.pps if unit == "pages/s" else f.rps
                print(f"{'':18} target ≥ {goal:g} {unit}: {'met' if got >= goal else 'NOT met'} ({got:.1f})")
        if slow:  # one more OCR pass for a split or per file would double the row's cost
            continue
        shares = split_of_full_parse(group, before)
        print(f"{'':18} full_parse split: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
        if args.per_file or kind == "pdf":
            for s in group:
                f = time_passes(STAGES["full_parse"], [s], max(1, min(args.runs, 3)), before)
                pages = f"{f.pps:6.1f} pages/s" if kind == "pdf" else ""
                print(f"  {s.name:40} {s.pages:3d} p  {f.rps:7.2f} reports/s {pages}")


if __name__ == "__main__":
    main()
