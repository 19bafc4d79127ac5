"""storage.blobs: round trip, dedup, concurrent writers, corruption, size caps, streaming."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import random
import tracemalloc
from pathlib import Path

import pytest
import zstandard

from storage.blobs import BlobRef, BlobStore
from storage.errors import BlobCorrupted, BlobNotFound, BlobTooLarge

REPORT = "北京市海淀区人民政府2023年政府信息公开工作年度报告\n一、总体情况\n".encode() * 200


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def test_put_get_round_trip(blobs: BlobStore) -> None:
    ref = blobs.put(REPORT)
    assert ref == BlobRef(sha256=sha(REPORT), size=len(REPORT), stored_size=ref.stored_size, created=True)
    assert blobs.get(ref.sha256) == REPORT
    assert blobs.exists(ref.sha256)


def test_layout_is_content_addressed_and_compressed(blobs: BlobStore) -> None:
    ref = blobs.put(REPORT)
    path = blobs.root / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    assert path == blobs.path(ref.sha256) and path.is_file()
    stored = path.read_bytes()
    assert stored[:4] == b"\x28\xb5\x2f\xfd"  # zstd frame magic
    assert ref.stored_size == len(stored) < len(REPORT) // 10  # repetitive text compresses well


def test_put_accepts_a_file_object(blobs: BlobStore) -> None:
    ref = blobs.put(io.BytesIO(REPORT))
    assert ref.sha256 == sha(REPORT) and ref.size == len(REPORT)
    assert blobs.get(ref.sha256) == REPORT


def test_empty_input_is_a_blob_too(blobs: BlobStore) -> None:
    ref = blobs.put(b"")
    assert ref.sha256 == sha(b"") and ref.size == 0
    assert blobs.get(ref.sha256) == b""


def test_same_bytes_are_stored_once(blobs: BlobStore) -> None:
    first = blobs.put(REPORT)
    second = blobs.put(io.BytesIO(REPORT))
    assert first.created and not second.created
    assert second.sha256 == first.sha256
    assert list(blobs.iter_all()) == [first.sha256]
    assert not any((blobs.root / ".tmp").iterdir())  # the duplicate's temp file was removed


def test_iter_all_and_stats(blobs: BlobStore) -> None:
    digests = sorted(blobs.put(f"report {i}".encode()).sha256 for i in range(5))
    (blobs.root / ".tmp" / "put-leftover").write_bytes(b"partial")  # a crashed writer's temp file
    assert list(blobs.iter_all()) == digests
    count, stored = blobs.stats()
    assert count == 5
    assert stored == sum(blobs.path(d).stat().st_size for d in digests)


def test_unknown_digest_and_bad_names(blobs: BlobStore) -> None:
    missing = sha(b"never stored")
    assert not blobs.exists(missing)
    with pytest.raises(BlobNotFound, match=missing):
        blobs.get(missing)
    with pytest.raises(ValueError, match="not a lowercase hex sha256"):
        blobs.path("../../etc/passwd")
    with pytest.raises(ValueError):
        blobs.get(missing.upper())


def test_open_streams_in_chunks(blobs: BlobStore) -> None:
    ref = blobs.put(REPORT)
    with blobs.open(ref.sha256) as reader:
        parts = []
        while chunk := reader.read(1000):
            assert len(chunk) <= 1000
            parts.append(chunk)
    assert b"".join(parts) == REPORT


# --- corruption --------------------------------------------------------------------------------------


def test_flipped_byte_is_detected_not_served(blobs: BlobStore) -> None:
    ref = blobs.put(REPORT)
    path = blobs.path(ref.sha256)
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    path.write_bytes(bytes(damaged))
    with pytest.raises(BlobCorrupted, match=ref.sha256) as info:
        blobs.get(ref.sha256)
    assert info.value.path == path
    with pytest.raises(BlobCorrupted):
        blobs.verify(ref.sha256)


def test_wrong_content_under_a_name_is_detected(blobs: BlobStore) -> None:
    """A well-formed zstd file whose content is not what its name says (e.g. a mix-up on copy)."""
    ref = blobs.put(REPORT)
    blobs.path(ref.sha256).write_bytes(zstandard.ZstdCompressor().compress(b"something else"))
    with pytest.raises(BlobCorrupted, match="content hashes to " + sha(b"something else")):
        blobs.get(ref.sha256)


def test_truncated_blob_is_detected(blobs: BlobStore) -> None:
    ref = blobs.put(os.urandom(200_000))
    path = blobs.path(ref.sha256)
    path.write_bytes(path.read_bytes()[:-5000])
    with pytest.raises(BlobCorrupted):
        blobs.get(ref.sha256)


def test_putting_the_original_again_heals_a_corrupted_blob(blobs: BlobStore) -> None:
    ref = blobs.put(REPORT)
    blobs.path(ref.sha256).write_bytes(b"garbage")
    healed = blobs.put(REPORT)
    assert healed.created  # rewritten, not deduplicated against the broken file
    assert blobs.get(ref.sha256) == REPORT


# --- size caps ---------------------------------------------------------------------------------------


def test_decompression_bomb_is_capped(tmp_path: Path) -> None:
    """64 MiB of zeros compress to a few KiB; a reader capped at 1 MiB must stop early."""
    big = BlobStore(tmp_path / "blobs")
    ref = big.put(io.BytesIO(bytes(64 << 20)))
    assert ref.stored_size < 64 << 10
    capped = BlobStore(tmp_path / "blobs", max_size=1 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(BlobTooLarge, match="exceeds the blob size cap") as info:
            capped.get(ref.sha256)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.limit == 1 << 20
    assert peak < 8 << 20  # it never materialised the 64 MiB


def test_input_over_the_cap_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs", max_size=1000, chunk_size=256)
    with pytest.raises(BlobTooLarge):
        blobs.put(b"x" * 1001)
    with pytest.raises(BlobTooLarge):
        blobs.put(io.BytesIO(b"x" * 5000))  # unknown length: caught while streaming
    assert list(blobs.iter_all()) == []
    assert not any((blobs.root / ".tmp").iterdir())
    assert blobs.put(b"x" * 1000).size == 1000


# --- streaming ---------------------------------------------------------------------------------------


class GeneratedStream(io.RawIOBase):
    """A seeded pseudo-random byte stream of `size` bytes that never exists as a whole."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.random = random.Random(2023)
        self.largest_read = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            raise AssertionError("whole-stream read requested: the store must stream")
        self.largest_read = max(self.largest_read, n)
        chunk = self.random.randbytes(min(n, self.remaining))
        self.remaining -= len(chunk)
        self.digest.update(chunk)
        return chunk


