"""Copies of the shared cache kept in this process, and the channel that says when
Redis's keys change: a warm page reads nothing from Redis.

Every write to the shared cache announces its key on a pub/sub channel in the same
round trip (infrastructure/cache.py), the relay's deliveries included; each process
listens and forgets its copies of the keys it hears. A copy lives no longer than
Redis keeps the key.

The rule when the channel cannot be trusted: copies are used only while the channel
is subscribed and has answered within ``SILENCE`` (a ping every ``HEARTBEAT``). When
its connection drops, or Redis stops answering (a paused server keeps the socket
open), every copy is forgotten at once and reads go to Redis (or, through the guard,
the database) until the channel is subscribed again; a fresh subscription forgets
everything once more, since what was said meanwhile was not heard.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from cachetools import TLRUCache
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from domain.ports import Cache
from infrastructure.cache import SEPARATOR, Fetched, RedisCache
from infrastructure.redis_guard import CALL_TIMEOUT

logger = logging.getLogger(__name__)

HEARTBEAT = 0.25  # seconds between pings on the channel when nothing else was heard
SILENCE = 1.0  # seconds without a word from Redis after which copies are not trusted
RESUBSCRIBE = 0.2  # seconds between attempts to subscribe again


def make_channel_redis(url: str) -> aioredis.Redis:
    """The channel's own client: a dropped connection is reported, never retried
    behind our back (a silent reconnect would lose what was said meanwhile)."""
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=CALL_TIMEOUT,
        socket_connect_timeout=CALL_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


class InvalidationChannel:
    """Listens to the channel of changed keys and calls ``forget`` with them, or
    ``forget_all`` whenever something may have been missed."""

    def __init__(
        self,
        client: aioredis.Redis,
        name: str,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._name = name
        self._monotonic = monotonic
        self._subscribed = False
        self._heard_at = float("-inf")
        self._task: asyncio.Task[None] | None = None
        self.forget: Callable[[list[str]], None] = lambda keys: None
        self.forget_all: Callable[[], None] = lambda: None

    @property
    def live(self) -> bool:
        """Subscribed, and Redis said something within SILENCE."""
        return self._subscribed and self._monotonic() - self._heard_at < SILENCE

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cache invalidations")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._lost()
        await self._client.aclose()

    async def _run(self) -> None:
        """Forever: subscribe and listen; on any failure forget everything and retry."""
        failing = False
        while True:
            try:
                await self._listen()
            except (RedisError, OSError, TimeoutError) as error:
                if not failing:
                    logger.warning("Cache invalidation channel lost (%r): reading through", error)
                failing = True
            self._lost()
            await asyncio.sleep(RESUBSCRIBE)

    async def _listen(self) -> None:
        pubsub = self._client.pubsub()
        try:
            async with asyncio.timeout(CALL_TIMEOUT * 2):
                await pubsub.subscribe(self._name)
            # Its confirmation is due within SILENCE (not live before it comes).
            self._heard_at = pinged = self._monotonic()
            while True:
                message = await pubsub.get_message(timeout=HEARTBEAT)
                now = self._monotonic()
                if message is not None:
                    self._heard(message, now)
                if now - self._heard_at >= SILENCE:
                    raise TimeoutError("Redis is silent on the invalidation channel")
                if now - pinged >= HEARTBEAT:
                    await pubsub.ping()
                    pinged = now
        finally:
            self._lost()
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped

    def _heard(self, message: dict[str, object], now: float) -> None:
        self._heard_at = now
        kind, data = message.get("type"), message.get("data")
        if kind == "subscribe":
            self.forget_all()
            if not self._subscribed:
                logger.info("Cache invalidation channel subscribed")
            self._subscribed = True
        elif kind == "message" and isinstance(data, str):
            self.forget(data.split(SEPARATOR))

    def _lost(self) -> None:
        self._subscribed = False
        self.forget_all()


@dataclass
class NearCacheCounts:
    """What the copies did: keys served from a copy (``hits``) or read from Redis
    (``misses``: every key of a read that was not wholly held here, reads while the
    channel is not live included), copies forgotten
    because their key changed (``invalidations``) and times every copy was forgotten
    because the channel could not be trusted (``flushes``)."""

    hits: int = 0
    misses: int = 0
    invalidations: int = 0
    flushes: int = 0


class NearCache(Cache):
    """The shared cache, read through copies in this process while ``channel`` is
    live. Writes go to the shared cache (which announces them) and forget the copy
    here at once."""

    def __init__(
        self,
        shared: RedisCache,
        channel: InvalidationChannel,
        *,
        max_entries: int,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._channel = channel
        self._copies: TLRUCache[str, Fetched] = TLRUCache(
            maxsize=max_entries, ttu=_expiry, timer=timer
        )
        # Bumped on every forgetting: a read begun before one keeps nothing it found.
        self._generation = 0
        self.counts = NearCacheCounts()
        channel.forget = self.forget
        channel.forget_all = self.forget_all

    def forget(self, keys: list[str]) -> None:
        self._generation += 1
        for key in keys:
            if self._copies.pop(key, None) is not None:
                self.counts.invalidations += 1

    def forget_all(self) -> None:
        self._generation += 1
        self._copies.clear()
        self.counts.flushes += 1

    async def get(self, key: str) -> str | None:
        return (await self.get_many(key))[0]

    async def get_many(self, *keys: str) -> list[str | None]:
        if not self._trusted():
            self.counts.misses += len(keys)
            return await self._shared.get_many(*keys)
        found = [self._copies.get(key) for key in keys]
        if all(each is not None for each in found):
            self.counts.hits += len(keys)
            return [each.value if each is not None else None for each in found]
        self.counts.misses += len(keys)
        generation = self._generation
        fetched = await self._shared.fetch(*keys)
        if generation == self._generation and self._channel.live:
            for key, each in zip(keys, fetched, strict=True):
                if each is not None:
                    self._copies[key] = each
        return [each.value if each is not None else None for each in fetched]

    async def set(self, key: str, value: str, *, ttl: float) -> None:
        async with self._changing([key]):
            await self._shared.set(key, value, ttl=ttl)

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        async with self._changing([key]):
            return await self._shared.add(key, value, ttl=ttl)

    async def write(self, values: Mapping[str, str], *, ttl: float) -> None:
        async with self._changing(list(values)):
            await self._shared.write(values, ttl=ttl)

    @asynccontextmanager
    async def _changing(self, keys: list[str]) -> AsyncIterator[None]:
        """Forget ``keys`` before the write and again after it (or its failure): a read
        of this process that overlapped the write keeps nothing it found."""
        self.forget(keys)
        try:
            yield
        finally:
            self.forget(keys)

    def _trusted(self) -> bool:
        """The channel is live; when it is not, no copy survives the look."""
        if self._channel.live:
            return True
        if self._copies:
            self.forget_all()
        return False


def _expiry(_key: str, value: Fetched, now: float) -> float:
    return now + value.ttl
