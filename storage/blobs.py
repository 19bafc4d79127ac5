"""The archive: a content-addressed, compressed, verified blob store on the local filesystem.

Every fetched or imported byte string is archived here *before* anything interprets it, so a parse can
always be redone from the archive (docs/architecture.md, "Rules of the house").

Layout: ``<root>/ab/cd/<sha256>`` holds one zstandard frame of the bytes whose sha256 is the file name
(``ab``/``cd`` are the first two byte pairs of the digest, keeping directories small). Writes go to
``<root>/.tmp/`` first and are moved into place with `os.replace`, which is atomic on POSIX: a reader
sees either no file or a complete one, and two processes archiving the same bytes at once both succeed
(the last rename wins, with identical content).

Streaming both ways, like warcio: `put` copies its input in chunks, hashing and compressing as the bytes
pass (a large PDF is never held in memory), and `open` returns a reader that decompresses in chunks,
hashes as it goes and raises `BlobCorrupted` at the end if the digest does not match. `get` reads the
whole blob and never returns bytes that fail verification. Decompressed size is capped (`max_size`)
against decompression bombs and runaway inputs, as Scrapy's ``httpcompression`` caps responses.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from storage.errors import BlobCorrupted, BlobNotFound, BlobTooLarge

CHUNK_SIZE = 1 << 20
"""Bytes read per step when streaming (1 MiB: big enough for throughput, small enough for memory)."""
DEFAULT_MAX_SIZE = 1 << 30
"""Cap on a blob's (decompressed) size, 1 GiB: far above any real report, far below a bomb's reach."""
COMPRESSION_LEVEL = 6
"""zstd level: 3 is the library default; 6 shrinks HTML/text noticeably more at still >50 MB/s."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class BlobRef:
    """What `BlobStore.put` archived: the digest, the original and on-disk sizes, and whether this
    call wrote the file (False when identical bytes were already archived)."""

    sha256: str
    size: int
    stored_size: int
    created: bool


