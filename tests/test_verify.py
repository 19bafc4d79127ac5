"""``db verify`` (`storage.verify`): the archive sweep names missing and corrupt blobs by capture, lists
orphan files, deletes only orphans when asked — on SQLite and PostgreSQL, as a function and as a command.

The archive: three reports (one with an attachment) and a list page whose bytes are the same as one
report's detail page, so one blob is shared by two captures. The damage: one blob truncated, one
deleted, and foreign files dropped in (a blob-shaped file no capture refers to, a stray non-blob file).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.config import resolve
from storage import migrate
from storage.blobs import BlobStore
from storage.db import Store, open_store
from storage.models import Capture
from storage.repository import store_capture
from storage.verify import sweep, walk_archive
from tests import pg
from tests.cli import PROJECT_ROOT, run_crawler
from tests.store_fill import T0, add_report, synthetic_result

AGED = time.time() - 2 * 3600  # older than storage.verify.ORPHAN_GRACE


@dataclass
class Filled:
    captures: dict[str, Capture]  # by URL
    shared: str  # the digest two captures refer to


def fill(store: Store) -> Filled:
    """Store the archive of the module docstring; return its captures."""
    with store.Session() as s, s.begin():
        for n, agency in enumerate(("甲县人民政府", "乙县教育局", "丙县财政局")):
            add_report(
                s,
                store.blobs,
                agency=agency,
                year=2023,
                result=synthetic_result(agency=agency, stat_year=2023, start=n * 10 + 1),
                attachment_url="http://www.example.gov.cn/files/report.pdf" if n == 1 else None,
            )
        detail = s.query(Capture).filter(Capture.kind == "detail").order_by(Capture.id).first()
        assert detail is not None
        store_capture(
            s,
            store.blobs,
            store.blobs.get(detail.sha256),
            url="http://www.example.gov.cn/list_1.html",
            fetched_at=T0,
            kind="list",
        )
        captures = {c.url: c for c in s.query(Capture).order_by(Capture.id)}
    assert len(captures) == 5 and len({c.sha256 for c in captures.values()}) == 4
    return Filled(captures, detail.sha256)


@dataclass
class Damage:
    truncated: Capture
    deleted: Capture
    orphan: Path  # blob-shaped, no capture
    stray: Path  # not a blob at all
    originals: tuple[bytes, ...]  # the damaged blobs' bytes, to heal them with


def damage(blobs: BlobStore, filled: Filled) -> Damage:
    """Truncate the shared blob, delete the attachment's, drop two foreign files in (both aged)."""
    by_kind = {c.kind: c for c in filled.captures.values()}
    truncated = next(c for c in filled.captures.values() if c.sha256 == filled.shared)
    deleted = by_kind["attachment"]
    originals = (blobs.get(truncated.sha256), blobs.get(deleted.sha256))
    path = blobs.path(truncated.sha256)
    path.write_bytes(path.read_bytes()[:-7])
    blobs.path(deleted.sha256).unlink()
    orphan = blobs.path(blobs.put(b"bytes that no capture refers to").sha256)
    stray = blobs.root / orphan.name[:2] / "notes.txt"
    stray.write_text("left here by hand")
    for foreign in (orphan, stray):
        os.utime(foreign, (AGED, AGED))
    return Damage(truncated, deleted, orphan, stray, originals)


# --- the sweep, on both backends ---------------------------------------------------------------------


def test_an_intact_archive_is_all_ok(store: Store) -> None:
    fill(store)
    report = sweep(store.Session, store.blobs)
    assert not report.failed and report.problems == [] and report.orphans == []
    assert report.counts()["captures"] == {"ok": 5, "missing": 0, "corrupt": 0}
    assert report.counts()["blobs"]["ok"] == 4
    assert report.bytes_checked == sum(len(store.blobs.get(d)) for d in store.blobs.iter_all())


@pytest.mark.parametrize("page", [1, 2, 500])
def test_missing_corrupt_and_orphans_are_named(store: Store, page: int) -> None:
    filled = fill(store)
    hurt = damage(store.blobs, filled)
    progress: list[tuple[int, str]] = []
    report = sweep(
        store.Session, store.blobs, page=page, on_blob=lambda n, status: progress.append((n, status))
    )

    assert report.failed
    (corrupt,) = report.corrupt
    assert corrupt.sha256 == filled.shared and "content hashes to" in corrupt.detail
    # both captures sharing the truncated blob are named, the list page and the report's detail page
    assert sorted(c.id for c in corrupt.captures) == sorted(
        c.id for c in filled.captures.values() if c.sha256 == filled.shared
    )
    assert {c.kind for c in corrupt.captures} == {"detail", "list"}
    (missing,) = report.missing
    assert missing.sha256 == hurt.deleted.sha256
    assert [(c.id, c.url) for c in missing.captures] == [(hurt.deleted.id, hurt.deleted.url)]
    assert {o.path for o in report.orphans} == {hurt.orphan, hurt.stray}
    assert {o.sha256 for o in report.orphans} == {hurt.orphan.name, None}
    assert not any(o.deleted for o in report.orphans)
    assert report.counts() == {
        "captures": {"ok": 2, "missing": 1, "corrupt": 2},
        "blobs": {"ok": 2, "missing": 1, "corrupt": 1, "orphans": 2, "orphans_deleted": 0},
    }
    assert sorted(progress) == sorted([(1, "ok"), (1, "ok"), (1, "missing"), (2, "corrupt")])
    assert hurt.orphan.exists() and hurt.stray.exists()  # listed, never deleted unasked
    as_json = report.to_dict()
    assert as_json["ok"] is False
    named = {(p["status"], p["capture_id"], p["url"], p["sha256"]) for p in as_json["problems"]}
    assert (("missing", hurt.deleted.id, hurt.deleted.url, hurt.deleted.sha256)) in named
    assert all("python -m crawler reparse" in p["refetch"] for p in as_json["problems"])


