"""The parser's entry point: bytes of one report → `ParseResult` (the ``parse --json`` shape).

`parse()` is a pure function of its inputs: no network, no database, no clock except the time budget.
Everything it could not read is in `ParseResult.warnings`, never swallowed; a file that is not a report
at all raises a named `parsers.errors.ParseError` subclass.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from parsers import schema
from parsers.document import Document
from parsers.limits import DEFAULT_LIMITS, Limits
from parsers.tables import TableExtraction, extract_tables

PARSER_VERSION = "0.1.0"

VALIDATION_MODES = ("lenient", "strict")
FORMAT_VERSIONS = (schema.GOV2021, schema.GOV2019, schema.LEGACY_2014, schema.LEGACY_2008, schema.UNKNOWN)


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Options of one parse, built once at the entry point and passed down unchanged.

    ``mode``: validation mode of the checks (format-spec §7.5): ``lenient`` (blank/dash/slash may count
    as 0 where the table is otherwise numeric) or ``strict`` (null ≠ 0). ``limits``: the carriers' safety
    limits (size, zip bombs, depth, pages, time budget).
    """

    mode: str = "lenient"
    limits: Limits = DEFAULT_LIMITS

    def __post_init__(self) -> None:
        if self.mode not in VALIDATION_MODES:
            raise ValueError(
                f"ParseOptions.mode must be one of {', '.join(VALIDATION_MODES)}, got {self.mode!r}"
            )
        if not isinstance(self.limits, Limits):
            raise ValueError(
                f"ParseOptions.limits must be a parsers.limits.Limits, got {type(self.limits).__name__}"
            )


@dataclass(slots=True)
class ParseResult:
    """What `parse()` found. `to_dict()` is the documented JSON shape; the other attributes keep the
    intermediate results (document, table stages, meta evidence) for tests and the UI."""

    report: dict[str, Any]
    cells: dict[str, dict[str, Any]]
    sections: dict[str, str] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    document: Document | None = None
    tables: TableExtraction | None = None
    meta: Any = None
    parser_version: str = PARSER_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "parser_version": self.parser_version,
            "report": dict(self.report),
            "cells": {k: dict(v) for k, v in self.cells.items()},
            "sections": dict(self.sections),
            "checks": list(self.checks),
            "warnings": list(self.warnings),
        }


def _optional(module: str, attr: str) -> Any:
    """A sibling stage that may not be installed yet in a partial checkout: None instead of a crash."""
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None


def _as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(obj)


def _source_kind(doc: Document, n_cells: int) -> str:
    if doc.image_tables:
        return "mixed" if n_cells else "image"
    if doc.kind == "image":
        return "image"
    ocr = [bool(t.src.get("ocr")) for t in doc.tables]  # tables read by parsers.ocr
    if any(ocr):
        return "image" if all(ocr) and doc.kind == "pdf" else "mixed"
    return doc.kind


def _format_version(ex: TableExtraction, stat_year: int | None) -> str:
    if ex.format_version in FORMAT_VERSIONS:
        return ex.format_version
    if stat_year is not None and stat_year <= 2018:
        return schema.LEGACY_2008
    return schema.UNKNOWN


