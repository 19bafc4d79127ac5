"""Hostile and broken inputs: each ends in a named error, quickly and in bounded memory.

| input                         | made how                                        | expected            |
|-------------------------------|-------------------------------------------------|---------------------|
| truncated PDF                 | reportlab PDF cut to a third                    | UnreadableInput     |
| zip-bomb DOCX                 | 20 MB of spaces deflated into word/document.xml | LimitExceeded       |
| oversized-member DOCX         | a member over max_unzipped_bytes                | LimitExceeded       |
| XML entity DOCX (XXE + laughs)| python-docx file, document.xml given a DOCTYPE  | no expansion        |
| 10,000-deep nested HTML       | string repetition                               | LimitExceeded       |
| Ruishu 412 `$_ts` page        | bootstrap script only                           | ChallengePage       |
| binary blob, no magic         | bytes 0..255                                    | UnreadableInput     |
| empty file                    | b""                                             | UnreadableInput     |
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable

import docx as python_docx
import pytest
from reportlab.pdfgen import canvas

from parsers.carriers import load
from parsers.errors import ChallengePage, LimitExceeded, ParseError, UnreadableInput
from parsers.limits import Limits

MAX_SECONDS = 5.0
MAX_PEAK_BYTES = 64 * 1024 * 1024


def small_pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "Government information disclosure annual report 2023")
    c.showPage()
    c.save()
    return buf.getvalue()


def small_docx() -> bytes:
    d = python_docx.Document()
    d.add_paragraph("PLACEHOLDER")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def rewrite_docx(data: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, payload in replace.items():
            if name not in src.namelist():
                dst.writestr(name, payload)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    filler = b"<w:t>" + b" " * (20 * 1024 * 1024) + b"</w:t>"
    return rewrite_docx(small_docx(), {"word/media/filler.xml": filler})


def entity_docx(laughs: bool = True) -> bytes:
    data = small_docx()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("word/document.xml").decode()
    head, _, body = xml.partition("?>")
    doctype = (
        '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        '<!ENTITY lol "lollollollollollollollollollol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
            for i in range(1, 10)
            if laughs
        )
        + "]>"
    )
    body = body.replace("PLACEHOLDER", "A&xxe;B&lol9;C" if laughs else "A&xxe;B")
    return rewrite_docx(data, {"word/document.xml": f"{head}?>{doctype}{body}".encode()})


HOSTILE: dict[str, tuple[Callable[[], bytes], type[ParseError], str]] = {
    "truncated_pdf": (lambda: small_pdf()[: len(small_pdf()) // 3], UnreadableInput, "truncated or corrupt"),
    "zip_bomb_docx": (zip_bomb_docx, LimitExceeded, "compression ratio"),
    "deep_html": (lambda: b"<html><body>" + b"<div>" * 10_000 + b"x" + b"</div>" * 10_000, LimitExceeded,
                  "nesting"),
    "ts412_page": (lambda: b"<html><script>$_ts=window['$_ts'];$_ts.nsd=1;</script></html>", ChallengePage,
                   "ts412"),
    "binary_blob": (lambda: bytes(range(256)) * 64, UnreadableInput, "no known file signature"),
    "empty_file": (lambda: b"", UnreadableInput, "empty"),
    "truncated_docx": (lambda: small_docx()[:3000], UnreadableInput, "docx"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_a_named_error_fast_and_bounded(name: str) -> None:
    make, exc_type, message = HOSTILE[name]
    data = make()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(exc_type, match=message) as exc:
            load(data)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < MAX_SECONDS
    assert peak < MAX_PEAK_BYTES, f"{name}: peak {peak:,} bytes"
    assert exc.value.what and exc.value.why  # what + why, printable without a traceback


def test_member_above_unzipped_limit() -> None:
    data = rewrite_docx(small_docx(), {"word/media/big.bin": b"\x00" * (2 * 1024 * 1024)})
    with pytest.raises(LimitExceeded, match="max_unzipped_bytes"):
        load(data, limits=Limits(max_unzipped_bytes=1024 * 1024, max_zip_ratio=10_000))


def test_too_many_zip_members() -> None:
    data = rewrite_docx(small_docx(), {f"word/media/{i}.txt": b"x" for i in range(50)})
    with pytest.raises(LimitExceeded, match="max_zip_members"):
        load(data, limits=Limits(max_zip_members=40))


def test_xml_entities_in_docx_are_never_expanded() -> None:
    data = entity_docx()
    tracemalloc.start()
    try:
        try:
            doc = load(data)
        except UnreadableInput:
            return  # refusing the document is as safe as reading it unexpanded
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    text = doc.text()
    assert "root:" not in text  # the external entity was not fetched
    assert "lollollol" not in text  # the billion laughs did not expand
    assert len(text) < 1000 and peak < MAX_PEAK_BYTES


def test_external_entity_docx_is_read_without_fetching() -> None:
    doc = load(entity_docx(laughs=False))  # libxml2 keeps the reference unresolved: read, not refused
    assert "root:" not in doc.text()
    assert doc.paragraphs and doc.paragraphs[0].text.startswith("A")


def test_html_with_external_entity_does_not_read_files() -> None:
    data = (
        b'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><html><body><p>a&xxe;b</p></body></html>'
    )
    assert "root:" not in load(data).text()


def test_deep_but_legal_html_is_read() -> None:
    data = (
        b"<html><body>"
        + b"<div>" * 100
        + b"<p>\xe6\xad\xa3\xe6\x96\x87</p>"
        + b"</div>" * 100
        + b"</body></html>"
    )
    assert [p.text for p in load(data).paragraphs] == ["正文"]
    with pytest.raises(LimitExceeded, match="max_html_depth"):
        load(data, limits=Limits(max_html_depth=50))


def test_time_budget_is_polled_by_the_pdf_carrier(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 10_000, 100))  # every reading of the clock is 100 s later: no real waiting
    monkeypatch.setattr("parsers.limits.time.monotonic", lambda: next(clock))
    with pytest.raises(LimitExceeded, match=r"time budget Limits.time_budget_s=60s spent during page 1"):
        load(small_pdf())


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_input_bytes", 0), ("max_zip_ratio", 0.5), ("max_html_depth", 5000), ("max_pdf_pages", -1),
     ("time_budget_s", 0), ("max_pdf_pages", "300")],
)  # fmt: skip
def test_limits_validation_names_field_and_range(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=rf"Limits\.{field} must be"):
        Limits(**{field: value})
