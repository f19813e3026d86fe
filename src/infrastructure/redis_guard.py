"""Redis calls that can never hang a request: short timeouts, then a cool-off on failure."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from domain.errors import ServiceUnavailable
from domain.ports import Dependency

T = TypeVar("T")
logger = logging.getLogger(__name__)

CALL_TIMEOUT = 0.5  # seconds a Redis call may take before we give up on it
COOL_OFF = 30.0  # seconds to serve from the fallback before trying Redis again


def make_redis(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url,
        socket_timeout=CALL_TIMEOUT,
        socket_connect_timeout=CALL_TIMEOUT,
        decode_responses=True,
    )


class RedisGuard:
    """Runs a Redis call or, when Redis is slow or down, its in-process fallback.

    After a failure Redis is left alone for ``cool_off`` seconds, so an outage costs
    one short timeout, not one per request.
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
        try:
            async with asyncio.timeout(CALL_TIMEOUT * 2):
                return await call(self.client)
        except (RedisError, OSError, TimeoutError) as error:
            if self.available:
                logger.warning("Redis unavailable (%s); using in-process state", error)
            self._down_until = self._monotonic() + self._cool_off
            return await fallback()


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
