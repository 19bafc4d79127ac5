"""Datasette metadata for the store: titles, table and column descriptions, facets, labels, hidden tables.

Why read the descriptions out of `storage/models.py` instead of writing them again here: the models are
where the schema is explained (class docstrings, and the string literal under a column — the attribute
docstring convention Sphinx reads), so a second copy would drift. `model_docs` walks the module's AST,
because attribute docstrings are not kept at run time. `COLUMN_NOTES` adds a line only for columns the
models leave unexplained, and `TABLE_OPTIONS` says how each table is best browsed.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from storage import models

PLUGIN = "nianbaoku"
"""The key of this plugin's settings in the metadata (``metadata["plugins"]["nianbaoku"]``)."""


@dataclass(frozen=True, slots=True)
class TableDoc:
    """What the models say about one table: its description and each documented column's."""

    description: str
    columns: dict[str, str] = field(default_factory=dict)


def _first_paragraph(text: str) -> str:
    return " ".join(inspect.cleandoc(text).split("\n\n", 1)[0].split())


def model_docs() -> dict[str, TableDoc]:
    """Table name → `TableDoc`, from the class docstrings and attribute docstrings of `storage.models`."""
    tree = ast.parse(inspect.getsource(models))
    classes = {
        cls.__name__: cls
        for cls in vars(models).values()
        if isinstance(cls, type) and issubclass(cls, models.Base) and hasattr(cls, "__tablename__")
    }
    docs: dict[str, TableDoc] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name not in classes:
            continue
        columns: dict[str, str] = {}
        for stmt, after in pairwise(node.body):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                columns[stmt.target.id] = _first_paragraph(after.value.value)
        docstring = ast.get_docstring(node) or ""
        docs[classes[node.name].__tablename__] = TableDoc(_first_paragraph(docstring), columns)
    return docs


COLUMN_NOTES: dict[str, dict[str, str]] = {
    "agencies": {
        "name": "Canonical full name of the publishing body (unique).",
        "aliases": "Other spellings and former names (JSON list).",
        "region_code": "GB/T 2260 administrative division code of the agency's area.",
        "level": "national / province / city / county / town.",
        "kind": "government (a people's government) or department.",
        "parent_id": "The agency this one belongs to, if known.",
        "index_prefix": "索引号 unit prefix used by the portal.",
        "uscc": "Unified social credit code (统一社会信用代码).",
        "xxgk_area": "The portal's information-disclosure area code.",
    },
    "crawl_runs": {
        "profile": "Portal profile id (spiders/profiles/*.yaml).",
        "status": "running / finished / interrupted / failed.",
    },
    "captures": {
        "url": "The URL requested (file:// for imported files).",
        "final_url": "The URL after redirects.",
        "http_status": "HTTP status (null for imports).",
        "headers": "Response headers (JSON).",
        "content_type": "Content-Type of the response.",
        "size": "Size of the bytes in the archive.",
        "sha256": "Digest of the archived bytes; the bytes are served at /blob/<sha256>.",
        "kind": "list / detail / attachment / import / robots / challenge / other.",
        "fetched_at": "First fetch of these bytes from this URL (UTC).",
        "last_fetched_at": "Latest fetch of the same bytes from this URL (UTC).",
        "fetch_count": "How many times these bytes were fetched from this URL.",
    },
    "reports": {
        "stat_year": "The statistical year the report covers.",
        "scope": "agency / government_aggregate / agency_with_subordinates / government_office.",
    },
    "report_versions": {
        "content_hash": "sha256 of the version's source capture digests, sorted.",
        "first_seen": "When this content was first seen (UTC).",
        "last_seen": "When this content was last seen (UTC).",
        "is_current": "Whether this is the report's current version; the page is at /report/<id>.",
    },
    "parse_results": {
        "parser_version": "Version of the parser that produced this result.",
        "format_version": "gov2021 / gov2019 / legacy_2014 / legacy_2008 / unknown.",
        "sections": "The narrative sections of the report (JSON).",
        "is_current": "Whether this is the version's current parse result.",
    },
    "cells": {
        "key": "Canonical key (format-spec §3–5), e.g. applications.new.total.",
        "value": "The number, or null for a blank, dash or slash cell.",
        "raw": "The text as printed.",
        "flag": "ok / blank / dash / slash / zero_text / text / unit_inline / ocr / derived.",
        "unit": "Unit of the value (件, 万元, …).",
        "src": "Where the cell was read: table, row and column index (JSON).",
    },
    "check_results": {
        "rule": "Consistency rule id (format-spec §7), e.g. T3-BAL.",
        "status": "PASS / FAIL / NOT_ASSESSABLE.",
        "left": "Value of the rule's left-hand side.",
        "right": "Value of the rule's right-hand side.",
        "delta": "left − right.",
        "keys": "Cell keys the rule involves (JSON list).",
    },
    "cross_year_checks": {
        "severity": "T / S / R / H (format-spec §7).",
        "message": "What the rule says and whether it held.",
    },
    "report_version_captures": {
        "version_id": "The report version.",
        "capture_id": "A capture its content came from.",
    },
}

