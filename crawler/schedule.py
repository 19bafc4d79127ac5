"""Scheduled crawls: which profiles are due (`due_profiles`), and one crawl at a time (`crawl_lock`).

Why a schedule: annual reports appear from January to April (departments by 31 January, governments
by 31 March, stragglers after), so a portal is worth a visit every few days then and about once a month
the rest of the year — often enough to notice a quietly corrected report, rarely enough to stay a
polite guest. Each profile says how often (``schedule:`` in its YAML, `spiders.profiles.ScheduleRule`);
``python -m crawler crawl --due`` runs from cron or a systemd timer (say hourly or daily) and crawls
only the profiles whose time has come (`crawl_due`).

Rules of `due_profiles` (a pure function of the profiles, their last crawl start and the clock):

- a profile never crawled is due;
- in a peak month (China time) a profile is due ``peak_every_days`` after its last crawl started,
  otherwise ``off_every_days`` after; `SLACK` early counts as on time, so a daily timer that fires a
  few minutes early does not skip a day;
- a ``blocked`` profile is slowed to ``off_every_days`` all year: hammering a portal that blocks us
  only escalates the block, but an occasional visit notices when it opens again;
- a ``drifted`` profile (the portal changed; the profile no longer matches it) is skipped until fixed,
  and so is a replica profile with unfilled ``{base}`` placeholders.

Why a lock: a crawl can outlast the timer's period (a slow portal in January); a second run would
crawl the same portals twice at once, doubling the load on them. `crawl_lock` is an ``fcntl.flock`` on
``<data dir>/crawl.lock`` (released by the kernel when the process dies, so a crash never leaves a
stale lock), or a PostgreSQL advisory lock when the store is PostgreSQL (crawlers on several machines
sharing one database). A second ``crawl --due`` finds it held and exits 0: nothing went wrong.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from crawler import settings as project_settings

if TYPE_CHECKING:
    from rich.console import Console

    from crawler.config import StoreConfig
    from spiders.profiles import PortalProfile

#: Reports are published on China time; "is it February?" is answered there.
CHINA = ZoneInfo("Asia/Shanghai")
#: How early a visit still counts as on time (see module docstring).
SLACK = timedelta(hours=getattr(project_settings, "NIANBAOKU_SCHEDULE_SLACK_HOURS", 2))
#: The lock file's name in the data directory.
LOCK_FILE = getattr(project_settings, "NIANBAOKU_CRAWL_LOCK_FILE", "crawl.lock")
#: PostgreSQL advisory lock key (two int4: ``classid``, ``objid`` in ``pg_locks``): "nb", 1.
PG_LOCK_KEY = (0x6E62, 1)


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one profile is due now, and why (shown to the operator either way)."""

    profile: PortalProfile
    due: bool
    reason: str


def _days(value: float) -> str:
    return f"{value:g} day" + ("" if value == 1 else "s")


