"""Where the store lives: resolves the data directory and database URL from settings and environment.

Precedence (highest first): an explicit argument, the environment (``DATABASE_URL``,
``NIANBAOKU_DATA_DIR``), then the defaults in `crawler.settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from crawler import settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """Resolved locations of the relational store and the blob archive."""

    data_dir: Path
    database_url: str

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def resolve(data_dir: str | Path | None = None, database_url: str | None = None) -> StoreConfig:
    """Resolve the store configuration (see module docstring for precedence)."""
    raw_dir = data_dir or os.environ.get("NIANBAOKU_DATA_DIR") or settings.NIANBAOKU_DATA_DIR
    path = Path(raw_dir)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    url = database_url or os.environ.get("DATABASE_URL") or settings.DATABASE_URL
    if not url:
        url = f"sqlite:///{path / 'nianbaoku.sqlite'}"
    return StoreConfig(data_dir=path, database_url=url)
