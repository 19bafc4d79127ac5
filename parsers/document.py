"""The carrier-neutral document every carrier produces and every later stage reads.

Why one shape: HTML, DOCX, PDF and text extractions differ in every detail, but once a report is a
sequence of paragraphs and rectangular tables (merges expanded, each cell knowing where it came from),
table finding, label matching and value normalisation can be written once (format-spec §9.1–9.2).

Source positions (`src`) are plain JSON-able dicts so they can travel unchanged into the parse result,
the store and exports. The keys used are:

- HTML:  ``{"path": "/html/body/div[2]/table[1]/tr[4]/td[2]"}`` (lxml ``getroottree().getpath``)
- DOCX:  ``{"table": 2, "row": 4, "col": 1}`` or ``{"paragraph": 17}``
- PDF:   ``{"page": 3, "bbox": [x0, top, x1, bottom]}`` (pdfplumber coordinates, points)
- text:  ``{"line": 123}`` (1-based line number in the decoded text)

Every table additionally carries ``{"table_idx": n}`` in its own ``src`` (its index among the
document's tables), which the schema stage copies into each cell's provenance (format-spec §6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Src = dict[str, Any]


@dataclass(slots=True)
class Cell:
    """One position of a table grid.

    A merged (rowspan/colspan) cell is expanded: every grid position it covers gets a `Cell` with the
    same `text` and `src`; all positions except the top-left one have `span_of` set to the (row, col)
    of that top-left origin. Consumers that must not double count (e.g. a value spread by colspan)
    skip cells whose `span_of` is not None.
    """

    text: str
    src: Src = field(default_factory=dict)
    span_of: tuple[int, int] | None = None

    @property
    def is_origin(self) -> bool:
        return self.span_of is None


@dataclass(slots=True)
class Table:
    """A rectangular grid of cells (every row has the same length; short rows are padded with empty
    cells whose `src` is ``{"pad": True}``)."""

    rows: list[list[Cell]]
    src: Src = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    def texts(self) -> list[list[str]]:
        """The grid as plain strings (handy in tests and debugging)."""
        return [[c.text for c in row] for row in self.rows]


@dataclass(slots=True)
class Paragraph:
    """A run of body text outside tables (a heading, a sentence, a signature line)."""

    text: str
    src: Src = field(default_factory=dict)


Block = Paragraph | Table


@dataclass(slots=True)
class Document:
    """What a carrier read from one file, in reading order.

    `kind` is the carrier (``html``, ``docx``, ``pdf``, ``text``, ...). `meta` holds what the file itself
    says about the report outside the body, e.g. an HTML page's ``<title>``, ``<meta name=...>`` values or
    a portal's metadata table (发布日期, 索引号, 发布机构), keyed by the label as printed. `warnings` are
    human-readable notes about what the carrier had to tolerate (a lying charset, a truncated stream),
    and they reach the parse result.
    """

    kind: str
    blocks: list[Block] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # set when the body's tables are pictures (format-spec §9.1 "Images"): never report zeros for them
    image_tables: int = 0

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]

    def text(self) -> str:
        """All text in reading order, tables flattened row by row (cells joined by tabs)."""
        out: list[str] = []
        for b in self.blocks:
            if isinstance(b, Paragraph):
                out.append(b.text)
            else:
                for row in b.rows:
                    out.append("\t".join([c.text for c in row if c.span_of is None]))  # is_origin
        return "\n".join(out)
