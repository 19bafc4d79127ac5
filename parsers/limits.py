"""Safety limits every carrier honours, as one frozen options object (style.md §5).

Why: carriers read bytes fetched from thousands of portals we do not control. A hijacked or broken
site can serve a zip bomb dressed as .docx, a 10,000-deep ``<div>`` pyramid, or a 2,000-page scanned
PDF. Each of those must end in a named :class:`~parsers.errors.LimitExceeded` quickly and in bounded
memory, never in an out-of-memory kill or a stuck worker.

The object is built once at the entry point (``parsers.carriers.load``) and passed down unchanged;
use ``dataclasses.replace(DEFAULT_LIMITS, max_pdf_pages=20)`` for a variant. ``__post_init__`` rejects
nonsense values with an error naming the field and its allowed range.

How the defaults were chosen (re-run ``bench/parse_bench.py`` after changing any of them):

- ``MAX_INPUT_BYTES`` 64 MiB: the largest real report attachments seen are scanned PDFs of 20–40 MiB;
  a text-layer report is usually < 2 MiB and an HTML page < 1 MiB.
- ``MAX_UNZIPPED_BYTES`` 200 MiB and ``MAX_ZIP_RATIO`` 100: a real .docx with embedded photos unpacks
  to at most a few times its size (XML compresses ~10:1, JPEG/PNG ~1:1); 100:1 is far above any real
  report and far below a bomb (1000:1 and more).
- ``MAX_ZIP_MEMBERS`` 5,000: Word writes 10–60 parts; a package with thousands is not a report.
- ``MAX_HTML_DEPTH`` 256: real CMS pages nest 20–60 deep; browsers themselves cap nesting at ~512.
  Keeping it well under Python's recursion limit lets tree walks recurse safely.
- ``MAX_PDF_PAGES`` 300: annual reports are 3–40 pages; aggregated provincial reports reach ~120.
- ``TIME_BUDGET_S`` 60: the carrier benchmark reads a report in well under a second; a minute leaves
  room for a slow machine and still frees a worker stuck on a pathological file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

from parsers.errors import LimitExceeded

MIB = 1024 * 1024

MAX_INPUT_BYTES = 64 * MIB
MAX_UNZIPPED_BYTES = 200 * MIB
MAX_ZIP_RATIO = 100.0
MAX_ZIP_MEMBERS = 5_000
MAX_HTML_DEPTH = 256
MAX_PDF_PAGES = 300
TIME_BUDGET_S = 60.0

# (minimum, maximum) accepted for each field; the maximums stop a caller from "disabling" a limit
# by setting it absurdly high, which would defeat its purpose.
_RANGES: dict[str, tuple[float, float]] = {
    "max_input_bytes": (1, 1024 * MIB),
    "max_unzipped_bytes": (1, 4096 * MIB),
    "max_zip_ratio": (1.0, 10_000.0),
    "max_zip_members": (1, 100_000),
    "max_html_depth": (8, 900),  # above ~900 a recursive walk would hit Python's recursion limit
    "max_pdf_pages": (1, 10_000),
    "time_budget_s": (0.01, 3600.0),
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-file safety limits; see the module docstring for how each default was chosen."""

    max_input_bytes: int = MAX_INPUT_BYTES
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES
    max_zip_ratio: float = MAX_ZIP_RATIO
    max_zip_members: int = MAX_ZIP_MEMBERS
    max_html_depth: int = MAX_HTML_DEPTH
    max_pdf_pages: int = MAX_PDF_PAGES
    time_budget_s: float = TIME_BUDGET_S

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            lo, hi = _RANGES[f.name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"Limits.{f.name} must be a number in [{lo:g}, {hi:g}], got {value!r}")
            if not lo <= value <= hi:
                raise ValueError(f"Limits.{f.name} must be in [{lo:g}, {hi:g}], got {value!r}")

    def check_input_size(self, data: bytes, what: str) -> None:
        """Refuse an input larger than ``max_input_bytes`` before any parser sees it."""
        if len(data) > self.max_input_bytes:
            raise LimitExceeded(
                what,
                f"input is {len(data):,} bytes, above Limits.max_input_bytes={self.max_input_bytes:,}",
            )

    def deadline(self, what: str) -> Deadline:
        """Start the per-file clock (``time_budget_s``)."""
        return Deadline(self.time_budget_s, what)


class Deadline:
    """A monotonic per-file time budget that long loops poll between units of work (pages, tables).

    Why polling and not a signal/thread timeout: carriers are pure functions called from worker
    threads and Scrapy's reactor, where ``SIGALRM`` is unavailable or unsafe.
    """

    __slots__ = ("budget_s", "started", "what")

    def __init__(self, budget_s: float, what: str) -> None:
        self.budget_s = budget_s
        self.what = what
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def check(self, stage: str) -> None:
        """Raise `LimitExceeded` naming the stage if the budget is spent."""
        if self.elapsed > self.budget_s:
            raise LimitExceeded(
                self.what,
                f"time budget Limits.time_budget_s={self.budget_s:g}s spent during {stage} "
                f"({self.elapsed:.1f}s elapsed)",
            )


DEFAULT_LIMITS = Limits()
