"""Spreadsheet carrier: XLSX read with openpyxl; XLS/ET through LibreOffice Calc.

Workbooks are built in memory with openpyxl; the .xls/.et files are written by LibreOffice from them
(`tests.office_fixtures`, cached), so the right reading of each is known. End to end, a forged report's
tables laid into a worksheet must parse to the same cells as the forged DOCX of the same data.
"""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from parsers.carriers import load, sheet, sniff
from parsers.carriers.sheet import display_text, sheet_to_table
from parsers.errors import LimitExceeded, UnreadableInput
from parsers.limits import Limits
from tests.office_fixtures import office_convert, with_kingsoft_marker


def xlsx_bytes(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_workbook() -> openpyxl.Workbook:
    """Two sheets: a table-三-like block with row and column merges, and a fees sheet with formats."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申请情况"
    ws["B2"] = "本列数据的勾稽关系"
    ws.merge_cells("B2:C3")
    ws["D2"] = "申请人情况"
    ws.merge_cells("D2:F2")
    ws["D3"], ws["E3"], ws["F3"] = "自然人", "商业\n企业", "总计"
    ws["B4"] = "一、本年新收政府信息公开申请数量"
    ws.merge_cells("B4:C4")
    ws["D4"], ws["E4"], ws["F4"] = 170, 3, "=D4+E4"
    ws["B5"] = "三、本年度办理结果"
    ws.merge_cells("B5:B6")
    ws["C5"], ws["C6"] = "（一）予以公开", "（二）部分公开"
    ws["D5"], ws["E5"], ws["F5"] = 12.0, 0, "—"
    ws["D6"], ws["E6"], ws["F6"] = None, "  ", "/"
    ws["H40"].number_format = "0.00"  # formatted but empty, far away: must not widen the table
    ws.merge_cells("E6:E8")  # an empty merge reaching out of the values: clipped
    ws.merge_cells("J30:K31")  # an empty merge far away: ignored
    fees = wb.create_sheet("收费")
    fees["A1"], fees["B1"] = "收费金额（万元）", 26.815000000000001
    fees["A2"], fees["B2"] = "采购总金额", 1234.5
    fees["B2"].number_format = "#,##0.00"
    fees["A3"], fees["B3"] = "占比", 0.256
    fees["B3"].number_format = "0.0%"
    fees["A4"], fees["B4"] = "件数", 5
    fees["B4"].number_format = '0"件"'
    fees["A5"], fees["B5"] = "舍入", 2.675
    fees["B5"].number_format = "0.00"
    wb.create_sheet("空白")
    wb.properties.title = "2022年政府信息公开工作年度报告"
    wb.properties.creator = "某某局"
    return wb


@pytest.fixture(scope="module")
def workbook() -> bytes:
    return xlsx_bytes(report_workbook())


# ------------------------------------------------------------------------------------------ display


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (26.815000000000001, "General", "26.815"),
        (0.1 + 0.2, "General", "0.3"),
        (12.0, "General", "12"),
        (170, "General", "170"),
        (-8, "General", "-8"),
        (1e-7, "General", "1E-07"),
        (1234.5, "#,##0.00", "1,234.50"),
        (1234567, "#,##0", "1,234,567"),
        (0.256, "0.0%", "25.6%"),
        (5, '0"件"', "5件"),
        (25.1, '0.0"万元"', "25.1万元"),
        (2.675, "0.00", "2.68"),  # half away from zero on the decimal form, as Excel shows it
        (-3.456, "0.00", "-3.46"),
        (-3.456, "0.00;(0.00)", "(3.46)"),
        (0, '0;-0;"-"', "-"),
        (0, '_(* #,##0_);_(* (#,##0);_(* "-"??_);_(@_)', "-"),
        (3, '_(* #,##0_);_(* (#,##0);_(* "-"??_);_(@_)', "3"),
        (-5, '"¥"#,##0.00', "-¥5.00"),
        (1.5, "0.##", "1.5"),
        (2, "0.##", "2"),
        (0.5, "#.00", ".50"),
        (7, "[Red]0.0", "7.0"),
        (12345.678, "0.00E+00", "1.23E+04"),
        (True, "General", "TRUE"),
        (None, "General", ""),
        ("  商业 企业 ", "@", "商业企业"),
    ],
)
def test_display_text(value: object, fmt: str, shown: str) -> None:
    assert display_text(value, fmt) == shown


def test_display_text_dates() -> None:
    import datetime as dt

    assert display_text(dt.datetime(2023, 1, 4)) == "2023-01-04"
    assert display_text(dt.datetime(2023, 1, 4, 9, 30)) == "2023-01-04 09:30:00"


# ------------------------------------------------------------------------------------------ xlsx


def test_xlsx_sniffed_and_loaded(workbook: bytes) -> None:
    assert sniff(workbook) == "xlsx"
    doc = load(workbook)
    assert doc.kind == "xlsx"
    assert [t.src["sheet"] for t in doc.tables] == ["申请情况", "收费"]  # the empty sheet gives no table
    assert [t.src["table_idx"] for t in doc.tables] == [0, 1]
    assert doc.meta["title"] == "2022年政府信息公开工作年度报告"
    assert doc.meta["author"] == "某某局"


def test_merged_ranges_expanded(workbook: bytes) -> None:
    t = load(workbook).tables[0]
    assert (t.n_rows, t.n_cols) == (5, 5)  # B2:F6, the stray formatted H40 ignored
    texts = t.texts()
    assert texts[0] == ["本列数据的勾稽关系", "本列数据的勾稽关系", "申请人情况", "申请人情况", "申请人情况"]
    assert texts[1] == ["本列数据的勾稽关系", "本列数据的勾稽关系", "自然人", "商业\n企业", "总计"]
    corner = [t.rows[r][c] for r in (0, 1) for c in (0, 1)]
    assert corner[0].span_of is None and all(c.span_of == (0, 0) for c in corner[1:])
    assert all(c.src == {"sheet": "申请情况", "cell": "B2"} for c in corner)
    assert [t.rows[0][c].span_of for c in (2, 3, 4)] == [None, (0, 2), (0, 2)]
    assert t.rows[3][0].text == t.rows[4][0].text == "三、本年度办理结果"
    assert t.rows[4][0].span_of == (3, 0) and t.rows[4][0].src["cell"] == "B5"
    assert t.rows[4][1].src == {"sheet": "申请情况", "cell": "C6"}
    assert t.rows[4][3].span_of is None and t.rows[4][3].src["cell"] == "E6"  # clipped empty merge


def test_values_as_shown(workbook: bytes) -> None:
    t = load(workbook).tables[0]
    # openpyxl-written formulas carry no cached value: shown empty, never as formula text
    assert t.texts()[2][2:] == ["170", "3", ""]
    assert t.texts()[3][2:] == ["12", "0", "—"]
    assert t.texts()[4][2:] == ["", "", "/"]
    fees = dict(load(workbook).tables[1].texts())
    assert fees == {
        "收费金额（万元）": "26.815",
        "采购总金额": "1,234.50",
        "占比": "25.6%",
        "件数": "5件",
        "舍入": "2.68",
    }


def test_hidden_sheet_marked() -> None:
    wb = report_workbook()
    wb["收费"].sheet_state = "hidden"
    doc = load(xlsx_bytes(wb))
    assert doc.tables[1].src.get("hidden") is True
    assert "hidden" not in doc.tables[0].src


def test_sheet_over_cell_limit_skipped_with_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    wb = report_workbook()
    wb["收费"]["Z200"] = "far"
    monkeypatch.setattr(sheet, "MAX_SHEET_CELLS", 1000)
    doc = load(xlsx_bytes(wb))
    assert [t.src["sheet"] for t in doc.tables] == ["申请情况"]
    assert any("收费" in w and "MAX_SHEET_CELLS" in w for w in doc.warnings)
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(wb)))["收费"]
    with pytest.raises(LimitExceeded, match="200×26"):
        sheet_to_table(ws, 0)


def test_sheet_xml_limit(monkeypatch: pytest.MonkeyPatch, workbook: bytes) -> None:
    monkeypatch.setattr(sheet, "MAX_SHEET_XML_BYTES", 100)
    with pytest.raises(LimitExceeded, match="MAX_SHEET_XML_BYTES"):
        load(workbook)


def test_zip_bomb_refused_by_the_docx_zip_check() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * 5_000_000 + b"</a>")
    with pytest.raises(LimitExceeded, match="max_zip_ratio") as exc:
        load(buf.getvalue())
    assert exc.value.what == "xlsx"
    with pytest.raises(LimitExceeded, match="max_unzipped_bytes"):
        load(buf.getvalue(), limits=Limits(max_unzipped_bytes=1_000_000))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b[: len(b) // 2],  # truncated download
        lambda b: re.sub(rb"<sheetData>", b"<sheetData><row", b),  # broken sheet XML (stored uncompressed)
    ],
)
def test_corrupt_xlsx_is_unreadable(workbook: bytes, mangle) -> None:
    wb = report_workbook()
    stored = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(wb))) as src, zipfile.ZipFile(stored, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    with pytest.raises(UnreadableInput) as exc:
        sheet.read(mangle(stored.getvalue()))
    assert exc.value.what == "xlsx"


def test_entity_bomb_refused() -> None:
    """openpyxl reads sheets through defusedxml: a DTD with entities is refused, never expanded."""
    dtd = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    wb = openpyxl.Workbook()
    wb.active["A1"] = "xyzzy"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(wb))) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b"xyzzy" in body
                body = re.sub(rb"^(<\?xml[^>]*\?>)?", lambda m: (m.group(0) or b"") + dtd, body, count=1)
                body = body.replace(b"xyzzy", b"&lol2;")
            dst.writestr(info.filename, body)
    with pytest.raises(UnreadableInput, match=r"openpyxl could not open.*EntitiesForbidden"):
        load(out.getvalue())


# ------------------------------------------------------------------------------------------ xls / et


@pytest.fixture(scope="module")
def xls(workbook: bytes) -> bytes:
    return office_convert(workbook, src_ext="xlsx", to="xls")


@pytest.fixture(scope="module")
def et(workbook: bytes) -> bytes:
    return office_convert(with_kingsoft_marker(workbook), src_ext="xlsx", to="xls")


@pytest.mark.slow
def test_xls_reads_like_its_xlsx(workbook: bytes, xls: bytes) -> None:
    assert sniff(xls) == "xls"
    assert sniff(xls, url="http://x.gov.cn/a.doc") == "xls"  # content beats a lying suffix
    doc, ref = load(xls), load(workbook)
    assert doc.kind == "xls"
    assert "converted from XLS" in doc.warnings[0]
    assert [t.src["sheet"] for t in doc.tables] == ["申请情况", "收费"]
    got, want = doc.tables[0].texts(), ref.tables[0].texts()
    assert got[2][4] == "173"  # the formula, computed by LibreOffice on the way
    got[2][4] = want[2][4]
    assert got == want
    assert [[c.span_of for c in row] for row in doc.tables[0].rows] == [
        [c.span_of for c in row] for row in ref.tables[0].rows
    ]
    assert doc.tables[0].rows[4][0].src == {"sheet": "申请情况", "cell": "B5"}
    assert doc.tables[1].texts() == ref.tables[1].texts()  # number formats survive the round trip


@pytest.mark.slow
def test_et_by_kingsoft_marker(et: bytes) -> None:
    assert sniff(et) == "et"
    doc = load(et, url="http://x.gov.cn/download.do?id=7")
    assert doc.kind == "et"
    assert "Kingsoft ET" in doc.warnings[0]
    assert doc.tables[0].texts()[0][2] == "申请人情况"


@pytest.mark.slow
def test_ods_reads_like_its_xlsx(workbook: bytes) -> None:
    ods = office_convert(workbook, src_ext="xlsx", to="ods")
    assert sniff(ods) == "ods"
    doc, ref = load(ods), load(workbook)
    assert doc.kind == "ods"
    assert doc.tables[1].texts() == ref.tables[1].texts()
    assert [[c.span_of for c in row] for row in doc.tables[0].rows] == [
        [c.span_of for c in row] for row in ref.tables[0].rows
    ]


def test_truncated_xls_is_unreadable_without_libreoffice(xls: bytes) -> None:
    with pytest.raises(UnreadableInput, match="OLE2") as exc:
        load(xls[:1500], url="http://x.gov.cn/a.xls")
    assert exc.value.what == "xls"


# ------------------------------------------------------------------------------------------ end to end


def _number(text: str) -> object:
    """A forged cell's text as a spreadsheet would store it: numbers as numbers."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(Decimal(text))
    return text


def forged_workbook(report) -> bytes:
    """The forged report's title and tables laid out in one worksheet, merges as in the DOCX."""
    from tests.forge.layout import outline

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "年报"
    row = 1
    for kind, value in outline(report.data, report.variant.layout).blocks:
        if kind == "title":
            ws.cell(row, 1, value)
            row += 1
        if kind != "table":
            continue
        row += 1
        grid = value.grid()
        for r, line in enumerate(grid):
            for c, (cell, origin, continuation) in enumerate(line):
                if origin and not continuation and cell.text:
                    ws.cell(row + r, c + 1, _number(cell.text))
                    if cell.rowspan > 1 or cell.colspan > 1:
                        ws.merge_cells(
                            start_row=row + r,
                            start_column=c + 1,
                            end_row=row + r + cell.rowspan - 1,
                            end_column=c + cell.colspan,
                        )
        row += len(grid)
    return xlsx_bytes(wb)


@pytest.mark.parametrize(("seed", "variant"), [(3, "docx_default"), (0, "docx_default"), (1, "docx_gov2019")])
def test_forged_report_in_a_sheet_parses_like_the_docx(seed: int, variant: str) -> None:
    from parsers.report import parse
    from tests.forge import forge

    report = forge(seed, variant)
    want = parse(report.content, url=report.url).cells
    got = parse(forged_workbook(report), url=report.url.replace(".docx", ".xlsx")).cells
    assert len(want) > 100
    assert {k: (v["value"], v["flag"]) for k, v in got.items()} == {
        k: (v["value"], v["flag"]) for k, v in want.items()
    }
