"""The archive sweep behind ``python -m crawler db verify``: every capture's blob present and intact,
and every file in the archive accounted for.

Why a sweep: `storage.blobs` verifies a blob's sha256 when it is read, so rot on disk (a truncated
copy, a lost directory, a flipped bit) is otherwise found only when a researcher re-parses that very
report — years later, when the portal no longer serves the bytes. A sweep finds it while a re-fetch is
still possible, and names each damaged capture (id, URL, digest, crawl profile) so a person can fetch it
again (`reparse <URL>` or `crawl --profile <id>`; `BlobStore.put` replaces a damaged blob by an intact
copy of the same bytes).

How, in one pass and bounded memory:

- the distinct digests of the ``captures`` table come in byte order, a page at a time (keyset paging,
  `storage.queries.capture_digest_page`: short queries, no transaction held open for hours);
- the blob directory is walked in the same order (`walk_archive`);
- the two sorted streams are merged: a digest only in the table is *missing*, one in both is streamed
  through its digest check (`BlobStore.verify`, 1 MiB at a time — a 100 MB blob is never held whole)
  and is *ok* or *corrupt*, a file only on disk is an *orphan*. Files that are not blobs at all (a
  stray name, a digest in the wrong directory) are orphans too; ``.tmp/`` (writes in flight) is skipped.

Orphans are reported, never deleted, unless asked (``delete_orphans``). Even then a young orphan is kept
(`ORPHAN_GRACE`): the pipeline archives bytes *before* it commits their capture row, so a crawl running
during the sweep has blobs that look orphaned for a moment; and each digest is looked up once more just
before its file is unlinked.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from storage import queries
from storage.blobs import BlobStore
from storage.errors import BlobCorrupted, BlobNotFound, BlobTooLarge
from storage.queries import CaptureRef

PAGE = 500
"""Distinct digests fetched per query."""
ORPHAN_GRACE = timedelta(hours=1)
"""An orphan younger than this is never deleted: its capture row may be about to be committed."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Problem:
    """A blob that captures refer to but that is missing or corrupt, with every capture it affects."""

    status: str  # "missing" | "corrupt"
    sha256: str
    detail: str
    captures: tuple[CaptureRef, ...]


@dataclass(frozen=True, slots=True)
class Orphan:
    """A file in the archive no capture refers to."""

    path: Path
    sha256: str | None
    """The digest its name claims, or None for a file that is not a blob at all."""
    size: int
    age_s: float
    deleted: bool = False


