"""Scheduled crawls: which profiles are due (pinned clocks), the profile ``schedule:`` field, and the
crawl lock (two processes: the second ``crawl --due`` exits 0 and says who holds it)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.config import resolve
from crawler.schedule import LockHeld, crawl_lock, decide, due_profiles, schedule_decisions
from spiders.profiles import ProfileError, ScheduleRule, profile_from_dict

ROOT = Path(__file__).resolve().parents[1]
FEB = datetime(2025, 2, 10, 3, 0, tzinfo=UTC)  # peak season
JUL = datetime(2025, 7, 10, 3, 0, tzinfo=UTC)  # off season


def _profile(pid: str = "nb-test", *, status: str = "verified", schedule=None, url="http://x.gov.cn/"):
    data = {"id": pid, "agency": "某局", "host": "x.gov.cn", "cms": "static", "start_urls": [url]}
    data["status"] = status
    if schedule is not None:
        data["schedule"] = schedule
    return profile_from_dict(data)


# --- the schedule field ------------------------------------------------------------------------------


def test_schedule_field_defaults_and_validation():
    assert _profile().schedule == ScheduleRule((1, 2, 3, 4), 3.0, 30.0)
    custom = _profile(schedule={"peak_months": [3, 1, 3], "peak_every_days": 1, "off_every_days": 14})
    assert custom.schedule == ScheduleRule((1, 3), 1.0, 14.0)
    for bad, field in (
        ({"peak_months": [0]}, "schedule.peak_months"),
        ({"peak_months": "1-4"}, "schedule.peak_months"),
        ({"off_every_days": 0}, "schedule.off_every_days"),
        ({"peak_every_days": "often"}, "schedule.peak_every_days"),
        ({"every_days": 3}, "schedule.every_days"),
    ):
        with pytest.raises(ProfileError) as err:
            _profile(schedule=bad)
        assert err.value.field == field


# --- due logic, pinned clocks ---------------------------------------------------------------------------


def test_never_crawled_profiles_are_due():
    ((profile, reason),) = due_profiles([_profile()], {}, FEB)
    assert profile.id == "nb-test" and reason.startswith("never crawled")


def test_peak_months_are_visited_every_few_days():
    p = _profile()
    assert not decide(p, FEB - timedelta(days=2), FEB).due
    due = decide(p, FEB - timedelta(days=3), FEB)
    assert due.due and "peak season" in due.reason


def test_off_season_is_visited_rarely():
    p = _profile()
    assert not decide(p, JUL - timedelta(days=10), JUL).due
    assert decide(p, JUL - timedelta(days=30), JUL).due
    custom = _profile(schedule={"peak_months": [7], "peak_every_days": 1})
    assert decide(custom, JUL - timedelta(days=1), JUL).due  # July is this profile's peak


def test_a_timer_firing_a_little_early_does_not_skip_a_visit():
    p = _profile()
    assert decide(p, FEB - timedelta(days=3) + timedelta(hours=1), FEB).due
    assert not decide(p, FEB - timedelta(days=3) + timedelta(hours=3), FEB).due
    assert not decide(p, FEB - timedelta(days=3) + timedelta(hours=1), FEB, slack=timedelta(0)).due


def test_months_are_counted_in_china_time():
    p = _profile(schedule={"peak_months": [5], "peak_every_days": 1, "off_every_days": 30})
    last = datetime(2025, 4, 29, 17, 0, tzinfo=UTC)
    assert not decide(p, last, datetime(2025, 4, 30, 15, 0, tzinfo=UTC)).due  # 23:00 on 30 April in Beijing
    assert decide(p, last, datetime(2025, 4, 30, 17, 0, tzinfo=UTC)).due  # 01:00 on 1 May in Beijing


def test_blocked_profiles_are_slowed_and_drifted_or_unbound_ones_skipped():
    blocked = _profile("nb-blocked", status="blocked")
    assert not decide(blocked, FEB - timedelta(days=5), FEB).due  # peak, but slowed to the off cadence
    assert decide(blocked, FEB - timedelta(days=30), FEB).due
    assert decide(blocked, None, FEB).due
    drifted = _profile("nb-drifted", status="drifted")
    replica = _profile("replica-x", url="{base}/list.html")
    decisions = schedule_decisions([drifted, replica, _profile()], {}, FEB)
    assert [d.due for d in decisions] == [False, False, True]
    assert "drifted" in decisions[0].reason and "placeholders" in decisions[1].reason


def test_due_profiles_keeps_order_and_uses_each_profiles_last_run():
    a, b, c = _profile("nb-a"), _profile("nb-b"), _profile("nb-c")
    last = {"nb-a": FEB - timedelta(days=1), "nb-b": FEB - timedelta(days=4)}
    assert [p.id for p, _ in due_profiles([a, b, c], last, FEB)] == ["nb-b", "nb-c"]


def test_naive_clocks_are_refused():
    with pytest.raises(ValueError, match="aware"):
        decide(_profile(), None, datetime(2025, 2, 10))


# --- the lock ---------------------------------------------------------------------------------------------


def test_file_lock_is_exclusive_and_names_the_holder(tmp_path):
    config = resolve(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'nianbaoku.sqlite'}")
    with crawl_lock(config):
        with pytest.raises(LockHeld) as held, crawl_lock(config):
            pass
        assert held.value.holder == str(os.getpid())
        assert str(held.value) == f"another crawl is running (pid {os.getpid()})"
    with crawl_lock(config):  # released
        pass


@pytest.mark.postgres
def test_postgres_advisory_lock_is_exclusive(pg_url):
    config = resolve(data_dir="/nonexistent-unused", database_url=pg_url)
    with crawl_lock(config):
        with pytest.raises(LockHeld) as held, crawl_lock(config):
            pass
        assert held.value.holder == str(os.getpid())
    with crawl_lock(config):
        pass


def _env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "NIANBAOKU_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return env


HOLD = """
import sys
from crawler.config import resolve
from crawler.schedule import crawl_lock
with crawl_lock(resolve()):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_second_crawl_due_exits_cleanly_while_the_first_holds_the_lock(tmp_path):
    data_dir, profiles = tmp_path / "data", tmp_path / "profiles"
    profiles.mkdir()
    env = _env(data_dir)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        args = [sys.executable, "-m", "crawler", "crawl", "--due", "--profiles-dir", str(profiles)]
        second = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        assert f"another crawl is running (pid {holder.pid})" in second.stdout
        assert "nothing is due" not in second.stdout
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    after = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert after.returncode == 0 and "nothing is due" in after.stdout


