"""Legacy office files for the conversion tests, made by LibreOffice itself from DOCX/XLSX built in memory.

Why made and not checked in: a .doc written by LibreOffice from a DOCX whose cells we chose is a file
whose correct reading is known. Making one takes 2–5 s, so results are cached under a temp directory
keyed by the sha256 of the source's content and the target. This
helper calls soffice directly (not `parsers.carriers.convert`, the code under test), with its own
profile per call.

``with_kingsoft_marker`` adds the custom document property WPS Office writes (``KSOProductBuildVer``);
LibreOffice carries it into the .doc/.xls ``DocumentSummaryInformation`` stream, which is exactly where
real WPS/ET files have it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

CACHE_DIR = Path(
    os.environ.get("NIANBAOKU_OFFICE_FIXTURES", Path(tempfile.gettempdir()) / "nianbaoku-office")
)
TIMEOUT_S = 180  # a cold LibreOffice start on a loaded machine

_CUSTOM_PROPS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b'<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer">'
    b"<vt:lpwstr>2052-11.1.0.10132</vt:lpwstr></property></Properties>"
)
_CUSTOM_TYPE = (
    b'<Override PartName="/docProps/custom.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
)
_CUSTOM_REL = (
    b'<Relationship Id="rIdKso" Target="docProps/custom.xml" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/custom-properties"/>'
)


def soffice_or_skip() -> str:
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        pytest.skip("LibreOffice (soffice) is not installed; run .ci/setup")
    return binary


def with_kingsoft_marker(ooxml: bytes) -> bytes:
    """`ooxml` (a .docx or .xlsx package) with WPS Office's KSOProductBuildVer custom property added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ooxml)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", _CUSTOM_TYPE + b"</Types>")
            elif info.filename == "_rels/.rels":
                body = body.replace(b"</Relationships>", _CUSTOM_REL + b"</Relationships>")
            if info.filename != "docProps/custom.xml":
                dst.writestr(info, body)
        dst.writestr(zipfile.ZipInfo("docProps/custom.xml", (2020, 1, 1, 0, 0, 0)), _CUSTOM_PROPS)
    return out.getvalue()


def _digest(data: bytes, label: str) -> str:
    """Cache key: for a zip package its members except ``docProps/core.xml`` (openpyxl stamps the save
    time there and on every member), else the bytes."""
    h = hashlib.sha256(label.encode())
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in sorted(zf.namelist()):
                if name != "docProps/core.xml":
                    h.update(name.encode() + b"\0" + zf.read(name) + b"\0")
    except zipfile.BadZipFile:
        h.update(data)
    return h.hexdigest()


def office_convert(data: bytes, *, src_ext: str, to: str) -> bytes:
    """`data` (a ``.src_ext`` file) converted by LibreOffice to `to` (an extension), cached on disk."""
    binary = soffice_or_skip()
    digest = _digest(data, f"{src_ext}->{to}")
    cached = CACHE_DIR / f"{digest}.{to}"
    if cached.exists():
        return cached.read_bytes()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nianbaoku-office-fixture-") as work:
        src = Path(work) / f"fixture.{src_ext}"
        src.write_bytes(data)
        profile = Path(work) / "profile"
        cmd = [binary, "--headless", "--norestore", "--nolockcheck",
               f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", to, "--outdir", str(Path(work) / "out"), str(src)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, check=False)
        out = Path(work) / "out" / f"fixture.{to}"
        if not out.exists():
            raise RuntimeError(f"soffice made no .{to} (exit {proc.returncode}): {proc.stdout[-300:]!r}")
        result = out.read_bytes()
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(result)
    tmp.replace(cached)  # atomic for concurrent test workers
    return result
