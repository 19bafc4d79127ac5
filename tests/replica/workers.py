"""Run ``python -m crawler crawl`` worker processes against a running `ReplicaServer`.

The replica runs in the test process (threads); each worker is a real CLI process — the same command an
operator runs — pointed at the replica through a *bound* copy of the replica profile (placeholders
filled with this run's ports) in a temporary profiles directory. Settings are the replica-fast ones of
the ``demo`` command (no delays, politeness gate off) plus whatever the test adds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crawler.config import PROJECT_ROOT
from tests.replica.server import PROFILES, ReplicaServer

#: Settings for crawling 127.0.0.1 replicas (as `crawler.commands.demo.FAST_SETTINGS`).
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "NIANBAOKU_PROFILE_DELAY": "False",
    "TELNETCONSOLE_ENABLED": "False",
    "NIANBAOKU_POLITENESS_ENABLED": "False",
    "RETRY_TIMES": "1",
}


def bind_profile(replica: ReplicaServer, name: str, directory: Path, profile_id: str | None = None) -> str:
    """Write ``replica-<name>.yaml`` with this run's ports into `directory`; returns the profile id."""
    pid = profile_id or f"replica-{name}"
    text = (PROFILES / f"{pid}.yaml").read_text(encoding="utf-8")
    base = replica.base(name)
    oss = replica.oss.base
    for placeholder, value in (
        ("{base:oss}", oss),
        ("{host:oss}", oss.split("://", 1)[1]),
        ("{base}", base),
        ("{host}", base.split("://", 1)[1]),
    ):
        text = text.replace(placeholder, value)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{pid}.yaml").write_text(text, encoding="utf-8")
    return pid


def worker_env(*, database_url: str, data_dir: Path, redis_url: str | None = None,
               prefix: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "NIANBAOKU_REDIS_PREFIX")}
    env.update(DATABASE_URL=database_url, NIANBAOKU_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    if redis_url:
        env["REDIS_URL"] = redis_url
    if prefix:
        env["NIANBAOKU_REDIS_PREFIX"] = prefix
    return env


def start_worker(
    profile: str,
    profiles_dir: Path,
    env: dict[str, str],
    log: Path,
    *,
    worker: bool = False,
    settings: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start one ``crawl`` process (stdout and stderr to `log`)."""
    cmd = [sys.executable, "-m", "crawler", "crawl", "--profile", profile,
           "--profiles-dir", str(profiles_dir), "--no-progress", "--log-level", "INFO"]
    if worker:
        cmd.append("--worker")
    for k, v in {**FAST, **(settings or {})}.items():
        cmd += ["--set", f"{k}={v}"]
    fh = open(log, "ab")  # noqa: SIM115 - the child owns it; closed when the Popen is collected
    return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)





DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def require_redis(url: str | None = None) -> str:
    """The Redis URL (``NIANBAOKU_TEST_REDIS``, default 127.0.0.1:6379) if it answers; else skip the
    test — or fail it when ``CI=true``, where a missing Redis is a broken build."""
    import pytest
    import redis

    url = url or os.environ.get("NIANBAOKU_TEST_REDIS") or DEFAULT_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        reason = f"Redis unreachable at {url}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: distributed tests must run, not skip)")
        pytest.skip(reason)
    return url


def delete_prefix(url: str, prefix: str) -> int:
    """Remove every key under `prefix` (a test's own namespace)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    return len(keys)

__all__ = ["FAST", "bind_profile", "delete_prefix", "require_redis", "start_worker", "worker_env"]
