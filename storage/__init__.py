"""The archive (content-addressed blobs) and the relational store (SQLAlchemy 2 + Alembic).

- `storage.blobs`      — `BlobStore`: bytes in, sha256 out; compressed, deduplicated, verified on read.
- `storage.models`     — the typed ORM models (agencies, captures, reports, versions, parse results…).
- `storage.repository` — the unit-of-work functions; the only module with queries. Take a session,
  never commit.
- `storage.db`         — engines, sessions, `open_store()` → `Store` (engine, Session, blobs).
- `storage.migrate`    — Alembic configured in code: `upgrade`, `downgrade`, `current`, `ensure_current`.
- `storage.regions`    — agency name → GB/T 2260 region code, level and kind (offline).
- `storage.errors`     — the named failures (`BlobCorrupted`, `StoreOutdated`, `InvalidRecord`, …).

Nothing is imported here, so ``import storage.blobs`` does not pay for SQLAlchemy or Alembic.
"""