def _check_digest(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex sha256 digest: {sha256!r}")
    return sha256


def _chunks(data: bytes | bytearray | memoryview | BinaryIO, chunk_size: int) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        for start in range(0, len(view), chunk_size):
            yield bytes(view[start : start + chunk_size])
        return
    while chunk := data.read(chunk_size):
        yield chunk


class VerifyingReader(io.RawIOBase):
    """A read-only stream of a blob's bytes that hashes them as they pass.

    At end of stream the digest is compared with the blob's name and `BlobCorrupted` is raised on a
    mismatch (or if the compressed file is damaged, or the size cap is passed). Bytes read before that
    point have been handed out, so a caller that must never act on corrupted bytes reads to the end
    before using them — or calls `BlobStore.get`, which does exactly that.
    """

    def __init__(self, sha256: str, path: Path, max_size: int) -> None:
        super().__init__()
        self.sha256 = sha256
        self.path = path
        self.max_size = max_size
        self._file = open(path, "rb")  # noqa: SIM115 — closed in close()
        self._reader = zstandard.ZstdDecompressor().stream_reader(self._file, read_across_frames=True)
        self._hash = hashlib.sha256()
        self._seen = 0
        self._verified = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._verified:
            return 0
        try:
            chunk = self._reader.read(len(buffer))
        except zstandard.ZstdError as exc:
            raise BlobCorrupted(self.sha256, self.path, f"does not decompress: {exc}") from exc
        if not chunk:
            self._finish()
            return 0
        self._seen += len(chunk)
        if self._seen > self.max_size:
            raise BlobTooLarge(f"blob {self.sha256} (decompressed)", self.max_size, self._seen)
        self._hash.update(chunk)
        n = len(chunk)
        buffer[:n] = chunk
        return n

    def _finish(self) -> None:
        digest = self._hash.hexdigest()
        if digest != self.sha256:
            raise BlobCorrupted(self.sha256, self.path, f"content hashes to {digest}")
        self._verified = True

    def close(self) -> None:
        if not self.closed:
            self._reader.close()
            self._file.close()
        super().close()


class BlobStore:
    """A content-addressed archive rooted at `root` (created on first write).

    ``max_size`` caps a blob's uncompressed size on write and on read; ``level`` is the zstd level;
    ``chunk_size`` is the streaming step. `put` → `BlobRef`; `get`/`open` read back, verified.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        level: int = COMPRESSION_LEVEL,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.root = Path(root)
        self.max_size = max_size
        self.level = level
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        return f"BlobStore({str(self.root)!r})"

    def path(self, sha256: str) -> Path:
        """Where the blob with this digest lives (whether or not it exists)."""
        _check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    # --- writing --------------------------------------------------------------------------------

    def put(self, data: bytes | bytearray | memoryview | BinaryIO) -> BlobRef:
        """Archive `data` (bytes or a binary file object read in chunks) and return its `BlobRef`.

        Identical bytes are stored once. If the file already exists but fails verification, the fresh
        copy replaces it (a re-fetch heals a damaged archive). Raises `BlobTooLarge` past `max_size`.
        """
        tmp_dir = self.root / ".tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        known_size = len(data) if isinstance(data, bytes | bytearray | memoryview) else -1
        if known_size > self.max_size:
            raise BlobTooLarge("input", self.max_size, known_size)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                compressor = zstandard.ZstdCompressor(level=self.level, write_checksum=True)
                with compressor.stream_writer(out, size=known_size, closefd=False) as writer:
                    for chunk in _chunks(data, self.chunk_size):
                        size += len(chunk)
                        if size > self.max_size:
                            raise BlobTooLarge("input", self.max_size, size)
                        digest.update(chunk)
                        writer.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            stored_size = tmp.stat().st_size
            final = self.path(sha256)
            if final.exists() and self._is_intact(sha256):
                tmp.unlink()
                return BlobRef(sha256, size, final.stat().st_size, created=False)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            return BlobRef(sha256, size, stored_size, created=True)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    # --- reading --------------------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        """Whether a blob with this digest is archived (not whether it is intact: see `verify`)."""
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> VerifyingReader:
        """A stream of the blob's bytes, verified at end of stream (see `VerifyingReader`)."""
        path = self.path(sha256)
        if not path.is_file():
            raise BlobNotFound(sha256, path)
        return VerifyingReader(sha256, path, self.max_size)

    def get(self, sha256: str) -> bytes:
        """The blob's bytes, after verifying them; raises `BlobCorrupted` rather than serve bad bytes."""
        with self.open(sha256) as reader:
            return reader.read()

    def verify(self, sha256: str) -> int:
        """Stream the blob through its digest check; return its size or raise `BlobCorrupted`."""
        size = 0
        with self.open(sha256) as reader:
            while chunk := reader.read(self.chunk_size):
                size += len(chunk)
        return size

    def _is_intact(self, sha256: str) -> bool:
        try:
            self.verify(sha256)
        except (BlobCorrupted, BlobTooLarge, BlobNotFound):
            return False
        return True

    # --- walking --------------------------------------------------------------------------------

    def iter_all(self) -> Iterator[str]:
        """Every archived digest, in sorted order (temporary files are skipped)."""
        if not self.root.is_dir():
            return
        for first in sorted(p for p in self.root.iterdir() if p.is_dir() and len(p.name) == 2):
            for second in sorted(p for p in first.iterdir() if p.is_dir()):
                for blob in sorted(second.iterdir()):
                    if _SHA256.fullmatch(blob.name) and blob.name.startswith(first.name + second.name):
                        yield blob.name

    def stats(self) -> tuple[int, int]:
        """(number of blobs, bytes they take on disk) — what `status` reports."""
        count = stored = 0
        for sha256 in self.iter_all():
            count += 1
            stored += self.path(sha256).stat().st_size
        return count, stored