def test_large_input_is_streamed_not_read_whole(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs", chunk_size=256 << 10, level=1)
    size = 48 << 20
    stream = GeneratedStream(size)
    tracemalloc.start()
    try:
        ref = blobs.put(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ref.size == size
    assert ref.sha256 == stream.digest.hexdigest()
    assert stream.largest_read <= 256 << 10
    assert peak < 16 << 20  # far less than the 48 MiB that passed through
    assert blobs.verify(ref.sha256) == size


# --- concurrency -------------------------------------------------------------------------------------


def _put_in_child(root: str, seed: int, start: multiprocessing.synchronize.Event) -> tuple[str, int]:
    data = hashlib.sha256(str(seed).encode()).digest() * (256 << 10)  # 8 MiB, same for every child
    start.wait(10)
    ref = BlobStore(root, level=1).put(data)
    return ref.sha256, ref.size


def test_concurrent_put_of_the_same_blob(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    root = str(tmp_path / "blobs")
    with ctx.Manager() as manager:
        start = manager.Event()
        with ctx.Pool(4) as pool:
            pending = [pool.apply_async(_put_in_child, (root, 7, start)) for _ in range(4)]
            start.set()
            results = {p.get(timeout=120) for p in pending}
    assert len(results) == 1
    digest, size = results.pop()
    blobs = BlobStore(root)
    assert list(blobs.iter_all()) == [digest]
    assert blobs.verify(digest) == size == 8 << 20
    assert not any((Path(root) / ".tmp").iterdir())
