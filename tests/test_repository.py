"""storage.repository on every backend: captures, agencies, versioning, parse results, crawl runs, status."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from storage.db import Store
from storage.errors import InvalidRecord
from storage.models import Capture, Cell, CheckResult, ParseResult, Report, ReportVersion
from storage.repository import (
    content_hash,
    current_parse,
    find_agency,
    finish_crawl_run,
    history,
    last_capture,
    record_parse,
    record_version,
    start_crawl_run,
    store_capture,
    store_status,
    update_crawl_run,
    upsert_agency,
    url_key,
    versions_to_parse,
)

T0 = datetime(2024, 1, 20, 2, 0, tzinfo=UTC)
CST = timezone(timedelta(hours=8), "Asia/Shanghai")
AGENCY = "湖州市吴兴区人力资源和社会保障局"
HTML_V1 = "<html><body><h1>2023年政府信息公开工作年度报告</h1><table>…</table></body></html>".encode()
HTML_V2 = HTML_V1.replace("…".encode(), "更正".encode())
PDF = b"%PDF-1.7\n" + "附件：年度报告".encode() + b"\n%%EOF"


def parse_result(parser_version: str = "0.1.0", value: float = 12) -> dict:
    return {
        "parser_version": parser_version,
        "report": {
            "agency": AGENCY,
            "stat_year": 2023,
            "format_version": "gov2021",
            "title": "湖州市吴兴区人力资源和社会保障局2023年政府信息公开工作年度报告",
            "published_date": "2024-01-18",
            "scope": "agency",
            "source_kind": "html",
        },
        "cells": {
            "applications.new.natural_person": {
                "value": value,
                "raw": str(value),
                "flag": "ok",
                "unit": None,
                "src": {"table_idx": 2, "row_idx": 3, "col_idx": 1},
            },
            "applications.new.commercial": {
                "value": None,
                "raw": "—",
                "flag": "dash",
                "unit": None,
                "src": {},
            },
            "fees.info_processing.collected_amount": {
                "value": 0.15,
                "raw": "0.15万元",
                "flag": "unit_inline",
                "unit": "万元",
                "src": {"table_idx": 0},
            },
        },
        "sections": {"overview": "2023年，吴兴区人力社保局坚持以习近平新时代中国特色社会主义思想为指导……"},
        "checks": [
            {
                "rule": "T3-BAL",
                "status": "PASS",
                "left": value,
                "right": value,
                "delta": 0,
                "keys": ["applications.new.total"],
                "kind": None,
            },
            {
                "rule": "T3-TOTAL",
                "status": "FAIL",
                "left": 13,
                "right": 12,
                "delta": 1,
                "keys": ["applications.new.total", "applications.new.natural_person"],
                "kind": "source_inconsistent",
            },
        ],
    }


def capture(store: Store, s, data: bytes, url: str, *, at: datetime = T0, kind: str = "detail") -> Capture:
    return store_capture(
        s,
        store.blobs,
        data,
        url=url,
        final_url=url,
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        content_type="text/html",
        fetched_at=at,
        kind=kind,
    )


def count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


# --- captures ----------------------------------------------------------------------------------------


def test_capture_archives_bytes_then_records_the_row(store: Store) -> None:
    with store.Session() as s, s.begin():
        cap = capture(store, s, HTML_V1, "https://www.wuxing.gov.cn/art/2024/1/18/art_1_1.html")
        cap_id = cap.id
    assert store.blobs.get(cap.sha256) == HTML_V1
    with store.Session() as s:
        row = s.get(Capture, cap_id)
        assert row.size == len(HTML_V1) and row.http_status == 200 and row.kind == "detail"
        assert row.headers == {"Content-Type": "text/html; charset=utf-8"}
        assert row.fetch_count == 1 and row.fetched_at == row.last_fetched_at == T0


def test_same_bytes_same_url_reuse_the_row_other_url_gets_its_own(store: Store) -> None:
    url = "https://www.wuxing.gov.cn/art/2024/1/18/art_1_1.html"
    with store.Session() as s, s.begin():
        first = capture(store, s, HTML_V1, url)
        again = capture(store, s, HTML_V1, url, at=T0 + timedelta(days=1))
        elsewhere = capture(store, s, HTML_V1, "https://www.huzhou.gov.cn/repost/1.html")
        assert again.id == first.id
        assert again.fetch_count == 2 and again.last_fetched_at == T0 + timedelta(days=1)
        assert again.fetched_at == T0
        assert elsewhere.id != first.id and elsewhere.sha256 == first.sha256
        assert count(s, Capture) == 2
    assert list(store.blobs.iter_all()) == [first.sha256]


def test_last_capture_of_a_url(store: Store) -> None:
    url = "https://www.gd.gov.cn/gkmlpt/api/all/2?page=1&sid=" + "x" * 4000  # longer than a btree row
    with store.Session() as s, s.begin():
        assert last_capture(s, url) is None
        capture(store, s, HTML_V1, url, at=T0)
        newer = capture(store, s, HTML_V2, url, at=T0 + timedelta(days=1))
        capture(store, s, PDF, url + "&other=1", at=T0 + timedelta(days=2))
        assert last_capture(s, url).id == newer.id
        assert newer.url_key == url_key(url) != url_key(url + "&other=1")


def test_scrapy_style_headers_are_stored_as_text(store: Store) -> None:
    headers = {
        b"Content-Type": [b"application/pdf"],
        b"Set-Cookie": [b"a=1", b"b=2"],
        b"Content-Disposition": ["attachment; filename=年报.pdf".encode()],
    }
    with store.Session() as s, s.begin():
        cap = store_capture(
            s, store.blobs, PDF, url="http://x.gov.cn/a.pdf", status=200, headers=headers, kind="attachment"
        )
        assert cap.headers == {
            "Content-Type": "application/pdf",
            "Set-Cookie": ["a=1", "b=2"],
            "Content-Disposition": "attachment; filename=年报.pdf",
        }


def test_capture_contract_errors(store: Store) -> None:
    with store.Session() as s, s.begin():
        with pytest.raises(InvalidRecord, match="capture kind must be one of"):
            store_capture(s, store.blobs, b"x", url="http://x", kind="page")
        with pytest.raises(InvalidRecord, match="naive datetime"):
            store_capture(s, store.blobs, b"x", url="http://x", fetched_at=datetime(2024, 1, 1))


# --- agencies ----------------------------------------------------------------------------------------


def test_upsert_agency_merges_and_never_erases(store: Store) -> None:
    with store.Session() as s, s.begin():
        parent = upsert_agency(
            s, "湖州市吴兴区人民政府", region_code="330502", level="county", kind="government"
        )
        a = upsert_agency(
            s, AGENCY, aliases=["吴兴区人力社保局"], level="county", kind="department", parent=parent
        )
        b = upsert_agency(
            s, AGENCY, aliases=["吴兴区劳动和社会保障局", "吴兴区人力社保局"], uscc="11330524K14997759R"
        )
        assert a.id == b.id
        assert b.aliases == ["吴兴区人力社保局", "吴兴区劳动和社会保障局"]
        assert (b.level, b.kind, b.parent.name, b.uscc) == (
            "county",
            "department",
            "湖州市吴兴区人民政府",
            "11330524K14997759R",
        )
        assert find_agency(s, "吴兴区劳动和社会保障局").id == a.id
        assert find_agency(s, "吴兴区") is None  # a substring of an alias is not an alias
        assert find_agency(s, "改了名字的局", uscc="11330524K14997759R").id == a.id
        assert parent.children == [a]
        with pytest.raises(InvalidRecord, match="agency level must be one of"):
            upsert_agency(s, AGENCY, level="district-dept")
        with pytest.raises(InvalidRecord, match="non-empty"):
            upsert_agency(s, "  ")


# --- versions ----------------------------------------------------------------------------------------


def test_content_hash_ignores_order_and_repeats() -> None:
    a, b = "a" * 64, "b" * 64
    assert content_hash([a, b]) == content_hash([b, a, a])
    assert content_hash([a]) != content_hash([a, b])
    with pytest.raises(InvalidRecord):
        content_hash([])


def test_same_content_twice_moves_last_seen_and_adds_nothing(store: Store) -> None:
    url = "https://www.wuxing.gov.cn/art/2024/1/18/art_1_1.html"
    with store.Session() as s, s.begin():
        agency = upsert_agency(s, AGENCY)
        v1, outcome1 = record_version(
            s,
            agency=agency,
            stat_year=2023,
            scope="agency",
            captures=[capture(store, s, HTML_V1, url)],
            seen_at=T0,
        )
    later = T0 + timedelta(days=30)
    with store.Session() as s, s.begin():
        agency = upsert_agency(s, AGENCY)
        cap = capture(store, s, HTML_V1, url, at=later)
        v2, outcome2 = record_version(
            s, agency=agency, stat_year=2023, scope="agency", captures=[cap], seen_at=later
        )
    assert (outcome1, outcome2) == ("new", "unchanged")
    assert v2.id == v1.id
    with store.Session() as s:
        version = s.get(ReportVersion, v1.id)
        assert version.first_seen == T0 and version.last_seen == later and version.is_current
        assert [c.url for c in version.captures] == [url]
        assert (count(s, Report), count(s, ReportVersion), count(s, Capture)) == (1, 1, 1)


def test_changed_content_adds_a_version_and_keeps_the_old(store: Store) -> None:
    detail = "https://www.wuxing.gov.cn/art/2024/1/18/art_1_1.html"
    attachment = "https://www.wuxing.gov.cn/module/download/downfile.jsp?id=9"
    with store.Session() as s, s.begin():
        agency = upsert_agency(s, AGENCY)
        caps = [capture(store, s, HTML_V1, detail), capture(store, s, PDF, attachment, kind="attachment")]
        old, first = record_version(
            s, agency=agency, stat_year=2023, scope="agency", captures=caps, seen_at=T0
        )
        # the same two documents, listed the other way round: still the same content
        same, again = record_version(
            s,
            agency=agency,
            stat_year=2023,
            scope="agency",
            captures=caps[::-1],
            seen_at=T0 + timedelta(hours=1),
        )
        assert (first, again, same.id) == ("new", "unchanged", old.id)

        edited = capture(store, s, HTML_V2, detail, at=T0 + timedelta(days=3))
        new, outcome = record_version(
            s,
            agency=agency,
            stat_year=2023,
            scope="agency",
            captures=[edited, caps[1]],
            seen_at=T0 + timedelta(days=3),
        )
        assert outcome == "changed" and new.id != old.id
        assert new.is_current and not old.is_current
        assert new.content_hash == content_hash([edited.sha256, caps[1].sha256])

    with store.Session() as s:
        versions = history(s, AGENCY, 2023)
        assert [v.id for v in versions] == [old.id, new.id]
        assert [v.is_current for v in versions] == [False, True]
        assert len(versions[0].captures) == 2  # the old version keeps its sources
        assert history(s, AGENCY, 2023, scope="government_aggregate") == []
        assert history(s, "无此机关", 2023) == []


def test_content_returning_to_an_old_version_makes_it_current_again(store: Store) -> None:
    url = "https://www.wuxing.gov.cn/art/2024/1/18/art_1_1.html"
    with store.Session() as s, s.begin():
        agency = upsert_agency(s, AGENCY)
        v1, _ = record_version(
            s, agency=agency, stat_year=2023, captures=[capture(store, s, HTML_V1, url)], seen_at=T0
        )
        v2, _ = record_version(
            s,
            agency=agency,
            stat_year=2023,
            captures=[capture(store, s, HTML_V2, url)],
            seen_at=T0 + timedelta(days=1),
        )
        back, outcome = record_version(
            s,
            agency=agency,
            stat_year=2023,
            captures=[capture(store, s, HTML_V1, url)],
            seen_at=T0 + timedelta(days=2),
        )
        assert outcome == "changed" and back.id == v1.id
        assert back.is_current and not v2.is_current
        assert back.last_seen == T0 + timedelta(days=2)
        assert count(s, ReportVersion) == 2


def test_scopes_and_years_are_separate_reports(store: Store) -> None:
    with store.Session() as s, s.begin():
        agency = upsert_agency(s, "上海市人民政府")
        cap = capture(store, s, HTML_V1, "https://www.shanghai.gov.cn/nw12344/20230131/a.html")
        _, a = record_version(s, agency=agency, stat_year=2022, scope="agency", captures=[cap])
        _, b = record_version(s, agency=agency, stat_year=2022, scope="government_aggregate", captures=[cap])
        _, c = record_version(s, agency=agency, stat_year=2021, scope=None, captures=[cap])
        assert (a, b, c) == ("new", "new", "new")
        assert count(s, Report) == 3
        with pytest.raises(InvalidRecord, match="statistical year"):
            record_version(s, agency=agency, stat_year=20223, captures=[cap])
        with pytest.raises(InvalidRecord, match="needs the captures"):
            record_version(s, agency=agency, stat_year=2022, captures=[])


def test_database_allows_one_current_version_per_report(store: Store) -> None:
    url = "https://www.wuxing.gov.cn/art/2024/1/18/art_1_1.html"
    with store.Session() as s, s.begin():
        agency = upsert_agency(s, AGENCY)
        v1, _ = record_version(s, agency=agency, stat_year=2023, captures=[capture(store, s, HTML_V1, url)])
        _ = record_version(s, agency=agency, stat_year=2023, captures=[capture(store, s, HTML_V2, url)])
        with pytest.raises(IntegrityError), s.begin_nested():
            s.get(ReportVersion, v1.id).is_current = True
            s.flush()


# --- parse results -----------------------------------------------------------------------------------


def _version(store: Store, s) -> ReportVersion:
    agency = upsert_agency(s, AGENCY)
    cap = capture(store, s, HTML_V1, "https://www.wuxing.gov.cn/art/2024/1/18/art_1_1.html")
    return record_version(s, agency=agency, stat_year=2023, captures=[cap])[0]


def test_record_parse_stores_cells_checks_and_metadata(store: Store) -> None:
    with store.Session() as s, s.begin():
        parsed = record_parse(s, _version(store, s), parse_result())
        pid = parsed.id
    with store.Session() as s:
        parsed = s.get(ParseResult, pid)
        assert parsed.parser_version == "0.1.0" and parsed.format_version == "gov2021" and parsed.is_current
        assert parsed.report["published_date"] == "2024-01-18"
        assert parsed.sections["overview"].startswith("2023年")
        cells = {c.key: c for c in parsed.cells}
        assert cells["applications.new.natural_person"].value == 12
        assert cells["applications.new.natural_person"].src == {"table_idx": 2, "row_idx": 3, "col_idx": 1}
        assert cells["applications.new.commercial"].value is None
        assert cells["applications.new.commercial"].flag == "dash"
        assert cells["fees.info_processing.collected_amount"].value == pytest.approx(0.15)
        assert cells["fees.info_processing.collected_amount"].unit == "万元"
        checks = {c.rule: c for c in parsed.checks}
        assert checks["T3-TOTAL"].status == "FAIL" and checks["T3-TOTAL"].delta == 1
        assert checks["T3-TOTAL"].kind == "source_inconsistent"
        assert checks["T3-TOTAL"].keys == ["applications.new.total", "applications.new.natural_person"]


def test_newer_parser_adds_a_parse_result_not_a_version(store: Store) -> None:
    with store.Session() as s, s.begin():
        version = _version(store, s)
        old = record_parse(s, version, parse_result("0.1.0"))
        new = record_parse(s, version, parse_result("0.2.0", value=14))
        assert new.id != old.id
        assert new.is_current and not old.is_current
        assert current_parse(s, version).id == new.id
        assert count(s, ReportVersion) == 1 and count(s, ParseResult) == 2
        assert count(s, Cell) == 6 and count(s, CheckResult) == 4


def test_same_parser_twice_is_idempotent(store: Store) -> None:
    with store.Session() as s, s.begin():
        version = _version(store, s)
        first = record_parse(s, version, parse_result("0.1.0"))
        assert len(first.cells) == 3  # collection loaded into the session before the replace
        second = record_parse(s, version, parse_result("0.1.0"))
        changed = record_parse(s, version, parse_result("0.1.0", value=15))
        assert first.id == second.id == changed.id
        assert count(s, ParseResult) == 1 and count(s, Cell) == 3 and count(s, CheckResult) == 2
        value = s.scalar(select(Cell.value).where(Cell.key == "applications.new.natural_person"))
        assert value == 15
        assert {c.key: c.value for c in changed.cells}["applications.new.natural_person"] == 15
        assert changed.is_current


def test_re_recording_an_older_parser_makes_it_current(store: Store) -> None:
    """The most recently recorded parse is current — re-running an old parser is a deliberate act."""
    with store.Session() as s, s.begin():
        version = _version(store, s)
        old = record_parse(s, version, parse_result("0.1.0"))
        new = record_parse(s, version, parse_result("0.2.0"))
        again = record_parse(s, version, parse_result("0.1.0"))
        assert again.id == old.id and again.is_current and not new.is_current


def test_versions_to_parse_lists_current_versions_the_parser_has_not_seen(store: Store) -> None:
    url = "https://www.wuxing.gov.cn/art/2024/1/18/art_1_1.html"
    with store.Session() as s, s.begin():
        agency = upsert_agency(s, AGENCY)
        old, _ = record_version(s, agency=agency, stat_year=2022, captures=[capture(store, s, HTML_V1, url)])
        replaced, _ = record_version(s, agency=agency, stat_year=2023, captures=[capture(store, s, PDF, url)])
        current, _ = record_version(
            s, agency=agency, stat_year=2023, captures=[capture(store, s, HTML_V2, url)]
        )
        record_parse(s, old, parse_result("0.1.0"))
        assert [v.id for v in versions_to_parse(s, "0.1.0")] == [current.id]  # not the replaced one
        assert [v.id for v in versions_to_parse(s, "0.2.0")] == [old.id, current.id]
        assert len(versions_to_parse(s, "0.2.0", limit=1)) == 1
        assert replaced.id not in {v.id for v in versions_to_parse(s, "0.2.0")}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("parser_version"), "parser_version"),
        (lambda r: r["cells"]["applications.new.natural_person"].update(value="12"), "must be a number"),
        (lambda r: r["checks"][0].update(status="OK"), "status must be one of"),
        (lambda r: r.update(cells=[1, 2]), "'cells' must be an object"),
        (lambda r: r["checks"].append({"status": "PASS"}), "needs a 'rule'"),
        (lambda r: r["cells"]["applications.new.commercial"].update(value=float("nan")), "finite number"),
        (lambda r: r["report"].update(published_date=datetime(2024, 1, 18).date()), "not plain JSON"),
    ],
)
def test_parse_result_contract_errors(store: Store, mutate, message: str) -> None:
    result = copy.deepcopy(parse_result())
    mutate(result)
    with store.Session() as s, s.begin():
        version = _version(store, s)
        with pytest.raises(InvalidRecord, match=message):
            record_parse(s, version, result)


# --- storage details ---------------------------------------------------------------------------------


def test_json_is_stored_as_real_utf8(store: Store) -> None:
    with store.Session() as s, s.begin():
        upsert_agency(s, AGENCY, aliases=["吴兴区人力社保局"])
        record_parse(s, _version(store, s), parse_result())
    with store.Session() as s:
        aliases = s.execute(text("SELECT CAST(aliases AS TEXT) FROM agencies")).scalar_one()
        report = s.execute(text("SELECT CAST(report AS TEXT) FROM parse_results")).scalar_one()
        units = s.execute(text("SELECT CAST(src AS TEXT) FROM cells WHERE unit IS NOT NULL")).scalars().all()
    assert '"吴兴区人力社保局"' in aliases and "\\u" not in aliases
    assert "湖州市吴兴区人力资源和社会保障局2023年" in report and "\\u" not in report
    assert units == ['{"table_idx": 0}']


def test_times_are_aware_utc_on_the_way_out(store: Store) -> None:
    local = datetime(2024, 1, 20, 10, 0, tzinfo=CST)
    with store.Session() as s, s.begin():
        cid = capture(store, s, HTML_V1, "http://x.gov.cn/a.html", at=local).id
    with store.Session() as s:
        s.expire_all()
        fetched = s.get(Capture, cid).fetched_at
    assert fetched.tzinfo is not None and fetched.utcoffset() == timedelta(0)
    assert fetched == local == datetime(2024, 1, 20, 2, 0, tzinfo=UTC)


# --- crawl runs and status ---------------------------------------------------------------------------


def test_crawl_run_lifecycle_and_store_status(store: Store) -> None:
    with store.Session() as s, s.begin():
        assert store_status(s)["last_crawl"] is None
        run = start_crawl_run(s, "zj-wuxing-rsj-nianbao", started_at=T0)
        store_capture(
            s, store.blobs, b"<html>list</html>", url="http://x.gov.cn/col/1.html", kind="list", crawl_run=run
        )
        cap = store_capture(s, store.blobs, HTML_V1, url="http://x.gov.cn/art/1.html", crawl_run=run)
        version, _ = record_version(s, agency=upsert_agency(s, AGENCY), stat_year=2023, captures=[cap])
        record_parse(s, version, parse_result())
        update_crawl_run(
            s, run, counts={"requests": 5}, errors=[{"error": "blocked:waf", "url": "http://x/2"}]
        )
        finish_crawl_run(s, run, counts={"new": 1, "blocked": 1}, finished_at=T0 + timedelta(minutes=5))
        with pytest.raises(InvalidRecord, match="final crawl status"):
            finish_crawl_run(s, run, status="running")
        run_id = run.id
    with store.Session() as s:
        status = store_status(s)
    assert status["last_crawl"] == {
        "id": run_id,
        "profile": "zj-wuxing-rsj-nianbao",
        "status": "finished",
        "started_at": T0.isoformat(),
        "finished_at": (T0 + timedelta(minutes=5)).isoformat(),
        "counts": {"requests": 5, "new": 1, "blocked": 1},
        "errors": 1,
    }
    expected = {
        "agencies": 1,
        "reports": 1,
        "report_versions": 1,
        "captures": 2,
        "capture_bytes": len(b"<html>list</html>") + len(HTML_V1),
        "captures_by_kind": {"detail": 1, "list": 1},
        "parse_results": 1,
        "cells": 3,
        "check_failures": 1,
        "crawl_runs": 1,
        "crawl_runs_by_status": {"finished": 1},
    }
    assert {k: status[k] for k in expected} == expected


def test_store_run_commits_one_unit_of_work(store: Store) -> None:
    agency_id = store.run(lambda s: upsert_agency(s, AGENCY).id)
    with store.Session() as s:
        assert find_agency(s, AGENCY).id == agency_id