def test_delete_orphans_removes_only_old_orphans(store: Store) -> None:
    filled = fill(store)
    hurt = damage(store.blobs, filled)
    young = store.blobs.path(store.blobs.put(b"archived a moment ago, capture not yet committed").sha256)
    report = sweep(store.Session, store.blobs, delete_orphans=True)

    assert not hurt.orphan.exists() and not hurt.stray.exists()
    assert young.exists()  # inside the grace period: a running crawl may be about to record it
    assert {(o.path, o.deleted) for o in report.orphans} == {
        (hurt.orphan, True),
        (hurt.stray, True),
        (young, False),
    }
    # what captures refer to is untouched, damaged or not
    assert store.blobs.path(hurt.truncated.sha256).exists()
    for capture in filled.captures.values():
        if capture.sha256 not in (hurt.truncated.sha256, hurt.deleted.sha256):
            store.blobs.verify(capture.sha256)
    again = sweep(store.Session, store.blobs)
    assert [o.path for o in again.orphans] == [young]
    assert again.failed  # deleting orphans heals nothing


def test_walk_archive_tells_blobs_from_strays(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    digests = sorted(blobs.put(f"blob {n}".encode()).sha256 for n in range(20))
    misplaced = blobs.root / "ff" / "ff" / digests[0]  # a real digest in the wrong directory
    misplaced.parent.mkdir(parents=True, exist_ok=True)
    misplaced.write_bytes(b"x")
    (blobs.root / ".tmp" / "put-in-flight").write_bytes(b"partial")
    walked = list(walk_archive(blobs.root))
    assert [d for _, d in walked if d is not None] == digests  # byte order, for the merge
    assert [p for p, d in walked if d is None] == [misplaced]  # .tmp/ skipped


# --- the command -------------------------------------------------------------------------------------


def _sqlite_data_dir(tmp_path: Path) -> tuple[Path, Filled, Store]:
    data_dir = tmp_path / "data"
    config = resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}")
    store = open_store(config)
    return data_dir, fill(store), store


def test_command_exit_status_and_output(tmp_path: Path) -> None:
    data_dir, filled, store = _sqlite_data_dir(tmp_path)
    with store:
        done = run_crawler(data_dir, "db", "verify", "--no-progress")
        assert done.returncode == 0, done.stderr
        assert "captures" in done.stdout and "intact" in done.stdout

        hurt = damage(store.blobs, filled)
    done = run_crawler(data_dir, "db", "verify", "--no-progress")
    assert done.returncode == 1, done.stderr
    assert hurt.deleted.url in done.stdout and str(hurt.deleted.id) in done.stdout
    assert "python -m crawler reparse" in done.stdout and "--delete-orphans" in done.stdout
    assert "Traceback" not in done.stderr

    as_json = run_crawler(data_dir, "db", "verify", "--json")  # progress goes to stderr, JSON stays clean
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    assert data["captures"] == {"ok": 2, "missing": 1, "corrupt": 2}
    assert {(p["status"], p["capture_id"]) for p in data["problems"]} == {
        ("missing", hurt.deleted.id),
        *(("corrupt", c.id) for c in filled.captures.values() if c.sha256 == filled.shared),
    }
    assert {o["path"] for o in data["orphans"]} == {str(hurt.orphan), str(hurt.stray)}

    deleting = run_crawler(data_dir, "db", "verify", "--json", "--delete-orphans")
    assert deleting.returncode == 1  # still damaged
    assert not hurt.orphan.exists() and not hurt.stray.exists()
    assert BlobStore(data_dir / "blobs").path(hurt.truncated.sha256).exists()
    assert json.loads(deleting.stdout)["blobs"]["orphans_deleted"] == 2


@pytest.mark.postgres
def test_command_on_a_postgresql_store(tmp_path: Path) -> None:
    """The command run as a user runs it against a PostgreSQL store (committed data, its own database)."""
    base = pg.require_postgres()
    with pg.temporary_database(base) as url:
        migrate.upgrade(url)
        data_dir = tmp_path / "data"
        with open_store(resolve(data_dir=data_dir, database_url=url)) as store:
            filled = fill(store)
            hurt = damage(store.blobs, filled)
        env = dict(os.environ)
        env.update(NIANBAOKU_DATA_DIR=str(data_dir), DATABASE_URL=url, NO_COLOR="1", COLUMNS="200")

        def verify(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "crawler", "db", "verify", "--json", *args],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )

        done = verify()
        assert done.returncode == 1, done.stderr
        data = json.loads(done.stdout)
        assert data["captures"] == {"ok": 2, "missing": 1, "corrupt": 2}
        assert ("missing", hurt.deleted.id, hurt.deleted.url) in {
            (p["status"], p["capture_id"], p["url"]) for p in data["problems"]
        }
        assert len(data["orphans"]) == 2
        assert verify("--delete-orphans").returncode == 1
        assert not hurt.orphan.exists() and not hurt.stray.exists()
        # fetching the same bytes again heals the archive (BlobStore.put replaces a damaged copy)
        healed = BlobStore(data_dir / "blobs")
        for original in hurt.originals:
            healed.put(original)
        assert verify().returncode == 0
