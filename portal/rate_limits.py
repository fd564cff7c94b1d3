"""Rate limits on Redis in one round trip a request.

Flask-Limiter counts a hit with one script (INCRBY, and EXPIRE on the first hit of a window),
then reads the window back for the `X-RateLimit-*` headers: a GET and a TTL, two more round
trips to Redis for every answer. Here the hit's script returns the count and the window's TTL
together, and the read-back of the same key in the same thread a moment later is answered from
them. The limits stay shared by every process through Redis; a read of any other key, or later,
goes to Redis as before, and Redis errors reach Flask-Limiter as before (which falls back to
memory while Redis is away).

`RATELIMIT_STORAGE_URI` names it with the `kg` prefix on a Redis URL (`kgredis://host:6379/0`,
`kgrediss://...`); `config.py` does so whenever `REDIS_URL` is set.
"""

from __future__ import annotations

import threading
import time

from limits.storage import RedisStorage

# The first two lines are limits' own incr_expire.lua; the TTL is read in the same call.
INCR_EXPIRE_TTL = """
local amount = tonumber(ARGV[2])
local current = redis.call("incrby", KEYS[1], amount)
if tonumber(current) == amount then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""
# How long a hit's own count and TTL answer the read-back of its key (the same request's).
FRESH_SECONDS = 0.5
# Keys remembered per thread at most (a request hits one or two limits).
REMEMBERED = 16
PREFIX = "kg"


class OneTripRedisStorage(RedisStorage):
    STORAGE_SCHEME = [f"{PREFIX}redis", f"{PREFIX}rediss"]

    def __init__(self, uri: str, **options) -> None:
        super().__init__(uri.removeprefix(PREFIX), **options)
        self._hits = threading.local()

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(INCR_EXPIRE_TTL)

    def _remembered(self) -> dict[str, tuple[int, float, float]]:
        hits = getattr(self._hits, "by_key", None)
        if hits is None:
            hits = self._hits.by_key = {}
        return hits

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        count, ttl = self.lua_incr_expire_ttl([self.prefixed_key(key)], [expiry, amount])
        hits = self._remembered()
        if len(hits) >= REMEMBERED:
            hits.clear()
        now = time.time()
        hits[key] = (int(count), now + max(int(ttl), 0), time.monotonic())
        return int(count)

    def _fresh(self, key: str) -> tuple[int, float, float] | None:
        hit = self._remembered().get(key)
        if hit is not None and time.monotonic() - hit[2] < FRESH_SECONDS:
            return hit
        return None

    def get(self, key: str) -> int:
        hit = self._fresh(key)
        return hit[0] if hit is not None else super().get(key)

    def get_expiry(self, key: str) -> float:
        hit = self._fresh(key)
        return hit[1] if hit is not None else super().get_expiry(key)

    def clear(self, key: str) -> None:
        self._remembered().pop(key, None)
        super().clear(key)

    def reset(self) -> int | None:
        self._remembered().clear()
        return super().reset()
