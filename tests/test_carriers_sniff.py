"""Format sniffing and `load` dispatch."""

from __future__ import annotations

import io
import zipfile

import docx as python_docx
import pytest

from parsers import carriers
from parsers.carriers import CARRIERS, UNSUPPORTED, load, sniff
from parsers.errors import ChallengePage, LimitExceeded, UnreadableInput, UnsupportedFormat
from parsers.limits import Limits

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def make_docx() -> bytes:
    d = python_docx.Document()
    d.add_paragraph("一、总体情况")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_zip(names: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in names.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "kwargs", "kind"),
    [
        (b"%PDF-1.7\n...", {}, "pdf"),
        (b"\r\n%PDF-1.4 junk before header", {}, "pdf"),
        (OLE + "WordDocument".encode("utf-16-le"), {}, "doc"),
        (OLE, {"url": "http://x.gov.cn/a/report.WPS"}, "wps"),
        (OLE, {"url": "http://x.gov.cn/a/t.xls?x=1"}, "xls"),
        (OLE, {"content_type": "application/msword"}, "doc"),
        (OLE, {}, "ole"),
        (b"<!DOCTYPE html><html><body>x</body></html>", {}, "html"),
        (b"  <table><tr><td>1</td></tr></table>", {}, "html"),
        ("\ufeff<html>".encode("utf-16-le"), {}, "html"),
        (b"\x89PNG\r\n\x1a\n....", {}, "image"),
        (b"\xff\xd8\xff\xe0....", {}, "image"),
        (b"GIF89a....", {}, "image"),
        ("一、总体情况\n\t规章\n".encode(), {}, "text"),
        ("一、总体情况".encode("gb18030"), {}, "text"),
        (b"\x00\x01\x02\x03binary\x00blob\x07\x08", {}, "binary"),
        (b"", {}, "empty"),
        (b"  \n\t ", {}, "empty"),
        (b"{\\rtf1\\ansi", {}, "rtf"),
        (b"\x1f\x8b\x08\x00", {}, "archive"),
        (make_zip({"a.txt": b"x"}), {}, "zip"),
        (make_zip({"xl/workbook.xml": b"<x/>"}), {}, "xlsx"),
    ],
)
def test_sniff(data: bytes, kwargs: dict, kind: str) -> None:
    assert sniff(data, **kwargs) == kind


def test_sniff_docx_whole_and_truncated() -> None:
    data = make_docx()
    assert sniff(data) == "docx"
    assert sniff(data[:200]) == "docx"  # directory gone, first member name still says Word


def test_carriers_is_one_dispatch_dict() -> None:
    assert set(CARRIERS) == {
        "html",
        "docx",
        "pdf",
        "text",
        "doc",
        "wps",
        "xlsx",
        "xls",
        "et",
        "rtf",
        "odt",
        "ods",
        "image",
    }
    assert not set(CARRIERS) & set(UNSUPPORTED)


def test_load_dispatches_by_sniffed_kind() -> None:
    assert load(b"<html><body><p>\xe6\xad\xa3\xe6\x96\x87</p></body></html>").kind == "html"
    assert load("一、总体情况\n".encode()).kind == "text"
    assert load(make_docx()).kind == "docx"


@pytest.mark.parametrize(("data", "kwargs", "fmt"), [
    (make_zip({"ppt/presentation.xml": b"<x/>"}), {}, "pptx"),
])  # fmt: skip
def test_load_unsupported_formats_say_why(data: bytes, kwargs: dict, fmt: str) -> None:
    with pytest.raises(UnsupportedFormat) as exc:
        load(data, **kwargs)
    assert exc.value.what == fmt


def test_load_truncated_image_is_unreadable() -> None:
    """Images have a carrier now (OCR, tests/test_carrier_image.py); a header-only PNG is unreadable."""
    with pytest.raises(UnreadableInput, match="image"):
        load(b"\x89PNG\r\n\x1a\nxxxx")


@pytest.mark.parametrize("url", ["http://x/a.doc", "http://x/a.wps", "http://x/a.xls", "http://x/a.et"])
def test_load_legacy_office_needs_a_readable_ole2_file(url: str) -> None:
    """DOC/WPS/XLS/ET have carriers (tests/test_carrier_convert.py); a header-only OLE2 file is refused
    as unreadable before LibreOffice is started."""
    with pytest.raises(UnreadableInput, match="OLE2") as exc:
        load(OLE, url=url)
    assert exc.value.what == url.rsplit(".", 1)[1]


def test_load_errors() -> None:
    with pytest.raises(UnreadableInput, match="empty"):
        load(b"")
    with pytest.raises(UnreadableInput, match="no known file signature"):
        load(bytes(range(256)) * 4)
    with pytest.raises(LimitExceeded, match="max_input_bytes"):
        load(b"x" * 2048, limits=Limits(max_input_bytes=1024))
    with pytest.raises(ChallengePage, match="ts412"):
        load(b"<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=1;</script></head></html>")


def test_default_limits_used_when_none() -> None:
    assert carriers.load(b"plain text line\n", limits=None).paragraphs[0].text == "plain text line"
