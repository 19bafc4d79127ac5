"""Run ``python -m crawler <args>`` in a subprocess against one data directory, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run_crawler(
    data_dir: Path, *args: str, columns: int = 200, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The command's result; the store is ``data_dir`` (SQLite: any DATABASE_URL of the caller is dropped),
    output is wide and colourless so assertions can read it."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(NIANBAOKU_DATA_DIR=str(data_dir), COLUMNS=str(columns), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
