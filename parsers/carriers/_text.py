"""Whitespace clean-up shared by the carriers.

Why here and not in the label normaliser: carriers must hand over text as a reader sees it. Source
artefacts that no reader sees (``&nbsp;`` runs, zero-width characters, the space a browser would show
for a line break inside the HTML source between two Chinese characters) are removed here; everything
a reader does see (full-width punctuation, ordinal prefixes, a real space between digits) is kept for
the later stages to interpret.
"""

from __future__ import annotations

import re

from parsers._memo import memoize

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u2002\u2003\u2009\u202f]+")
_CJK = r"\u2e80-\u2fff\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


@memoize(max_chars=64)  # cell texts (numbers, template labels) recur in every table of every report
def clean_line(text: str) -> str:
    """One line: zero-width characters dropped, space runs collapsed, CJK–CJK gaps closed, stripped."""
    text = _SPACES.sub(" ", text.translate(_ZERO_WIDTH))
    if " " not in text:  # no gap to close (most cells and lines): skip the look-around scan
        return text.strip()
    return _CJK_GAP.sub("", text).strip()


def clean_lines(text: str) -> str:
    """Multi-line text (a cell with ``<br>``): each line cleaned, empty lines dropped, joined by ``\\n``."""
    lines = (clean_line(line) for line in text.split("\n") if line)  # clean_line("") is ""
    return "\n".join(line for line in lines if line)