TABLE_OPTIONS: dict[str, dict[str, Any]] = {
    "agencies": {"label_column": "name", "facets": ["level", "kind"], "sort": "name"},
    "crawl_runs": {"label_column": "profile", "facets": ["status", "profile"], "sort_desc": "started_at"},
    "captures": {"label_column": "url", "facets": ["kind", "content_type", "http_status"]},
    "reports": {"facets": ["stat_year", "scope"], "sort_desc": "stat_year"},
    "report_versions": {"facets": ["is_current"], "sort_desc": "first_seen"},
    "parse_results": {"facets": ["format_version", "parser_version", "is_current"]},
    "cells": {"facets": ["flag", "unit"], "size": 200},
    "check_results": {"facets": ["status", "rule", "kind"]},
    "cross_year_checks": {"facets": ["status", "rule", "severity"]},
    "report_version_captures": {},
    "alembic_version": {"hidden": True},
}

TITLES: dict[str, str] = {
    "agencies": "Agencies 机关",
    "crawl_runs": "Crawl runs",
    "captures": "Captures (fetched and imported files)",
    "reports": "Reports 年度报告",
    "report_versions": "Report versions",
    "parse_results": "Parse results",
    "cells": "Cells (every statistical value)",
    "check_results": "Consistency checks (§7)",
    "cross_year_checks": "Cross-year checks (§7.1, §7.3)",
    "report_version_captures": "Version ↔ capture links",
}


def build_metadata(database: str, plugin_config: dict[str, Any]) -> dict[str, Any]:
    """The Datasette metadata for a store served as database `database`.

    `plugin_config` (where the blob archive is, the database name) is kept under ``plugins`` so the
    routes read it with ``datasette.plugin_config(PLUGIN)``.
    """
    docs = model_docs()
    tables: dict[str, Any] = {}
    for name, options in TABLE_OPTIONS.items():
        doc = docs.get(name)
        columns = {**COLUMN_NOTES.get(name, {}), **(doc.columns if doc else {})}
        entry: dict[str, Any] = dict(options)
        if name in TITLES:
            entry["title"] = TITLES[name]
        if doc and doc.description:
            entry["description"] = doc.description
        elif name == "report_version_captures":
            entry["description"] = "Which captures a version's content came from (detail page, attachments)."
        if columns:
            entry["columns"] = columns
        tables[name] = entry
    return {
        "title": "nianbaoku 年报库",
        "description_html": (
            "Archive of government information-disclosure annual reports (政府信息公开工作年度报告). "
            'Browse the <a href="/reports">current reports</a> as parsed, or the raw tables below.'
        ),
        "databases": {
            database: {
                "description": "The relational store: agencies, captures, reports, versions, parse results.",
                "tables": tables,
            }
        },
        "plugins": {PLUGIN: dict(plugin_config)},
    }
