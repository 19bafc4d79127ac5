"""Filling a test store the way the crawl pipeline does: capture → agency → version → parse result.

The researcher-tool tests (`test_export`, `test_coverage`, `test_history`) build their stores with
these helpers, from parse results of forged reports (`tests.forge`, parsed by `parsers.report.parse`)
or from synthetic results whose every value is known (`synthetic_result`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from parsers import schema
from storage.blobs import BlobStore
from storage.models import ParseResult, ReportVersion
from storage.repository import record_parse, record_version, store_capture, upsert_agency

T0 = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)


@lru_cache(maxsize=16)
def _forged(seed: int, variant: str) -> str:
    from parsers.report import parse
    from tests.forge import forge

    report = forge(seed, variant)
    result = parse(report.content, url=report.url, content_type=report.content_type).to_dict()
    return json.dumps(result, ensure_ascii=False)


def forged_result(seed: int = 3, variant: str = "html_word_zoom") -> dict[str, Any]:
    """The ``parse --json`` dict of a forged report (parsed once per test session, copied per call)."""
    return json.loads(_forged(seed, variant))


def synthetic_result(
    *,
    agency: str,
    stat_year: int,
    era: str = schema.GOV2021,
    published_date: str | None = None,
    start: int = 1,
    keys: Sequence[str] | None = None,
    checks: Sequence[Mapping[str, Any]] = (),
    parser_version: str = "test-1",
) -> dict[str, Any]:
    """A parse result whose cells are `keys` (default: every leaf key of `era`) with values
    start, start+1, … in order — so a test knows every value it will read back."""
    keys = list(keys if keys is not None else schema.leaf_keys(era))
    cells = {
        key: {
            "value": start + i,
            "raw": str(start + i),
            "flag": "ok",
            "unit": "件",
            "src": {"table_idx": 0, "row_idx": i, "col_idx": 1},
        }
        for i, key in enumerate(keys)
    }
    return {
        "parser_version": parser_version,
        "report": {
            "agency": agency,
            "stat_year": stat_year,
            "format_version": era,
            "table2_version": era if era in (schema.GOV2019, schema.GOV2021) else None,
            "table3_version": era if era in (schema.GOV2019, schema.GOV2021) else None,
            "title": f"{agency}{stat_year}年政府信息公开工作年度报告",
            "published_date": published_date,
            "scope": "agency",
            "source_kind": "html",
        },
        "cells": cells,
        "sections": {},
        "checks": [dict(c) for c in checks],
        "warnings": [],
    }


def add_report(
    session: Session,
    blobs: BlobStore,
    *,
    agency: str,
    year: int,
    result: Mapping[str, Any] | None,
    url: str | None = None,
    attachment_url: str | None = None,
    body: bytes | None = None,
    seen_at: datetime = T0,
    scope: str = "agency",
    region_code: str | None = None,
    level: str | None = "county",
    kind: str | None = "department",
) -> tuple[ReportVersion, ParseResult | None]:
    """Store one sighting of a report: a detail capture (and an attachment capture if
    `attachment_url`), the agency, the version, and `result` as its parse (None: left unparsed).
    The bytes default to the result's JSON, so different results make different versions."""
    record = upsert_agency(session, agency, region_code=region_code, level=level, kind=kind)
    payload = body if body is not None else json.dumps(copy.deepcopy(result), ensure_ascii=False).encode()
    url = url or f"http://www.example.gov.cn/{record.id}/{year}/{scope}.html"
    captures = [
        store_capture(
            session,
            blobs,
            payload + b"<!-- detail -->",
            url=url,
            final_url=url,
            status=200,
            content_type="text/html; charset=utf-8",
            fetched_at=seen_at,
            kind="detail",
        )
    ]
    if attachment_url:
        captures.append(
            store_capture(
                session,
                blobs,
                payload + b"%PDF",
                url=attachment_url,
                final_url=attachment_url,
                status=200,
                content_type="application/pdf",
                fetched_at=seen_at,
                kind="attachment",
            )
        )
    version, _ = record_version(
        session, agency=record, stat_year=year, scope=scope, captures=captures, seen_at=seen_at
    )
    parsed = record_parse(session, version, result) if result is not None else None
    return version, parsed
