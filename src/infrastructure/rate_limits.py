"""Moving-window counters (the ``limits`` library), in this process or shared through
Redis: every per-address limit and every sign-in lock counts with them.

A hit is one atomic step in the store (a lock in memory, a Lua script in Redis): it is
counted, or refused with nothing counted, however many requests arrive at once.
"""

from __future__ import annotations

import abc
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import MovingWindowRateLimiter
from limits.util import WindowStats
from redis import asyncio as aioredis
from redis.exceptions import NoScriptError

from infrastructure.redis_guard import RedisGuard

Hit = tuple[RateLimitItem, str]
SWEEP_EVERY = 10.0  # seconds between sweeps of passed hits out of the in-process windows


def per(count: int, period: timedelta) -> RateLimitItem:
    """``count`` hits in any ``period`` (whole seconds, at least one)."""
    return RateLimitItemPerSecond(count, max(1, round(period.total_seconds())))


@dataclass(frozen=True, slots=True)
class Window:
    """What a hit found: whether it counted, and the window's state after it."""

    allowed: bool
    limit: int
    remaining: int
    reset_in: float  # seconds until the oldest hit in the window leaves it

    @classmethod
    def of(cls, item: RateLimitItem, allowed: bool, stats: WindowStats) -> Window:
        reset_in = max(0.0, stats.reset_time - time.time())
        return cls(allowed, item.amount, max(0, stats.remaining), reset_in)

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait before a refused hit could count."""
        return max(1, math.ceil(self.reset_in))


class Counters(abc.ABC):
    """Hits per key, each limited by its item's moving window."""

    @abc.abstractmethod
    async def hit(self, *hits: Hit) -> list[Window]:
        """Count each hit that fits its window, in order; the windows after them."""

    @abc.abstractmethod
    async def release(self, item: RateLimitItem, key: str) -> None:
        """Give back the key's newest hit (a reserved slot that was not used)."""

    @abc.abstractmethod
    async def clear(self, item: RateLimitItem, key: str) -> None:
        """Forget every hit of the key."""


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


class MemoryCounters(Counters):
    """Counted in this process: exact for one process, not shared with others."""

    def __init__(self) -> None:
        self.storage = SweepingMemoryStorage()
        self._limiter = MovingWindowRateLimiter(self.storage)

    async def hit(self, *hits: Hit) -> list[Window]:
        windows = []
        for item, key in hits:
            allowed = await self._limiter.hit(item, key)
            stats = await self._limiter.get_window_stats(item, key)
            windows.append(Window.of(item, allowed, stats))
        return windows

    async def release(self, item: RateLimitItem, key: str) -> None:
        name = item.key_for(key)
        async with self.storage.locks[name]:
            if events := self.storage.events.get(name):
                del events[0]  # newest first

    async def clear(self, item: RateLimitItem, key: str) -> None:
        await self._limiter.clear(item, key)


class RedisCounters(Counters):
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

    async def release(self, item: RateLimitItem, key: str) -> None:
        async def call(redis: aioredis.Redis) -> None:
            await redis.lpop(self._bridge(redis).prefixed_key(item.key_for(key)))

        await self._guard.run(call, lambda: self._fallback.release(item, key))

    async def clear(self, item: RateLimitItem, key: str) -> None:
        async def call(redis: aioredis.Redis) -> None:
            await MovingWindowRateLimiter(self._storage(redis)).clear(item, key)

        await self._guard.run(call, lambda: self._fallback.clear(item, key))

    async def _hit(self, redis: aioredis.Redis, hits: tuple[Hit, ...]) -> list[Window]:
        bridge, now = self._bridge(redis), time.time()
        async with redis.pipeline(transaction=False) as pipe:
            for item, key in hits:
                name, expiry = bridge.prefixed_key(item.key_for(key)), item.get_expiry()
                acquire, window = bridge.lua_acquire_moving_window, bridge.lua_moving_window
                pipe.evalsha(acquire.sha, 1, name, now, item.amount, expiry, 1)
                pipe.evalsha(window.sha, 1, name, now - expiry, item.amount)
            try:
                replies = await pipe.execute()
            except NoScriptError:  # a fresh or restarted Redis: the library loads them
                return await self._hit_loading_scripts(redis, hits)
        return [
            Window.of(item, bool(acquired), _stats(item, found, now))
            for (item, _), acquired, found in zip(hits, replies[::2], replies[1::2], strict=True)
        ]

    async def _hit_loading_scripts(
        self, redis: aioredis.Redis, hits: tuple[Hit, ...]
    ) -> list[Window]:
        limiter = MovingWindowRateLimiter(self._storage(redis))
        windows = []
        for item, key in hits:
            allowed = await limiter.hit(item, key)
            windows.append(Window.of(item, allowed, await limiter.get_window_stats(item, key)))
        return windows

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
