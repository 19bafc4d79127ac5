"""Carriers: bytes of one file format → `parsers.document.Document`.

``sniff`` names the format from the bytes (magic numbers first; the URL and Content-Type only break
ties the bytes cannot, e.g. .doc vs .wps vs .xls inside an OLE2 container); ``load`` refuses inputs
above ``Limits.max_input_bytes`` and WAF challenge pages, then dispatches through ``CARRIERS``. Every
carrier has the same signature ``read(data, *, url, content_type, limits) -> Document`` so the report
stage can compare candidates with one rule (style.md "Doing the same" §4).

Legacy Word/WPS (``doc``, ``wps``) and Excel/ET (``xls``, ``et``) go through LibreOffice
(`parsers.carriers.convert`: Debian ``libreoffice-writer-nogui`` and ``libreoffice-calc-nogui``);
``xlsx`` is read directly with openpyxl (`parsers.carriers.sheet`). Formats that are recognised but
have no carrier yet raise ``UnsupportedFormat`` naming the format: presentations, archives. Images
are OCR'd (`parsers.carriers.image`, `parsers.ocr`). RTF and
OpenDocument text also go through LibreOffice (→ DOCX); an OpenDocument spreadsheet is ``ods``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping
from typing import Protocol

from parsers.carriers import doc, docx, html, image, ole, pdf, sheet, text
from parsers.challenge import classify_challenge
from parsers.document import Document
from parsers.errors import ChallengePage, UnreadableInput, UnsupportedFormat
from parsers.limits import DEFAULT_LIMITS, Limits

__all__ = ["CARRIERS", "UNSUPPORTED", "Carrier", "load", "sniff"]


class Carrier(Protocol):
    def __call__(
        self, data: bytes, *, url: str | None = ..., content_type: str | None = ..., limits: Limits = ...
    ) -> Document: ...


CARRIERS: dict[str, Callable[..., Document]] = {
    "html": html.read,
    "docx": docx.read,
    "pdf": pdf.read,
    "text": text.read,
    "doc": doc.read,
    "wps": doc.read_wps,
    "xlsx": sheet.read,
    "xls": sheet.read_xls,
    "et": sheet.read_et,
    "rtf": doc.read_rtf,
    "odt": doc.read_odt,
    "ods": sheet.read_ods,
    "image": image.read,  # OCR (parsers.ocr): PNG/JPEG/GIF/BMP/TIFF/WebP
}

# Recognised formats without a carrier yet, with the reason given to the user.
UNSUPPORTED: dict[str, str] = {
    "ole": "an OLE2 compound file that is neither Word/WPS nor Excel/ET (no WordDocument or Workbook stream)",
    "ppt": "presentations are not report carriers",
    "pptx": "presentations are not report carriers",
    "zip": "a zip archive that is not a Word document; unpack it and parse its members",
    "archive": "a compressed archive (gzip/7z/rar); unpack it and parse its members",
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
_ARCHIVE_MAGIC = (b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"BZh")
_HTML_RE = re.compile(rb"<\s*(!doctype\s+html|html|head|body|table|meta|div|p|title|tr|td)\b", re.I)
_SUFFIX_RE = re.compile(r"\.([a-z0-9]{2,5})(?:$|[?#])", re.I)
_OLE_SUFFIX = {"doc": "doc", "dot": "doc", "wps": "wps", "wpt": "wps", "xls": "xls", "xlt": "xls",
               "et": "et", "ett": "et"}  # fmt: skip
_OLE_CTYPE = {"msword": "doc", "ms-excel": "xls", "wps": "wps", "kingsoft": "wps", "ms-powerpoint": "ppt"}
# OLE family (from the directory) → (kind, kind when written by Kingsoft WPS Office)
_OLE_FAMILY = {"word": ("doc", "wps"), "excel": ("xls", "et"), "powerpoint": ("ppt", "ppt")}
_FAMILY_OF = {"doc": "word", "wps": "word", "xls": "excel", "et": "excel", "ppt": "powerpoint"}


def _url_suffix(url: str | None) -> str | None:
    m = _SUFFIX_RE.search(url or "")
    return m.group(1).lower() if m else None


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[:10_000])
            mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError):
        # unreadable directory (truncated): judge by the first local header's member name
        first = data[30 : 30 + int.from_bytes(data[26:28], "little")]
        if first.startswith((b"[Content_Types].xml", b"word/", b"_rels/", b"docProps/")):
            return "docx"
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if any(n.startswith("ppt/") for n in names):
        return "pptx"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return "odt"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "ods"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.presentation"):
        return "pptx"
    return "zip"


def _sniff_ole(data: bytes, url: str | None, content_type: str | None) -> str:
    """Word vs Excel from the OLE2 directory (`ole.inspect_ole`), WPS/ET from Kingsoft's markers.

    The URL suffix and Content-Type only name the flavour within the family the content shows (a WPS
    file served as ``.wps`` without Kingsoft markers), or the family when the directory is unreadable
    (truncated download) and no stream name is found in the raw bytes.
    """
    suffix_kind = _OLE_SUFFIX.get(_url_suffix(url) or "")
    ctype = (content_type or "").lower()
    ctype_kind = next((kind for marker, kind in _OLE_CTYPE.items() if marker in ctype), None)
    hinted = suffix_kind or ctype_kind
    info = ole.inspect_ole(data)
    if info is not None and info.family is not None:
        plain, kingsoft = _OLE_FAMILY[info.family]
        if info.kingsoft:
            return kingsoft
        return hinted if hinted and _FAMILY_OF.get(hinted) == info.family else plain
    if info is None:  # unreadable directory: stream names may still be visible in the raw bytes
        head = data[: 512 * 1024]
        family = None
        if "WordDocument".encode("utf-16-le") in head:
            family = "word"
        elif "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
            family = "excel"
        if family is not None:
            plain, _ = _OLE_FAMILY[family]
            return hinted if hinted and _FAMILY_OF.get(hinted) == family else plain
        if hinted:
            return hinted
    return "ole"


def _looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text with a BOM
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return b"\x00" in head or controls / len(head) > 0.05


def sniff(data: bytes, *, url: str | None = None, content_type: str | None = None) -> str:
    """Name the format of `data`: a key of ``CARRIERS`` (``pdf``, ``docx``, ``html``, ``text``, ``doc``,
    ``wps``, ``xls``, ``et``, ``xlsx`` …), a key of ``UNSUPPORTED`` (``image``, ``ole``, ``zip`` …),
    ``empty`` or ``binary``.

    Magic bytes decide first; the `url` suffix and `content_type` are consulted only where the bytes
    are ambiguous (which OLE2 document; HTML vs text when markup is present). Example::

        sniff(b"%PDF-1.7 ...")  # -> "pdf"
    """
    if not data.strip():
        return "empty"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if data.startswith(_OLE_MAGIC):
        return _sniff_ole(data, url, content_type)
    if data.startswith(b"{\\rtf"):
        return "rtf"
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    if data.startswith(_ARCHIVE_MAGIC):
        return "archive"
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            head = head[2:]
    if _looks_binary(head):
        return "binary"
    if _HTML_RE.search(head):
        return "html"
    return "text"


def load(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits | None = None,
    resources: Mapping[str, bytes] | None = None,
) -> Document:
    """Read `data` into a `Document` with the carrier `sniff` picks.

    `resources` maps URLs (absolute, or as written in the page) to the bytes of files the page embeds,
    e.g. the ``<img>`` pictures of an HTML report's tables, taken from the archived captures; only the
    HTML carrier uses them (it OCRs table pictures it finds there). Nothing is ever fetched.

    Raises `UnreadableInput` (empty, binary with no known signature, corrupt), `UnsupportedFormat`
    (recognised, no carrier yet), `LimitExceeded` (a safety limit of `limits`, default
    ``DEFAULT_LIMITS``) or `ChallengePage` (a WAF/anti-bot page, never a report).
    """
    limits = limits or DEFAULT_LIMITS
    limits.check_input_size(data, "input")
    kind = sniff(data, url=url, content_type=content_type)
    if kind == "empty":
        raise UnreadableInput("input", "the file is empty (0 bytes or only whitespace)")
    if kind == "binary":
        raise UnreadableInput(
            "input", "binary data with no known file signature (not PDF, Word, HTML or text)"
        )
    if kind in UNSUPPORTED:
        raise UnsupportedFormat(kind, UNSUPPORTED[kind])
    if kind in ("html", "text"):
        challenge = classify_challenge(data)
        if challenge:
            raise ChallengePage(kind, f"a {challenge} anti-bot challenge page, not a report")
    if kind == "html" and resources:
        return html.read(data, url=url, content_type=content_type, limits=limits, resources=resources)
    return CARRIERS[kind](data, url=url, content_type=content_type, limits=limits)
