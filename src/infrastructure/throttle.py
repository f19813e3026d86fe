"""Failed sign-ins counted per account name: in this process, or shared through Redis."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import timedelta

from redis import asyncio as aioredis

from domain.ports import LoginThrottle
from infrastructure.redis_guard import RedisGuard

PRUNE_EVERY = 1000


class MemoryLoginThrottle(LoginThrottle):
    """A fixed window per key, counted in a dictionary that prunes itself."""

    def __init__(
        self,
        *,
        max_failures: int,
        window: timedelta,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window.total_seconds()
        self._monotonic = monotonic
        self._windows: dict[str, tuple[int, float]] = {}
        self._writes = 0

    async def retry_after(self, key: str) -> int | None:
        count, ends = self._windows.get(key, (0, 0.0))
        remaining = ends - self._monotonic()
        if count >= self._max and remaining > 0:
            return math.ceil(remaining)
        return None

    async def record_failure(self, key: str) -> None:
        now = self._monotonic()
        count, ends = self._windows.get(key, (0, 0.0))
        if ends <= now:
            count, ends = 0, now + self._window
        self._windows[key] = (count + 1, ends)
        self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            self._windows = {k: v for k, v in self._windows.items() if v[1] > now}

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)


class RedisLoginThrottle(LoginThrottle):
    """The same window in Redis (INCR, with an expiry set by the first failure), shared
    by every worker and host; falls back to this process's counts when Redis is down."""

    PREFIX = "gatehouse:throttle:"

    def __init__(
        self,
        guard: RedisGuard,
        fallback: MemoryLoginThrottle,
        *,
        max_failures: int,
        window: timedelta,
    ) -> None:
        self._guard = guard
        self._fallback = fallback
        self._max = max_failures
        self._window = int(window.total_seconds())

    async def retry_after(self, key: str) -> int | None:
        async def call(redis: aioredis.Redis) -> int | None:
            count = await redis.get(self.PREFIX + key)
            if count is None or int(count) < self._max:
                return None
            ttl = await redis.ttl(self.PREFIX + key)
            return max(1, int(ttl)) if ttl and ttl > 0 else None

        return await self._guard.run(call, lambda: self._fallback.retry_after(key))

    async def record_failure(self, key: str) -> None:
        async def call(redis: aioredis.Redis) -> None:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.incr(self.PREFIX + key)
                pipe.expire(self.PREFIX + key, self._window, nx=True)
                await pipe.execute()

        await self._guard.run(call, lambda: self._fallback.record_failure(key))

    async def reset(self, key: str) -> None:
        async def call(redis: aioredis.Redis) -> None:
            await redis.delete(self.PREFIX + key)

        await self._guard.run(call, lambda: self._fallback.reset(key))
