"""Adapters of the cache port: in this process, or in Redis shared by every process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from cachetools import TLRUCache
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from domain.errors import ServiceUnavailable
from domain.ports import Cache
from infrastructure.redis_guard import CALL_TIMEOUT, RedisGuard

PREFIX = "gatehouse:cache:"
CHANGED = "changed"  # the channel, after the prefix and the database number
SEPARATOR = "\n"  # between the keys of one message: no key holds one

# Set the key and, only when it was set, say so on the channel: one round trip, and a
# copy added where one already was (the usual case) evicts nothing anywhere.
SET_AND_ANNOUNCE = """
local done
if ARGV[3] == "nx" then
  done = redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX")
else
  done = redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
end
if done then
  redis.call("PUBLISH", ARGV[4], ARGV[5])
  return 1
end
return 0
"""


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


def channel_of(client: aioredis.Redis, prefix: str = PREFIX) -> str:
    """The channel announcing changed keys: one per database, as the keys are (a
    channel is seen by every database of the server)."""
    return f"{prefix}{CHANGED}:{client.connection_pool.connection_kwargs.get('db', 0)}"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A value read together with how long Redis will still keep it."""

    value: str
    ttl: float


class RedisCache(Cache):
    """Shared by every process, so an invalidation is seen by all of them at once.

    Every write also announces its key on the channel (``channel_of``), in the same
    round trip and only once it is applied, so copies other processes keep of it
    (infrastructure/near_cache.py) are forgotten: the relay's deliveries too.

    When Redis fails, reads miss and writes are dropped (the guard logs it once), and
    the service keeps serving from the database. A dropped invalidation is not lost:
    the outbox relay delivers it again through ``write``, which goes to Redis whatever
    the guard thinks and says whether Redis acknowledged it.
    """

    def __init__(self, guard: RedisGuard, *, prefix: str = PREFIX) -> None:
        self._guard = guard
        self._prefix = prefix
        self.channel = channel_of(guard.client, prefix)
        self._set_and_announce = guard.client.register_script(SET_AND_ANNOUNCE)

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

    async def fetch(self, *keys: str) -> list[Fetched | None]:
        """The values of ``keys`` with their remaining lifetimes, in one round trip (a
        transaction, so each lifetime is its value's); None for a miss, and for every
        key when Redis does not answer."""

        async def call(redis: aioredis.Redis) -> list[Fetched | None]:
            names = [self._prefix + key for key in keys]
            async with redis.pipeline(transaction=True) as pipe:
                pipe.mget(names)
                for name in names:
                    pipe.pttl(name)
                values, *ttls = await pipe.execute()
            return [_fetched(value, ms) for value, ms in zip(values, ttls, strict=True)]

        async def missed() -> list[Fetched | None]:
            return [None] * len(keys)

        return await self._guard.run(call, missed)

    async def set(self, key: str, value: str, *, ttl: float) -> None:
        if ttl > 0:
            await self._guard.run(self._setting(key, value, ttl, only_new=False), _refused)

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        if ttl <= 0:
            return False
        return await self._guard.run(self._setting(key, value, ttl, only_new=True), _refused)

    def _setting(
        self, key: str, value: str, ttl: float, *, only_new: bool
    ) -> Callable[[aioredis.Redis], Awaitable[bool]]:
        async def call(redis: aioredis.Redis) -> bool:
            args: list[str | int] = [value, _ms(ttl), "nx" if only_new else "", self.channel, key]
            return bool(await self._set_and_announce(keys=[self._prefix + key], args=args))

        return call

    async def write(self, values: Mapping[str, str], *, ttl: float) -> None:
        """Every value in one round trip (a transaction), or ServiceUnavailable."""
        if not values or ttl <= 0:
            return
        try:
            async with asyncio.timeout(CALL_TIMEOUT * 2):
                async with self._guard.client.pipeline(transaction=True) as pipe:
                    for key, value in values.items():
                        pipe.set(self._prefix + key, value, px=_ms(ttl))
                    pipe.publish(self.channel, SEPARATOR.join(values))
                    await pipe.execute()
        except (RedisError, OSError, TimeoutError) as error:
            raise ServiceUnavailable() from error


def _fetched(value: object, ms: object) -> Fetched | None:
    """A live value; a key without expiry (none is written so) is not worth keeping."""
    if not isinstance(value, str) or not isinstance(ms, int) or ms <= 0:
        return None
    return Fetched(value, ms / 1000)


async def _nothing() -> None:
    return None


async def _refused() -> bool:
    return False


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
