"""Stores for quart-rate-limiter: in this process, or shared through Redis with expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from quart_rate_limiter.store import RateLimiterStoreABC
from redis import asyncio as aioredis

from infrastructure.redis_guard import RedisGuard

PRUNE_EVERY = 1000


class PruningMemoryStore(RateLimiterStoreABC):
    """The library's in-memory store forgets nothing; this one drops times that passed."""

    def __init__(self) -> None:
        self._tats: dict[str, datetime] = {}
        self._writes = 0

    async def before_serving(self) -> None:
        pass

    async def after_serving(self) -> None:
        pass

    async def get(self, key: str, default: datetime) -> datetime:
        return self._tats.get(key, default)

    async def set(self, key: str, tat: datetime) -> None:
        self._tats[key] = tat
        self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            now = datetime.now(UTC)
            self._tats = {k: v for k, v in self._tats.items() if v > now}


class GuardedRedisStore(RateLimiterStoreABC):
    """Keys expire when their time has passed (the library's RedisStore keeps them
    forever); Redis being down falls back to this process's store."""

    PREFIX = "gatehouse:rate:"

    def __init__(self, guard: RedisGuard, fallback: PruningMemoryStore) -> None:
        self._guard = guard
        self._fallback = fallback

    async def before_serving(self) -> None:
        pass

    async def after_serving(self) -> None:
        pass

    async def get(self, key: str, default: datetime) -> datetime:
        async def call(redis: aioredis.Redis) -> datetime:
            stored = await redis.get(self.PREFIX + key)
            return default if stored is None else datetime.fromtimestamp(float(stored), UTC)

        return await self._guard.run(call, lambda: self._fallback.get(key, default))

    async def set(self, key: str, tat: datetime) -> None:
        async def call(redis: aioredis.Redis) -> None:
            expires_ms = max(
                int(tat.timestamp() * 1000), int(datetime.now(UTC).timestamp() * 1000) + 1
            )
            await redis.set(self.PREFIX + key, tat.timestamp(), pxat=expires_ms)

        await self._guard.run(call, lambda: self._fallback.set(key, tat))


class SwappableStore(RateLimiterStoreABC):
    """The store the rate limiter is given when the app is made; the real one (which may
    need a Redis client) is swapped in when serving starts."""

    def __init__(self, store: RateLimiterStoreABC) -> None:
        self.store = store

    async def before_serving(self) -> None:
        pass

    async def after_serving(self) -> None:
        pass

    async def get(self, key: str, default: datetime) -> datetime:
        return await self.store.get(key, default)

    async def set(self, key: str, tat: datetime) -> None:
        await self.store.set(key, tat)
