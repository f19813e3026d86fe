"""Redis calls that can never hang a request: short timeouts, then a cool-off on failure.

A Redis that restarts leaves every pooled connection dead. The client retries a call
once on a fresh connection when its connection turns out dead (and pings one idle for
a while before using it), the guard empties the pool when it trips, and a background
ping ends the cool-off as soon as Redis answers: the service is back on Redis about a
second after it returns, instead of one stale connection after another each
restarting the cool-off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from domain.errors import ServiceUnavailable
from domain.ports import Dependency

T = TypeVar("T")
logger = logging.getLogger(__name__)

CALL_TIMEOUT = 0.5  # seconds a Redis call may take before we give up on it
COOL_OFF = 30.0  # seconds to serve from the fallback before trying Redis again
HEALTH_CHECK = 5  # seconds a pooled connection may idle before it is pinged on use
PROBE_EVERY = 1.0  # seconds between background pings while cooling off
MAX_CONNECTIONS = 100  # per process; more calls at once wait for one to be free
# The round trips of the request (or task) that set it, counted by every guard: see
# count_round_trips.
_ROUND_TRIPS: ContextVar[list[int] | None] = ContextVar("redis_round_trips", default=None)


def count_round_trips() -> list[int]:
    """Start counting the current task's round trips: the one-element list returned
    holds how many calls it has sent to Redis since (tasks it starts count into it too)."""
    counted = [0]
    _ROUND_TRIPS.set(counted)
    return counted


def make_redis(url: str) -> aioredis.Redis:
    """A client whose dead connection costs one quick retry on a new one (not ten
    with backoff, which outlast the guard's timeout); a timeout is not retried.

    Its pool holds at most ``MAX_CONNECTIONS`` and makes a call wait (up to the call
    timeout) for a free one: redis-py's default pool refuses at once when full, which
    the guard took for Redis being down, so a burst of requests moved every limit to
    in-process counts.
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=CALL_TIMEOUT,
        socket_timeout=CALL_TIMEOUT,
        socket_connect_timeout=CALL_TIMEOUT,
        decode_responses=True,
        health_check_interval=HEALTH_CHECK,
        retry=Retry(
            ExponentialWithJitterBackoff(base=0.01, cap=0.05),
            retries=1,
            supported_errors=(RedisConnectionError,),
        ),
        retry_on_error=[RedisConnectionError],
    )
    return aioredis.Redis.from_pool(pool)


class RedisGuard:
    """Runs a Redis call or, when Redis is slow or down, its in-process fallback.

    After a failure Redis is left alone for ``cool_off`` seconds, so an outage costs
    one short timeout, not one per request. Only a call begun after the guard last
    tripped can trip it again: the calls already in flight when Redis went away fail
    too, and must not each push the next attempt back. While cooling off, a
    background ping once a second ends the cool-off as soon as Redis answers again, so
    no request pays for finding it back.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        cool_off: float = COOL_OFF,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._cool_off = cool_off
        self._monotonic = monotonic
        self._down_until = 0.0
        self._tripped_at = float("-inf")
        self._probe: asyncio.Task[None] | None = None
        self.round_trips = 0  # calls sent to Redis (not those served by the fallback)

    @property
    def available(self) -> bool:
        return self._monotonic() >= self._down_until

    async def run(
        self,
        call: Callable[[aioredis.Redis], Awaitable[T]],
        fallback: Callable[[], Awaitable[T]],
    ) -> T:
        if not self.available:
            return await fallback()
        started = self._monotonic()
        self.round_trips += 1
        if (counted := _ROUND_TRIPS.get()) is not None:
            counted[0] += 1
        try:
            async with asyncio.timeout(CALL_TIMEOUT * 2):
                return await call(self.client)
        except (RedisError, OSError, TimeoutError) as error:
            if started > self._tripped_at:
                await self._trip(error)
            return await fallback()

    async def _trip(self, error: BaseException) -> None:
        logger.warning("Redis unavailable (%s); using in-process state", error)
        self._tripped_at = self._monotonic()
        self._down_until = self._tripped_at + self._cool_off
        await self._empty_pool()
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        """Ping while cooling off (also through a trip that comes meanwhile): the first
        answer ends the cool-off."""
        while True:
            await asyncio.sleep(PROBE_EVERY)
            if self.available:
                return
            try:
                async with asyncio.timeout(CALL_TIMEOUT * 2):
                    await self.client.ping()
            except (RedisError, OSError, TimeoutError):
                continue
            self._down_until = self._monotonic()
            logger.info("Redis answers again")
            return

    async def close(self) -> None:
        """Stop the background ping, if any."""
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()
            await asyncio.gather(probe, return_exceptions=True)

    async def _empty_pool(self) -> None:
        """Close the idle pooled connections: after an outage they are all dead."""
        try:
            async with asyncio.timeout(CALL_TIMEOUT):
                await self.client.connection_pool.disconnect(inuse_connections=False)
        except (RedisError, OSError, TimeoutError) as error:
            logger.debug("closing pooled Redis connections failed: %s", error)


class RedisDependency(Dependency):
    """Redis for the readiness probe: a PING within the call timeout."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def check(self) -> None:
        try:
            async with asyncio.timeout(CALL_TIMEOUT * 2):
                await self._client.ping()
        except (RedisError, OSError, TimeoutError) as error:
            raise ServiceUnavailable() from error
