"""Bytes → str for HTML and text carriers, trusting what the file says only after checking it.

Why not just ``data.decode(declared)``: Chinese government portals very often declare one charset and
send another (a ``gb2312`` meta on a UTF-8 page after a CMS upgrade, no declaration at all on a GBK
export, ``utf-8`` claimed for GBK bytes). Decoding with the wrong codec silently produces mojibake that
later stages would read as labels. So the order is (each stage only if the one before did not settle it):

1. a byte-order mark (UTF-8/16/32) wins outright;
2. bytes that decode strictly as UTF-8 are UTF-8 (GBK text of any length is practically never valid
   UTF-8, while the opposite mis-decode is common);
3. the declared charsets, in the order given (``<meta>`` before the HTTP header), decoded strictly;
   ``gb2312``/``gbk`` are widened to ``gb18030`` (a superset: pages labelled gb2312 use GBK characters);
4. ``gb18030`` strictly (the usual undeclared legacy encoding);
5. charset-normalizer's best guess;
6. ``gb18030`` with replacement characters, and a warning saying so.

A declaration that turned out wrong adds a warning to the result (it reaches ``Document.warnings``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import charset_normalizer

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Legacy Chinese labels that are all subsets of GB18030.
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030"}

_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)


@dataclass(slots=True)
class Decoded:
    """The decoded text, the codec that produced it and any notes about lying declarations."""

    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def charset_from_content_type(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of an HTTP Content-Type header, if any."""
    if not content_type:
        return None
    m = _CHARSET_RE.search(content_type.encode("latin-1", "replace"))
    return m.group(1).decode("ascii").lower() if m else None


def charset_from_html_head(data: bytes, window: int = 4096) -> str | None:
    """The first ``<meta charset>`` / ``http-equiv`` charset in the first `window` bytes."""
    head = data[:window]
    for m in re.finditer(rb"<meta[^>]+>", head, re.I):
        cm = _CHARSET_RE.search(m.group(0))
        if cm:
            return cm.group(1).decode("ascii").lower()
    return None


def _codec(name: str) -> str | None:
    """Python's canonical codec name for a declared label (widened for GB*), or None if unknown."""
    label = name.strip().lower()
    label = _WIDEN.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_bytes(data: bytes, declared: list[tuple[str, str | None]] | None = None) -> Decoded:
    """Decode `data` following the stages in the module docstring.

    `declared` lists ``(source, charset)`` pairs such as ``[("meta", "gbk"), ("header", None)]``;
    the source names appear in warnings so a person can tell which claim lied.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            text = _strict(body, codec)
            if text is not None:
                return Decoded(text, codec)
            return Decoded(body.decode(codec, "replace"), codec, [f"invalid {codec} after its BOM; replaced"])

    claims = [(src, cs) for src, cs in (declared or []) if cs]
    warnings: list[str] = []

    def lied(actual: str) -> list[str]:
        notes = []
        for src, cs in claims:
            codec = _codec(cs)
            if codec is None:
                notes.append(f"{src} declared unknown charset {cs!r}; decoded as {actual}")
            elif codec != actual and not (codec == "ascii" and actual == "utf-8"):
                notes.append(f"{src} declared charset {cs!r} but the bytes are {actual}")
        return notes

    text = _strict(data, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8", lied("utf-8") if not text.isascii() else [])

    for _src, cs in claims:
        codec = _codec(cs)
        if codec is None or codec == "utf-8":
            continue
        text = _strict(data, codec)
        if text is not None:
            return Decoded(text, codec, lied(codec))

    text = _strict(data, "gb18030")
    if text is not None:
        return Decoded(text, "gb18030", lied("gb18030"))

    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding:
        codec = _codec(best.encoding) or best.encoding
        text = _strict(data, codec)
        if text is not None:
            warnings = [*lied(codec), f"encoding guessed as {codec} by charset-normalizer"]
            return Decoded(text, codec, warnings)

    return Decoded(
        data.decode("gb18030", "replace"),
        "gb18030",
        [*lied("gb18030"), "no charset decodes these bytes cleanly; decoded as gb18030 with replacements"],
    )