@pytest.mark.slow
def test_crawl_due_crawls_due_profiles_then_nothing_until_their_time(tmp_path):
    from tests.replica.server import ReplicaServer
    from tests.replica.sites import SiteSpec

    data_dir, profiles = tmp_path / "data", tmp_path / "profiles"
    profiles.mkdir()
    spec = SiteSpec("static", "static", years=(2023, 2024))
    with ReplicaServer([spec]) as replica:
        base = replica.base("static")
        text = (ROOT / "tests/replica/profiles/replica-static.yaml").read_text(encoding="utf-8")
        text = text.replace("{base}", base).replace("{host}", base.split("//", 1)[1])
        (profiles / "replica-static.yaml").write_text(text, encoding="utf-8")
        args = [
            sys.executable,
            "-m",
            "crawler",
            "crawl",
            "--due",
            "--no-progress",
            "--profiles-dir",
            str(profiles),
        ]
        env = {**_env(data_dir), "COLUMNS": "200"}
        first = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert first.returncode == 0, first.stderr[-3000:]
        assert "never crawled" in first.stdout and "crawl summary" in first.stdout
        second = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "nothing is due" in second.stdout and "crawl summary" not in second.stdout
    from sqlalchemy import func, select

    from storage.db import open_store
    from storage.models import CrawlRun, Report

    with (
        open_store(
            resolve(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'nianbaoku.sqlite'}")
        ) as store,
        store.Session() as s,
    ):
        assert s.scalar(select(func.count(Report.id))) > 0
        assert s.scalar(select(func.count(CrawlRun.id))) == 1  # the second run crawled nothing
