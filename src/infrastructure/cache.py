"""Adapters of the cache port: in this process, or in Redis shared by every process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from cachetools import TLRUCache
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from domain.errors import ServiceUnavailable
from domain.ports import Cache
from infrastructure.redis_guard import CALL_TIMEOUT, RedisGuard

PREFIX = "gatehouse:cache:"


class MemoryCache(Cache):
    """Bounded and per entry time-limited, least recently used out first.

    One per process: another process's changes reach it only by expiry, so run a
    single process with it, or give every process the same Redis.
    """

    def __init__(self, max_entries: int, *, timer: Callable[[], float] = time.monotonic) -> None:
        self._entries: TLRUCache[str, tuple[str, float]] = TLRUCache(
            maxsize=max_entries, ttu=_expiry, timer=timer
        )

    async def get(self, key: str) -> str | None:
        found = self._entries.get(key)
        return None if found is None else found[0]

    async def set(self, key: str, value: str, *, ttl: float) -> None:
        if ttl > 0:
            self._entries[key] = (value, ttl)

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        if ttl <= 0 or key in self._entries:
            return False
        self._entries[key] = (value, ttl)
        return True


def _expiry(_key: str, value: tuple[str, float], now: float) -> float:
    return now + value[1]


class RedisCache(Cache):
    """Shared by every process, so an invalidation is seen by all of them at once.

    When Redis fails, reads miss and writes are dropped (the guard logs it once), and
    the service keeps serving from the database. A dropped invalidation is not lost:
    the outbox relay delivers it again through ``write``, which goes to Redis whatever
    the guard thinks and says whether Redis acknowledged it.
    """

    def __init__(self, guard: RedisGuard, *, prefix: str = PREFIX) -> None:
        self._guard = guard
        self._prefix = prefix

    async def get(self, key: str) -> str | None:
        async def call(redis: aioredis.Redis) -> str | None:
            found = await redis.get(self._prefix + key)
            return found if isinstance(found, str) else None

        return await self._guard.run(call, _nothing)

    async def get_many(self, *keys: str) -> list[str | None]:
        async def call(redis: aioredis.Redis) -> list[str | None]:
            found = await redis.mget([self._prefix + key for key in keys])
            return [each if isinstance(each, str) else None for each in found]

        async def missed() -> list[str | None]:
            return [None] * len(keys)

        return await self._guard.run(call, missed)

    async def set(self, key: str, value: str, *, ttl: float) -> None:
        async def call(redis: aioredis.Redis) -> None:
            await redis.set(self._prefix + key, value, px=_ms(ttl))

        if ttl > 0:
            await self._guard.run(call, _nothing)

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        async def call(redis: aioredis.Redis) -> bool:
            return bool(await redis.set(self._prefix + key, value, px=_ms(ttl), nx=True))

        if ttl <= 0:
            return False
        return await self._guard.run(call, _refused)

    async def write(self, values: Mapping[str, str], *, ttl: float) -> None:
        """Every value in one round trip (a transaction), or ServiceUnavailable."""
        if not values or ttl <= 0:
            return
        try:
            async with asyncio.timeout(CALL_TIMEOUT * 2):
                async with self._guard.client.pipeline(transaction=True) as pipe:
                    for key, value in values.items():
                        pipe.set(self._prefix + key, value, px=_ms(ttl))
                    await pipe.execute()
        except (RedisError, OSError, TimeoutError) as error:
            raise ServiceUnavailable() from error


async def _nothing() -> None:
    return None


async def _refused() -> bool:
    return False


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
