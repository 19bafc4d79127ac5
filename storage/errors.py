"""Named failures of the store and the archive.

Each exception says *what* went wrong and *what to do*, in one line the CLI can print instead of a
traceback (``str(exc)``); the context (digest, path, sizes, revisions) stays on the instance for code.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base class for every failure of `storage`."""


# --- the blob archive ------------------------------------------------------------------------------


class BlobError(StoreError):
    """Base class for failures of the content-addressed archive (`storage.blobs`)."""


class BlobNotFound(BlobError, KeyError):
    """No blob with this digest is archived (a `KeyError` too, so mapping-style callers work)."""

    def __init__(self, sha256: str, path: Path | None = None) -> None:
        self.sha256 = sha256
        self.path = path
        super().__init__(f"blob {sha256} is not in the archive" + (f" (looked at {path})" if path else ""))

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class BlobCorrupted(BlobError):
    """An archived blob does not decompress, or its bytes no longer hash to its name.

    Never served: the reader raises instead of returning the bytes. Re-archiving the original bytes
    (`BlobStore.put`) heals the file.
    """

    def __init__(self, sha256: str, path: Path, why: str) -> None:
        self.sha256 = sha256
        self.path = path
        self.why = why
        super().__init__(
            f"blob {sha256} is corrupted ({why}) at {path}; it is not served — re-fetch or re-import the "
            "original to heal it"
        )


class BlobTooLarge(BlobError):
    """A blob is bigger than the configured cap (on write: the input; on read: the decompressed bytes).

    The cap guards against decompression bombs and runaway downloads, as Scrapy's
    ``DOWNLOAD_MAXSIZE`` does; raise it with ``BlobStore(max_size=...)`` if a real report needs more.
    """

    def __init__(self, what: str, limit: int, seen: int) -> None:
        self.what = what
        self.limit = limit
        self.seen = seen
        super().__init__(
            f"{what} exceeds the blob size cap: more than {limit} bytes (saw {seen} so far); "
            "raise BlobStore(max_size=...) if this input is legitimate"
        )


# --- the relational store --------------------------------------------------------------------------


class StoreOutdated(StoreError):
    """The database schema is behind the code's migrations (or ahead of them, from newer code)."""

    def __init__(self, url: str, current: str | None, head: str, *, known: bool = True) -> None:
        self.url = url
        self.current = current
        self.head = head
        if known:
            hint = f"this code needs {head}; run `python -m crawler db upgrade`"
        else:
            hint = f"which this code does not know (head is {head}): was it migrated by newer code?"
        super().__init__(f"the store at {url} is at schema revision {current or '(none)'}, {hint}")


class InvalidRecord(StoreError, ValueError):
    """A value handed to the repository breaks its contract (e.g. a parse result missing a field)."""
