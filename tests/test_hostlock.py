"""The Redis host lease (`crawler.middlewares.hostlock.RedisHostLock`): one request per host slot across
workers, the download delay kept after a release, dead workers' leases broken. Needs Redis on
127.0.0.1:6379 (skipped otherwise; failed under ``CI=true``)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import redis
from scrapy import Request
from scrapy.http import Response

from crawler.distributed import FrontierKeys
from crawler.middlewares.hostlock import META_LEASE, RedisHostLock
from tests.replica.workers import delete_prefix, require_redis


@pytest.fixture
def server() -> Iterator[tuple[redis.Redis, str]]:
    url = require_redis()
    prefix = f"nbk-test-{secrets.token_hex(4)}"
    try:
        yield redis.Redis.from_url(url), prefix
    finally:
        delete_prefix(url, prefix)


def _lock(
    client: redis.Redis, prefix: str, worker: str, *, delay: float = 0.0, slots: int = 1
) -> RedisHostLock:
    frontier = SimpleNamespace(worker=worker, keys=FrontierKeys(prefix, "p"))
    crawler = SimpleNamespace(
        spider=SimpleNamespace(download_delay=delay), stats=None, nianbaoku_frontier=frontier,
        settings=SimpleNamespace(getfloat=lambda name: delay),
    )
    return RedisHostLock(crawler, client, prefix, slots, ttl_ms=60_000, poll=0.01)  # type: ignore[arg-type]


def _acquire(lock: RedisHostLock, request: Request, timeout: float = 0.3) -> bool:
    async def go() -> bool:
        try:
            await asyncio.wait_for(lock.process_request(request), timeout)
        except TimeoutError:
            return False
        return True

    return asyncio.run(go())


def test_second_worker_waits_until_the_first_releases(server) -> None:
    client, prefix = server
    a, b = _lock(client, prefix, "wa"), _lock(client, prefix, "wb")
    client.set(FrontierKeys(prefix, "p").alive("wa"), "1")
    ra, rb = Request("http://h.example/1"), Request("http://h.example/2")
    assert _acquire(a, ra)
    assert not _acquire(b, rb)  # the host's one slot is taken by a live worker
    a.process_response(ra, Response(ra.url, request=ra))
    assert META_LEASE not in ra.meta
    assert _acquire(b, rb)


def test_release_keeps_the_slot_for_the_download_delay(server) -> None:
    client, prefix = server
    a = _lock(client, prefix, "wa", delay=30)
    request = Request("http://h.example/1")
    assert _acquire(a, request)
    key, _token = request.meta[META_LEASE]
    a.process_exception(request, RuntimeError("boom"))
    assert client.get(key) == b"cooldown" and 0 < client.pttl(key) <= 30_000


def test_a_dead_workers_lease_is_broken(server) -> None:
    client, prefix = server
    dead, alive = _lock(client, prefix, "dead"), _lock(client, prefix, "alive")
    assert _acquire(dead, Request("http://h.example/1"))  # then "dead" never releases; no alive key
    assert _acquire(alive, Request("http://h.example/2"))


def test_slots_allow_that_many_at_once(server) -> None:
    client, prefix = server
    locks = [_lock(client, prefix, f"w{i}", slots=2) for i in range(3)]
    for i in range(3):
        client.set(FrontierKeys(prefix, "p").alive(f"w{i}"), "1")
    results = [_acquire(lock, Request(f"http://h.example/{i}")) for i, lock in enumerate(locks)]
    assert results == [True, True, False]