def decide(
    profile: PortalProfile, last_run: datetime | None, now: datetime, *, slack: timedelta = SLACK
) -> Decision:
    """The scheduling decision for one profile (rules in the module docstring)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (UTC or any zone)")
    if not profile.is_bound:
        return Decision(profile, False, "skipped: replica profile with {base} placeholders")
    if profile.status == "drifted":
        return Decision(profile, False, "skipped: profile drifted from the portal (fix it, then set status)")
    rule = profile.schedule
    month = now.astimezone(CHINA).month
    peak = month in rule.peak_months
    if profile.status == "blocked":
        every, season = max(rule.off_every_days, rule.peak_every_days), "blocked portal, slowed"
    elif peak:
        every, season = rule.peak_every_days, "peak season"
    else:
        every, season = rule.off_every_days, "off season"
    if last_run is None:
        return Decision(profile, True, f"never crawled ({season}: every {_days(every)})")
    if last_run.tzinfo is None:
        raise ValueError(f"last run of {profile.id} must be an aware datetime")
    elapsed = now - last_run
    ago = elapsed.total_seconds() / 86400
    if elapsed + slack >= timedelta(days=every):
        return Decision(profile, True, f"{season}: last crawl {ago:.1f} days ago, every {_days(every)}")
    next_at = last_run + timedelta(days=every)
    return Decision(
        profile, False, f"{season}: last crawl {ago:.1f} days ago, next after {next_at:%Y-%m-%d %H:%M} UTC"
    )


def schedule_decisions(
    profiles: Iterable[PortalProfile],
    last_runs: Mapping[str, datetime],
    now: datetime,
    *,
    slack: timedelta = SLACK,
) -> list[Decision]:
    """One `Decision` per profile, in the given order."""
    return [decide(p, last_runs.get(p.id), now, slack=slack) for p in profiles]


def due_profiles(
    profiles: Iterable[PortalProfile],
    last_runs: Mapping[str, datetime],
    now: datetime,
    *,
    slack: timedelta = SLACK,
) -> list[tuple[PortalProfile, str]]:
    """The profiles due at `now` with the reason, given when each was last crawled (profile id →
    start of its latest crawl run; absent: never)."""
    return [(d.profile, d.reason) for d in schedule_decisions(profiles, last_runs, now, slack=slack) if d.due]


# --- the lock ---------------------------------------------------------------------------------------


class LockHeld(Exception):
    """Another crawl holds the lock; `holder` names it (a pid, as far as it can be known)."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(f"another crawl is running (pid {holder})")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="ascii") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise LockHeld(handle.read().strip() or "unknown") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _pg_lock(database_url: str) -> Iterator[None]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"SET application_name = 'nianbaoku crawl pid {os.getpid()}'"))
            key = {"a": PG_LOCK_KEY[0], "b": PG_LOCK_KEY[1]}
            got = conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), key).scalar()
            conn.commit()
            if not got:
                name = conn.execute(
                    text(
                        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :a AND l.objid = :b"
                    ),
                    key,
                ).scalar()
                found = re.search(r"pid (\d+)", name or "")
                raise LockHeld(found.group(1) if found else (name or "unknown"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), key)
                conn.commit()
    finally:
        engine.dispose()


@contextmanager
def crawl_lock(config: StoreConfig) -> Iterator[None]:
    """Hold the crawl lock of this store for the block; raises `LockHeld` at once if it is taken."""
    if config.database_url.startswith("postgresql"):
        with _pg_lock(config.database_url):
            yield
    else:
        with _file_lock(config.data_dir / LOCK_FILE):
            yield


# --- crawl --due ---------------------------------------------------------------------------------


def last_run_starts(session: Any) -> dict[str, datetime]:
    """Profile id → start of its latest crawl run (any status: a crashed crawl was still a visit)."""
    from storage.queries import latest_crawl_runs

    return {run.profile: run.started_at for run in latest_crawl_runs(session)}


def _load_all(directory: Path, console: Console) -> list[PortalProfile]:
    """Every loadable profile; a broken file is reported and skipped, not a reason to crawl nothing."""
    from spiders.profiles import ProfileError, load_profile

    profiles = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            profiles.append(load_profile(path))
        except ProfileError as exc:
            console.print(f"[yellow]skipped profile:[/] {exc}")
    return profiles


def crawl_due(
    directory: Path,
    *,
    overrides: dict[str, Any],
    console: Console,
    progress: bool = True,
    now: datetime | None = None,
) -> int:
    """``crawl --due``: under the lock, crawl the due profiles of `directory`; return the exit status
    (0: done, nothing due, or another crawl running; 1: a crawl did not finish)."""
    from datetime import UTC

    from rich.table import Table

    from crawler.commands.crawl import CrawlJob, check_store, render_summary, run_crawls
    from crawler.config import resolve
    from storage.db import open_store

    try:
        with crawl_lock(resolve()):
            check_store()
            profiles = _load_all(directory, console)
            with open_store() as store:
                last = store.run(last_run_starts)
            decisions = schedule_decisions(profiles, last, now or datetime.now(UTC))
            table = Table(title="schedule", title_justify="left")
            table.add_column("profile", style="bold")
            table.add_column("due")
            table.add_column("why", overflow="fold")
            for d in decisions:
                table.add_row(d.profile.id, "yes" if d.due else "no", d.reason)
            console.print(table)
            jobs = [CrawlJob(d.profile) for d in decisions if d.due]
            if not jobs:
                console.print("nothing is due")
                return 0
            summaries = run_crawls(jobs, overrides=overrides, console=console, progress=progress)
            render_summary(summaries, console)
            return 0 if all(s.ok for s in summaries) else 1
    except LockHeld as exc:
        console.print(f"{exc}; this run does nothing")
        return 0


__all__ = [
    "Decision",
    "LockHeld",
    "crawl_due",
    "crawl_lock",
    "decide",
    "due_profiles",
    "last_run_starts",
    "schedule_decisions",
]
