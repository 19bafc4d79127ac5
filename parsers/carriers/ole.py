"""OLE2 compound files (legacy .doc/.wps/.xls/.et): what kind of document is inside, by content.

Why by content: portals name attachments carelessly (a WPS file served as ``.doc``, a ``.xls`` link to a
Word file, ``download.do?id=…`` with no suffix at all). The OLE2 directory says what the file is:

- ``WordDocument`` stream → a Word 97–2003 document; Kingsoft WPS writes the same binary format, adding a
  ``WpsCustomData`` stream and/or a ``KSOProductBuildVer`` custom property ("2052-11.1.0.10132") in
  ``DocumentSummaryInformation`` (``WPS Office`` / ``Kingsoft`` in the summary streams on older builds).
- ``Workbook`` (BIFF8) or ``Book`` (BIFF5) stream → an Excel 97–2003 workbook; Kingsoft ET writes the same
  format with the same Kingsoft markers.
- ``PowerPoint Document`` → a presentation (never a report carrier).

`olefile` parses the directory only (it does not read stream contents it is not asked for), so
inspecting a 60 MiB attachment costs milliseconds. A file olefile cannot parse (truncated, corrupt) is
reported as ``None`` so the caller can fall back to weaker evidence for naming it — and must refuse to
convert it: LibreOffice imports unreadable bytes as plain text rather than failing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import olefile

from parsers.errors import UnreadableInput

__all__ = ["OleInfo", "inspect_ole", "require_ole"]

# raw markers looked for in the two property-set streams (ANSI and UTF-16 spellings both occur)
_KINGSOFT_MARKERS = (b"KSOProductBuildVer", b"WPS Office", b"Kingsoft", b"WpsCustomData")
_KINGSOFT_STREAMS = ("wpscustomdata", "etextdata", "ksoproductbuildver")
_PROPERTY_STREAMS = ("\x05DocumentSummaryInformation", "\x05SummaryInformation")
_MAX_PROPERTY_BYTES = 256 * 1024  # property sets are a few KiB; never read a hostile "property" stream whole

FAMILY_STREAMS: dict[str, tuple[str, ...]] = {
    "word": ("worddocument",),
    "excel": ("workbook", "book"),
    "powerpoint": ("powerpoint document",),
}


@dataclass(frozen=True, slots=True)
class OleInfo:
    """What the OLE2 directory says: `family` (``word``/``excel``/``powerpoint`` or None when no known
    top-level stream is present), `kingsoft` (written by WPS Office / ET), and the top-level stream
    names (lower-cased) for diagnostics."""

    family: str | None
    kingsoft: bool
    streams: tuple[str, ...]


def _property_bytes(ole: olefile.OleFileIO, name: str) -> bytes:
    if not ole.exists(name) or ole.get_type(name) != olefile.STGTY_STREAM:
        return b""
    if ole.get_size(name) > _MAX_PROPERTY_BYTES:
        return b""
    with ole.openstream(name) as stream:
        return stream.read(_MAX_PROPERTY_BYTES)


def _has_kingsoft_marker(blob: bytes) -> bool:
    return any(m in blob or m.decode().encode("utf-16-le") in blob for m in _KINGSOFT_MARKERS)


def inspect_ole(data: bytes) -> OleInfo | None:
    """Read the OLE2 directory of `data`; None if it is not a parseable compound file."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            entries = ole.listdir(streams=True, storages=True)
            top = tuple(e[0].lower() for e in entries if len(e) == 1)
            family = next((f for f, names in FAMILY_STREAMS.items() if any(n in top for n in names)), None)
            kingsoft = any(n.startswith(_KINGSOFT_STREAMS) for n in top) or any(
                _has_kingsoft_marker(_property_bytes(ole, name)) for name in _PROPERTY_STREAMS
            )
    except (OSError, ValueError, IndexError, KeyError, TypeError, RecursionError, MemoryError):
        # olefile raises OSError for "not an OLE2 file" and assorted lookup errors for broken FAT chains
        return None
    return OleInfo(family, kingsoft, top)


def require_ole(data: bytes, what: str, family: str) -> OleInfo:
    """The `inspect_ole` result for a file about to be converted, or `UnreadableInput` naming the problem.

    Why before conversion: LibreOffice falls back to importing unrecognised bytes as plain text, so a
    truncated .doc would otherwise "convert" into a page of binary garbage instead of failing.
    """
    info = inspect_ole(data)
    if info is None:
        raise UnreadableInput(what, "not a readable OLE2 compound file (truncated or corrupt)")
    if info.family != family:
        found = info.family or "no known document stream"
        raise UnreadableInput(
            what,
            f"the OLE2 file holds {found} (streams: {', '.join(info.streams) or 'none'}), "
            f"not a {family} document",
        )
    return info
