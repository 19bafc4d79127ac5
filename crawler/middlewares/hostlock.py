"""Per-host politeness across worker processes: a Redis lease per host slot (distributed mode only).

`crawler.middlewares.politeness` gates requests per host *inside* one process; with N workers sharing a
frontier (`crawler.distributed`) N requests could still hit one small portal at once. `RedisHostLock`
makes a request take one of ``CONCURRENT_REQUESTS_PER_DOMAIN`` leases of its host in Redis before it goes
out (``SET key token NX PX ttl``; waiting is an async sleep, never a sleep of the reactor) and hands it
back when the response or the error comes in. Handing back does not free the slot at once: the key stays
for the download delay (the spider's ``download_delay``, from the profile's ``fetch.delay_s``, else
``DOWNLOAD_DELAY``), so the delay between two requests to a host holds across workers too. A lease
names its worker: a lease held by a worker of the same crawl whose heartbeat has stopped
(`crawler.distributed`) is broken at once; any other lease expires by itself after ``DOWNLOAD_TIMEOUT``
+ 30 s, so a killed worker cannot block a host for long.

Order: 612, right after the in-process gate (610) on the way out and right before it on the way back.
Settings: ``NIANBAOKU_DISTRIBUTED`` (off: `NotConfigured`), ``REDIS_URL``, ``NIANBAOKU_REDIS_PREFIX``,
``NIANBAOKU_HOSTLOCK_POLL`` (seconds between tries). Stats: ``nianbaoku/hostlock/waited``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from scrapy.utils.asyncio import sleep as scrapy_sleep

from crawler.middlewares.politeness import host_key

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

META_LEASE = "_nianbaoku_host_lease"

# Hand a lease back: only if we still hold it; keep the key for `delay` ms (the cross-worker delay).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  if tonumber(ARGV[2]) > 0 then
    return redis.call('set', KEYS[1], 'cooldown', 'PX', ARGV[2])
  end
  return redis.call('del', KEYS[1])
end
return 0
"""
# Break a lease only if it is still the one we saw.
_BREAK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisHostLock:
    """Downloader middleware: one Redis lease per in-flight request and host; see the module."""

    def __init__(self, crawler: Crawler, server: Any, prefix: str, slots: int, ttl_ms: int, poll: float):
        self.crawler = crawler
        self.server = server
        self.prefix = prefix
        self.slots = max(1, slots)
        self.ttl_ms = ttl_ms
        self.poll = poll
        self.release_script = server.register_script(_RELEASE)
        self.break_script = server.register_script(_BREAK)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from scrapy.exceptions import NotConfigured

        from crawler.distributed import redis_client

        s = crawler.settings
        if not s.getbool("NIANBAOKU_DISTRIBUTED"):
            raise NotConfigured
        return cls(
            crawler,
            redis_client(s),
            s.get("NIANBAOKU_REDIS_PREFIX") or "nianbaoku",
            s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") or 1,
            int((s.getfloat("DOWNLOAD_TIMEOUT") + 30) * 1000),
            s.getfloat("NIANBAOKU_HOSTLOCK_POLL", 0.05),
        )

    def _delay_ms(self) -> int:
        spider = self.crawler.spider
        delay = getattr(spider, "download_delay", None)
        if delay is None:
            delay = self.crawler.settings.getfloat("DOWNLOAD_DELAY")
        return int(float(delay) * 1000)

    def _break_if_orphaned(self, key: str) -> None:
        """Drop the lease at `key` if the worker holding it is a dead worker of this crawl."""
        frontier = getattr(self.crawler, "nianbaoku_frontier", None)
        held = self.server.get(key)
        if frontier is None or frontier.keys is None or not held or b"|" not in held:
            return
        holder = held.split(b"|", 1)[0].decode()
        if holder != frontier.worker and not self.server.exists(frontier.keys.alive(holder)):
            self.break_script(keys=[key], args=[held])

    async def process_request(self, request: Request) -> None:
        host = host_key(request)
        frontier = getattr(self.crawler, "nianbaoku_frontier", None)
        token = f"{getattr(frontier, 'worker', '-')}|{uuid.uuid4().hex}"
        waited = False
        while True:
            for i in range(self.slots):
                key = f"{self.prefix}:host:{host}:{i}"
                if self.server.set(key, token, nx=True, px=self.ttl_ms):
                    request.meta[META_LEASE] = (key, token)
                    return None
                self._break_if_orphaned(key)
            if not waited and self.crawler.stats is not None:
                self.crawler.stats.inc_value("nianbaoku/hostlock/waited")
                waited = True
            await scrapy_sleep(self.poll)

    def _release(self, request: Request) -> None:
        lease = request.meta.pop(META_LEASE, None)
        if lease is not None:
            key, token = lease
            self.release_script(keys=[key], args=[token, self._delay_ms()])

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)
        return None


__all__ = ["RedisHostLock"]
