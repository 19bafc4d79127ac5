"""Named failures of the parsers.

Each exception says *what* could not be read and *why*, in one line a person can act on; the CLI prints
``str(exc)`` and exits non-zero, never a traceback (issue 3, "The command").
"""

from __future__ import annotations


class ParseError(Exception):
    """Base class: the input could not be turned into a report."""

    def __init__(self, what: str, why: str) -> None:
        self.what = what
        self.why = why
        super().__init__(f"{what}: {why}")


class UnreadableInput(ParseError):
    """The bytes are not a readable file of the kind they claim to be (truncated, corrupt, empty)."""


class UnsupportedFormat(ParseError):
    """The file format is recognised but has no carrier (yet), e.g. a legacy .doc before LibreOffice."""


class LimitExceeded(ParseError):
    """The input broke a safety limit (size, decompressed size, nesting depth, time)."""


class ChallengePage(ParseError):
    """The bytes are a WAF / anti-bot challenge page, not a report: never parse or store it as one."""


class ConverterUnavailable(ParseError):
    """A format needs an external converter (LibreOffice) that is not installed; the message names the
    Debian package to install. Distinct from `UnreadableInput`: the file may be fine, the machine is not."""
