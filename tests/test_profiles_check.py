"""`python -m crawler profiles list|check` against the replica portals (127.0.0.1 only).

`check` starts a Twisted reactor, so each check runs as a real CLI process; the replica runs in the test
process (threads) and the profile is bound with ``--base`` (as ``scrapy crawl portal -a base=``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crawler.config import PROJECT_ROOT
from tests.replica import ReplicaServer, default_specs
from tests.replica.server import PROFILES

FAST = ["--set", "AUTOTHROTTLE_ENABLED=False", "--set", "NIANBAOKU_POLITENESS_ENABLED=False",
        "--set", "DOWNLOAD_DELAY=0", "--set", "RETRY_TIMES=0"]


def run_cli(*args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", "profiles", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def check(replica: ReplicaServer, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("check", f"replica-{name}", "--dir", str(PROFILES), "--base", replica.base(name),
                   "--base", f"oss={replica.oss.base}", "--json", "--max-pages", "1", *FAST, *extra)


@pytest.fixture(scope="module")
def replica():
    specs = [s for s in default_specs() if s.name in ("trs", "static")]
    with ReplicaServer(specs) as server:
        yield server


def test_check_normal_family_is_verified_with_counts(replica):
    proc = check(replica, "trs")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["verdict"] == "verified"
    assert found["counts"]["list_pages"] == 1  # --max-pages 1 bounds the pager
    assert found["counts"]["candidates"] >= 1
    assert found["counts"]["details"] >= 1
    assert found["parsed"] >= 1
    assert found["blocked"] == []
    years = {int(y) for y in found["candidate_years"] if y != "unknown"}
    assert years and years <= set(range(2014, 2025))
    parsed = [r for r in found["reports"] if r["cells"] > 0]
    assert parsed and all(r["format"] not in (None, "unknown") for r in parsed)


def test_check_challenged_site_is_blocked(replica):
    site = replica.site("static")
    site.challenge = "412"
    try:
        proc = check(replica, "static")
    finally:
        site.challenge = None
    assert proc.returncode == 1
    found = json.loads(proc.stdout)
    assert found["verdict"] == "blocked"
    assert found["parsed"] == 0
    assert any(e["error"].startswith("blocked:") for e in found["blocked"])
    assert "challenge" in found["reason"]


def test_check_response_cap_leaves_it_unverified(replica):
    proc = check(replica, "static", "--max-responses", "1")
    assert proc.returncode == 1
    found = json.loads(proc.stdout)
    assert found["verdict"] == "unverified"
    assert found["finish_reason"] == "closespider_pagecount"


def test_check_text_output_names_the_status_line_to_change(replica):
    proc = check(replica, "static", "--max-responses", "1")
    text = run_cli("check", "replica-static", "--dir", str(PROFILES), "--base", replica.base("static"),
                   "--base", f"oss={replica.oss.base}", "--no-progress", "--max-responses", "1", *FAST)
    assert proc.returncode == text.returncode == 1
    assert "verdict: unverified" in text.stdout
    assert "status: unverified" in text.stdout or "status: verified" in text.stdout
    assert "never rewrites the YAML" in text.stdout


def test_check_bad_id_is_one_line_exit_2():
    proc = run_cli("check", "no-such-profile", "--dir", str(PROFILES))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no profile 'no-such-profile'" in lines[0]
    assert "Traceback" not in proc.stderr


def test_check_unbound_replica_profile_asks_for_base():
    proc = run_cli("check", "replica-trs", "--dir", str(PROFILES))
    assert proc.returncode == 2
    assert "--base" in proc.stderr and "Traceback" not in proc.stderr


def test_list_shows_profiles_of_a_dir():
    proc = run_cli("list", "--dir", str(PROFILES))
    assert proc.returncode == 0, proc.stderr
    for pid in ("replica-trs", "replica-jcms", "hanweb_jcms"):
        assert pid in proc.stdout