@dataclass
class VerifyReport:
    """What a sweep found. ``ok``/``missing``/``corrupt`` count captures and, separately, blobs."""

    blob_dir: Path
    captures_ok: int = 0
    blobs_ok: int = 0
    bytes_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    seconds: float = 0.0

    def _of(self, status: str) -> list[Problem]:
        return [p for p in self.problems if p.status == status]

    @property
    def missing(self) -> list[Problem]:
        return self._of("missing")

    @property
    def corrupt(self) -> list[Problem]:
        return self._of("corrupt")

    @property
    def failed(self) -> bool:
        """Whether anything a capture needs is missing or corrupt (the command then exits 1)."""
        return bool(self.problems)

    def counts(self) -> dict[str, dict[str, int]]:
        """The summary: captures and blobs that are ok / missing / corrupt, and orphan files."""
        missing, corrupt = self.missing, self.corrupt
        return {
            "captures": {
                "ok": self.captures_ok,
                "missing": sum(len(p.captures) for p in missing),
                "corrupt": sum(len(p.captures) for p in corrupt),
            },
            "blobs": {
                "ok": self.blobs_ok,
                "missing": len(missing),
                "corrupt": len(corrupt),
                "orphans": len(self.orphans),
                "orphans_deleted": sum(o.deleted for o in self.orphans),
            },
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` shape: counts, every damaged capture (one entry each), every orphan."""
        return {
            "ok": not self.failed,
            "blob_dir": str(self.blob_dir),
            **self.counts(),
            "bytes_checked": self.bytes_checked,
            "seconds": round(self.seconds, 3),
            "problems": [
                {
                    "status": p.status,
                    "capture_id": c.id,
                    "url": c.url,
                    "kind": c.kind,
                    "sha256": p.sha256,
                    "profile": c.profile,
                    "detail": p.detail,
                    "refetch": refetch_hint(c),
                }
                for p in self.problems
                for c in p.captures
            ],
            "orphans": [
                {
                    "path": str(o.path),
                    "sha256": o.sha256,
                    "size": o.size,
                    "age_s": round(o.age_s, 1),
                    "deleted": o.deleted,
                }
                for o in self.orphans
            ],
        }


def refetch_hint(capture: CaptureRef) -> str:
    """The command that gets a damaged capture's bytes again (if the source still has them)."""
    if capture.url.startswith(("http://", "https://")):
        if capture.profile:
            return f"python -m crawler reparse '{capture.url}'  (or: crawl --profile {capture.profile})"
        return f"python -m crawler reparse '{capture.url}'"
    return f"python -m crawler reparse <the original file of {capture.url}>"


def walk_archive(root: Path) -> Iterator[tuple[Path, str | None]]:
    """Every file under `root` except ``.tmp/``, as (path, digest) — digest None for a file that is not
    a blob where `BlobStore` would look for it — with the digests in byte order (sorted directories,
    and a blob's name starts with its two directory names)."""

    def walk(directory: Path, depth: int, prefix: str) -> Iterator[tuple[Path, str | None]]:
        with os.scandir(directory) as entries:
            ordered = sorted(entries, key=lambda e: e.name)
        for entry in ordered:
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if depth == 0 and entry.name == ".tmp":
                    continue
                yield from walk(path, depth + 1, f"{prefix}/{entry.name}" if prefix else entry.name)
            elif depth == 2 and _SHA256.fullmatch(name := entry.name) and prefix == f"{name[:2]}/{name[2:4]}":
                yield path, name
            else:
                yield path, None

    if root.is_dir():
        yield from walk(root, 0, "")


def _digests(Session: sessionmaker[Session], page: int) -> Iterator[str]:
    """The distinct capture digests in byte order, a page per short session; checks the order holds."""
    after: str | None = None
    while True:
        with Session() as session:
            digests = queries.capture_digest_page(session, after, page)
        for digest in digests:
            if after is not None and digest <= after:  # the merge below would silently go wrong
                raise RuntimeError(f"capture digests came out of byte order ({after} before {digest})")
            after = digest
            yield digest
        if len(digests) < page:
            return


def sweep(
    Session: sessionmaker[Session],
    blobs: BlobStore,
    *,
    delete_orphans: bool = False,
    orphan_grace: timedelta = ORPHAN_GRACE,
    on_start: Callable[[int, int], None] | None = None,
    on_blob: Callable[[int, str], None] | None = None,
    page: int = PAGE,
) -> VerifyReport:
    """Check every capture's blob and list the archive's orphans (see the module docstring).

    `on_start(captures, digests)` is called once with the totals, `on_blob(captures, status)` after each
    digest (how many captures it covered; "ok" / "missing" / "corrupt") — for a progress bar.
    """
    started = time.monotonic()
    now = time.time()
    report = VerifyReport(blob_dir=blobs.root)
    with Session() as session:
        captures, digests = queries.capture_totals(session)
    if on_start:
        on_start(captures, digests)

    files = walk_archive(blobs.root)
    pending: tuple[Path, str | None] | None = next(files, None)

    def orphan(path: Path, digest: str | None) -> None:
        try:
            stat = path.stat()
        except FileNotFoundError:  # gone since the walk listed it (a concurrent heal or delete)
            return
        age = now - stat.st_mtime
        deleted = False
        if delete_orphans and age >= orphan_grace.total_seconds():
            if digest is not None:
                with Session() as session:
                    if queries.digest_is_referenced(session, digest):
                        return  # its capture was committed after the digests were read: not an orphan
            path.unlink(missing_ok=True)
            deleted = True
        report.orphans.append(Orphan(path, digest, stat.st_size, age, deleted))

    def check(digest: str, on_disk: bool, refs: list[CaptureRef]) -> None:
        status, detail = "ok", ""
        if not on_disk:
            status, detail = "missing", "no file in the archive"
        else:
            try:
                report.bytes_checked += blobs.verify(digest)
            except BlobNotFound:  # deleted between the walk and the check
                status, detail = "missing", "no file in the archive"
            except BlobCorrupted as exc:
                status, detail = "corrupt", exc.why
            except BlobTooLarge as exc:
                status, detail = "corrupt", str(exc)
        if status == "ok":
            report.blobs_ok += 1
            report.captures_ok += len(refs)
        else:
            report.problems.append(Problem(status, digest, detail, tuple(refs)))
        if on_blob:
            on_blob(len(refs), status)

    batch: list[str] = []

    def flush() -> None:
        nonlocal pending
        with Session() as session:
            refs = queries.captures_of_digests(session, batch)
        for digest in batch:
            if not _SHA256.fullmatch(digest):  # a malformed row: no file can be its blob
                report.problems.append(
                    Problem("missing", digest, "not a sha256 digest", tuple(refs.get(digest, ())))
                )
                continue
            # files before this digest in byte order are orphans
            while pending is not None and (pending[1] is None or pending[1] < digest):
                orphan(*pending)
                pending = next(files, None)
            on_disk = pending is not None and pending[1] == digest
            if on_disk:
                pending = next(files, None)
            check(digest, on_disk, refs.get(digest, []))
        batch.clear()

    for digest in _digests(Session, page):
        batch.append(digest)
        if len(batch) >= page:
            flush()
    flush()
    while pending is not None:
        orphan(*pending)
        pending = next(files, None)
    report.seconds = time.monotonic() - started
    return report

