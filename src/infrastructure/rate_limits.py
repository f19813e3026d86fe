"""Moving-window counters (the ``limits`` library), in this process or shared through
Redis: every per-address limit and every sign-in lock counts with them. A hit is one
atomic step in the store: a lock in memory, a Lua script in Redis."""

from __future__ import annotations

import functools
import time
from typing import Any, cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import MovingWindowRateLimiter
from limits.util import WindowStats
from redis import asyncio as aioredis
from redis.exceptions import NoScriptError

from domain.ports import RateCounters, RateLimit, Window
from infrastructure.redis_guard import RedisGuard

Hit = tuple[RateLimit, str]
SWEEP_EVERY = 10.0  # seconds between sweeps of passed hits out of the in-process windows


@functools.lru_cache(maxsize=256)
def item_for(limit: RateLimit) -> RateLimitItem:
    """limits' item for ``limit``: its count in a window of whole seconds (at least one)."""
    return RateLimitItemPerSecond(limit.count, max(1, round(limit.period.total_seconds())))


def window_of(limit: RateLimit, allowed: bool, stats: WindowStats) -> Window:
    reset_in = max(0.0, stats.reset_time - time.time())
    return Window(allowed, limit.count, max(0, stats.remaining), reset_in)


class SweepingMemoryStorage(MemoryStorage):
    """limits' in-process storage starts a sweep of every key after each hit, and the
    sweep hops to a thread once per key: tens of microseconds on every request, and a
    stream of thread hops under a flood from many addresses. This one sweeps at most
    every SWEEP_EVERY seconds; until then a key keeps at most its window's hits."""

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (the base's private hook)
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY
        schedule = getattr(super(), "_MemoryStorage__schedule_expiry")  # noqa: B009
        await schedule()


class MemoryCounters(RateCounters):
    """Counted in this process: exact for one process, not shared with others."""

    def __init__(self) -> None:
        self.storage = SweepingMemoryStorage()
        self._limiter = MovingWindowRateLimiter(self.storage)

    async def hit(self, *hits: Hit) -> list[Window]:
        windows = []
        for limit, key in hits:
            item = item_for(limit)
            allowed = await self._limiter.hit(item, key)
            stats = await self._limiter.get_window_stats(item, key)
            windows.append(window_of(limit, allowed, stats))
        return windows

    async def release(self, limit: RateLimit, key: str) -> None:
        name = item_for(limit).key_for(key)
        async with self.storage.locks[name]:
            if events := self.storage.events.get(name):
                del events[0]  # newest first

    async def clear(self, limit: RateLimit, key: str) -> None:
        await self._limiter.clear(item_for(limit), key)


class RedisCounters(RateCounters):
    """Counted in Redis with limits' own scripts, shared by every worker and host; when
    Redis is slow or down, counted in this process (``fallback``) instead.

    A request's hits go out in one pipeline: for each, the script that takes a place in
    the window and the one that reads the window back, so the response headers cost no
    second round trip.
    """

    PREFIX = "gatehouse:limits"

    def __init__(self, guard: RedisGuard, fallback: MemoryCounters) -> None:
        self._guard = guard
        self._fallback = fallback
        self._storage_of: tuple[aioredis.Redis, RedisStorage] | None = None

    async def hit(self, *hits: Hit) -> list[Window]:
        async def call(redis: aioredis.Redis) -> list[Window]:
            return await self._hit(redis, hits)

        return await self._guard.run(call, lambda: self._fallback.hit(*hits))

    async def release(self, limit: RateLimit, key: str) -> None:
        async def call(redis: aioredis.Redis) -> None:
            await redis.lpop(self._bridge(redis).prefixed_key(item_for(limit).key_for(key)))

        await self._guard.run(call, lambda: self._fallback.release(limit, key))

    async def clear(self, limit: RateLimit, key: str) -> None:
        async def call(redis: aioredis.Redis) -> None:
            await MovingWindowRateLimiter(self._storage(redis)).clear(item_for(limit), key)

        await self._guard.run(call, lambda: self._fallback.clear(limit, key))

    async def _hit(self, redis: aioredis.Redis, hits: tuple[Hit, ...]) -> list[Window]:
        bridge, now = self._bridge(redis), time.time()
        async with redis.pipeline(transaction=False) as pipe:
            for limit, key in hits:
                item = item_for(limit)
                name, expiry = bridge.prefixed_key(item.key_for(key)), item.get_expiry()
                acquire, window = bridge.lua_acquire_moving_window, bridge.lua_moving_window
                pipe.evalsha(acquire.sha, 1, name, now, item.amount, expiry, 1)
                pipe.evalsha(window.sha, 1, name, now - expiry, item.amount)
            # Errors come back as replies: on a fresh or restarted Redis a script may be
            # missing while another coroutine has just loaded the other, so one hit's
            # place may have been taken while its window could not be read.
            replies = await pipe.execute(raise_on_error=False)
        windows = []
        for (limit, key), acquired, found in zip(hits, replies[::2], replies[1::2], strict=True):
            windows.append(await self._window(redis, limit, key, acquired, found, now))
        return windows

    async def _window(
        self,
        redis: aioredis.Redis,
        limit: RateLimit,
        key: str,
        acquired: Any,
        found: Any,
        now: float,
    ) -> Window:
        """One hit's outcome from its two replies, finishing through the library (which
        loads its scripts) what a missing script left undone, never counting twice."""
        item = item_for(limit)
        limiter = MovingWindowRateLimiter(self._storage(redis))
        if isinstance(acquired, NoScriptError):  # nothing was counted: take the place now
            allowed = await limiter.hit(item, key)
            return window_of(limit, allowed, await limiter.get_window_stats(item, key))
        if isinstance(acquired, Exception):
            raise acquired
        if isinstance(found, NoScriptError):  # counted; only the window is still to read
            return window_of(limit, bool(acquired), await limiter.get_window_stats(item, key))
        if isinstance(found, Exception):
            raise found
        return window_of(limit, bool(acquired), _stats(item, found, now))

    def _storage(self, redis: aioredis.Redis) -> RedisStorage:
        """limits' storage on the guard's own connections (timeouts included)."""
        if self._storage_of is None or self._storage_of[0] is not redis:
            storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix=self.PREFIX,
                connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # documented
            )
            self._storage_of = (redis, storage)  # the guard may swap its client
        return self._storage_of[1]

    def _bridge(self, redis: aioredis.Redis) -> RedispyBridge:
        return cast(RedispyBridge, self._storage(redis).bridge)


def _stats(item: RateLimitItem, found: list[str] | None, now: float) -> WindowStats:
    """The window read back by limits' script: its oldest hit and how many it holds."""
    if not found:
        return WindowStats(now + item.get_expiry(), item.amount)
    oldest, count = found
    return WindowStats(float(oldest) + item.get_expiry(), item.amount - int(count))