def parse_document(
    doc: Document,
    *,
    url: str | None = None,
    page_meta: Mapping[str, str] | None = None,
    options: ParseOptions | None = None,
) -> ParseResult:
    """Stages 3–8 of `parse()` on an already loaded `Document` (the forge and tests call this)."""
    options = options or ParseOptions()
    warnings: list[str] = list(doc.warnings)

    # 7. sections, computed first: meta reads the preamble and overview too (split once, used twice)
    split_sections = _optional("parsers.sections", "split_sections")
    sections = split_sections(doc) if split_sections else {}

    # 3. meta
    extract_meta = _optional("parsers.meta", "extract_meta")
    meta = (
        extract_meta(doc, url=url, page_meta=page_meta, sections=sections if split_sections else None)
        if extract_meta
        else None
    )
    if extract_meta is None:
        warnings.append("parsers.meta is not available: agency, year and dates left empty")
    meta_d = _as_dict(meta)
    stat_year = meta_d.get("stat_year")

    # 4. tables
    ex = extract_tables(doc)
    warnings += ex.warnings

    # 5. images instead of tables: never report zeros for them
    cells = dict(ex.cells)
    if doc.image_tables and not cells:
        warnings.append(f"{doc.image_tables} table(s) are images: cells left absent, OCR needed")

    # 6. derived cells
    cells = schema.derive(cells)
    fmt = _format_version(ex, stat_year)

    # 6b. legacy_2008 prose figures (format-spec §8.4): only keys no table gave, flag ``text``
    labels = dict(ex.labels)
    if fmt == schema.LEGACY_2008:
        from parsers.legacy_text import text_cells, text_labels

        prose = text_cells(doc, cells)
        cells.update(prose)
        labels.update(text_labels(prose))

    # 6c. split / glued digit runs (format-spec §7): re-segment only rows whose text shows the damage
    repair_digits = _optional("parsers.repair", "repair_digits")
    if repair_digits is not None and cells:
        cells, repair_notes = repair_digits(doc, ex, cells, format_version=fmt, mode=options.mode)
        warnings += repair_notes

    # 7. sections (split above)
    if split_sections is None:
        warnings.append("parsers.sections is not available: sections left empty")

    # 8. checks
    run_checks = _optional("parsers.checks", "run_checks")
    checks: list[dict[str, Any]] = []
    if run_checks is not None and cells:
        results = run_checks(
            cells,
            format_version=fmt,
            table_versions={"table2": ex.table2_version or fmt, "table3": ex.table3_version or fmt},
            sections=sections,
            mode=options.mode,
        )
        checks = [_as_dict(r) for r in results]
    elif run_checks is None:
        warnings.append("parsers.checks is not available: no consistency checks were run")

    published = meta_d.get("published_date")
    if isinstance(published, date):
        published = published.isoformat()
    report = {
        "agency": meta_d.get("agency"),
        "stat_year": stat_year,
        "format_version": fmt,
        "table2_version": ex.table2_version,
        "table3_version": ex.table3_version,
        "title": meta_d.get("title"),
        "published_date": published,
        "scope": meta_d.get("scope"),
        "source_kind": _source_kind(doc, len(ex.cells)),
    }
    return ParseResult(
        report=report,
        cells=cells,
        sections=dict(sections),
        checks=checks,
        warnings=warnings,
        labels=labels,
        document=doc,
        tables=ex,
        meta=meta,
    )


def parse(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    page_meta: Mapping[str, str] | None = None,
    options: ParseOptions | None = None,
    resources: Mapping[str, bytes] | None = None,
) -> ParseResult:
    """Parse one report file.

    `resources` (optional) maps the URLs of files the report embeds to their archived bytes — today
    the pictures of an HTML report's tables (``{absolute_or_page_relative_src: image_bytes}``), which
    are then OCR'd (`parsers.ocr`). Without them such tables give no cells and ``source_kind`` is
    ``image`` (never zeros). `parse` never fetches anything itself.

    Stages, in order (each a named function whose result stays on the `ParseResult`):

    1. **limits** — refuse oversized input before anything reads it (`ParseOptions.limits`).
    2. **carrier** — `parsers.carriers.load` sniffs the format and reads a `Document` (paragraphs and
       merge-expanded tables); a WAF challenge page raises `ChallengePage`, an unreadable file
       `UnreadableInput`, a format without a carrier `UnsupportedFormat`. Images, scanned PDF pages
       and ``<img>`` tables with bytes in `resources` are OCR'd; their cells are flagged ``ocr``.
    3. **meta** — `parsers.meta.extract_meta`: agency, statistical year, title, published date, scope.
    4. **tables** — `parsers.tables.extract_tables`: find 二/三/四 by content, era per table, cells to keys.
    5. **images** — tables that are pictures give no cells (never zeros) and a warning; source_kind
       ``image`` or ``mixed``.
    6. **derive** — `parsers.schema.derive`: subtotals, legal_person, litigation totals (flag ``derived``);
       then, for legacy_2008, **prose figures** (`parsers.legacy_text`, flag ``text``), and **repair**
       (`parsers.repair.repair_digits`): rows whose digits a text layer split or glued are re-segmented
       only when exactly one segmentation satisfies every identity (flag ``repaired_by_constraint``),
       else their cells are flagged ``extraction_suspect``.
    7. **sections** — `parsers.sections.split_sections`: the narrative of each section.
    8. **checks** — `parsers.checks.run_checks` over the cells (format-spec §7), in `options.mode`.
    """
    options = options or ParseOptions()
    from parsers.carriers import load  # imported here: pdfplumber & co. load only when parsing

    options.limits.check_input_size(data, "input")
    doc = load(data, url=url, content_type=content_type, limits=options.limits, resources=resources)
    return parse_document(doc, url=url, page_meta=page_meta, options=options)
