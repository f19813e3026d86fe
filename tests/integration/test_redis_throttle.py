"""The Redis-backed counters and the sign-in throttle on them, against a real Redis; and
their fallback to this process's counts when Redis is down, stopped or hung."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import TypeVar

import pytest
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis import asyncio as aioredis

from domain.ports import RateLimit
from infrastructure.rate_limits import MemoryCounters, RedisCounters, item_for
from infrastructure.redis_guard import RedisGuard, make_redis
from infrastructure.throttle import WindowLoginThrottle
from tests.integration.conftest import REDIS_URL
from tests.redis_server import RedisServer

T = TypeVar("T")

LIMIT = 3
WINDOW = timedelta(minutes=1)
ITEM = RateLimit(LIMIT, WINDOW)
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


def a_throttle(guard: RedisGuard) -> tuple[WindowLoginThrottle, MemoryCounters]:
    """A throttle counting in Redis and the in-process counters it falls back to."""
    fallback = MemoryCounters()
    counters = RedisCounters(guard, fallback)
    return WindowLoginThrottle(counters, limit=LIMIT, window=WINDOW), fallback


def stored_key(key: str) -> str:
    return f"{RedisCounters.PREFIX}:{item_for(ITEM).key_for(key)}"


async def quickly(call: Awaitable[T]) -> T:
    """The call's result; fails the test if it took two seconds or more."""
    started = time.monotonic()
    result = await call
    assert time.monotonic() - started < 2.0
    return result


@pytest.fixture
async def key(redis_client: aioredis.Redis) -> AsyncIterator[str]:
    """A key no other test uses; what the counters wrote under it is deleted."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    await redis_client.delete(stored_key(name))


@pytest.fixture
async def dead_client() -> AsyncIterator[aioredis.Redis]:
    """A client of a port where nothing listens."""
    client = make_redis(CLOSED_PORT_URL)
    yield client
    await client.aclose()


async def test_the_throttle_refuses_a_key_after_limit_attempts_for_about_the_window(
    redis_client: aioredis.Redis, key: str
) -> None:
    throttle, fallback = a_throttle(RedisGuard(redis_client))

    taken = [await throttle.reserve(key) for _ in range(LIMIT)]
    wait = await throttle.reserve(key)

    assert taken == [None] * LIMIT
    assert wait is not None
    assert WINDOW.total_seconds() - 5 <= wait <= WINDOW.total_seconds()
    assert await redis_client.llen(stored_key(key)) == LIMIT
    assert 0 < await redis_client.ttl(stored_key(key)) <= WINDOW.total_seconds()
    assert item_for(ITEM).key_for(key) not in fallback.storage.events  # counted in Redis, not here


async def test_reservations_at_once_from_two_workers_let_exactly_the_limit_through(
    redis_client: aioredis.Redis, key: str
) -> None:
    other_client = make_redis(REDIS_URL)
    try:
        first, _ = a_throttle(RedisGuard(redis_client))
        second, _ = a_throttle(RedisGuard(other_client))
        # Open both pools first: this test is about counting, and twenty connects at once
        # on a loaded machine can outlast the connect timeout, which the guard rightly
        # takes for Redis being gone (test_redis_recovery.py covers that) and falls back.
        pings = (client.ping() for client in (redis_client, other_client) for _ in range(20))
        await asyncio.gather(*pings)

        waits = await asyncio.gather(
            *(worker.reserve(key) for _ in range(20) for worker in (first, second))
        )

        assert waits.count(None) == LIMIT
        assert await first.reserve(key) is not None
        assert await second.reserve(key) is not None
    finally:
        await other_client.aclose()


async def test_reset_forgets_the_attempts_and_removes_the_key(
    redis_client: aioredis.Redis, key: str
) -> None:
    throttle, _ = a_throttle(RedisGuard(redis_client))
    for _ in range(LIMIT):
        await throttle.reserve(key)

    await throttle.reset(key)

    assert await redis_client.exists(stored_key(key)) == 0
    assert await throttle.reserve(key) is None


async def test_a_released_hit_is_given_back(redis_client: aioredis.Redis, key: str) -> None:
    counters = RedisCounters(RedisGuard(redis_client), MemoryCounters())
    for _ in range(LIMIT):
        await counters.hit((ITEM, key))

    await counters.release(ITEM, key)

    (window,) = await counters.hit((ITEM, key))
    assert window.allowed
    assert window.remaining == 0


async def test_a_hit_reports_the_windows_state_in_the_same_round_trip(
    redis_client: aioredis.Redis, key: str
) -> None:
    counters = RedisCounters(RedisGuard(redis_client), MemoryCounters())
    other = RateLimit(10, WINDOW)
    try:
        first, second = await counters.hit((ITEM, key), (other, key))
        assert (first.allowed, first.limit, first.remaining) == (True, LIMIT, LIMIT - 1)
        assert 55 <= first.reset_in <= 60
        assert (second.limit, second.remaining) == (10, 9)
    finally:
        await redis_client.delete(f"{RedisCounters.PREFIX}:{item_for(other).key_for(key)}")


async def test_with_redis_down_every_call_falls_back_quickly_and_still_counts(
    dead_client: aioredis.Redis,
) -> None:
    # No cool-off: every call tries Redis first, so each one's own fallback path runs.
    throttle, fallback = a_throttle(RedisGuard(dead_client, cool_off=0.0))
    key = f"test-{uuid.uuid4().hex}"

    waits = [await quickly(throttle.reserve(key)) for _ in range(LIMIT + 1)]

    assert waits[:LIMIT] == [None] * LIMIT
    assert waits[-1] is not None
    assert 0 < waits[-1] <= WINDOW.total_seconds()
    assert not (await fallback.hit((ITEM, key)))[0].allowed
    await quickly(throttle.reset(key))
    assert await quickly(throttle.reserve(key)) is None


async def test_a_redis_that_never_answers_costs_one_short_timeout() -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = make_redis(f"redis://127.0.0.1:{port}/0")
    try:
        throttle, _ = a_throttle(RedisGuard(client))
        key = f"test-{uuid.uuid4().hex}"
        for _ in range(LIMIT):
            assert await quickly(throttle.reserve(key)) is None
        assert await quickly(throttle.reserve(key)) is not None
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


async def test_the_guard_trips_once_then_skips_redis_until_the_cool_off_has_passed(
    dead_client: aioredis.Redis, redis_client: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [1000.0]
    guard = RedisGuard(dead_client, cool_off=30.0, monotonic=lambda: clock[0])
    attempts: list[str] = []

    async def ping(redis: aioredis.Redis) -> str:
        attempts.append("redis")
        await redis.ping()
        return "redis"

    async def fallback() -> str:
        return "fallback"

    with caplog.at_level(logging.WARNING, logger="infrastructure.redis_guard"):
        assert await guard.run(ping, fallback) == "fallback"
        guard.client = redis_client  # Redis is back, but the guard does not look yet
        clock[0] += 29.9
        assert await guard.run(ping, fallback) == "fallback"
        assert not guard.available
        clock[0] += 0.2
        assert guard.available
        assert await guard.run(ping, fallback) == "redis"

    assert attempts == ["redis", "redis"]
    warnings = [record for record in caplog.records if record.name == "infrastructure.redis_guard"]
    assert len(warnings) == 1


async def test_a_fresh_redis_without_the_scripts_still_counts_atomically(
    own_redis: RedisServer,
) -> None:
    client = make_redis(own_redis.url)
    try:
        throttle, fallback = a_throttle(RedisGuard(client))
        waits = await asyncio.gather(*(throttle.reserve("ann") for _ in range(20)))
        assert waits.count(None) == LIMIT
        assert await client.llen(stored_key("ann")) == LIMIT
        assert fallback.storage.events == {}
    finally:
        await client.aclose()


async def test_a_redis_holding_only_one_of_the_scripts_counts_each_hit_once(
    own_redis: RedisServer,
) -> None:
    """The place-taking script already loaded (by another process, say) and the
    window-reading one not: the place taken in the pipeline is not taken again."""
    client = make_redis(own_redis.url)
    try:
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=RedisCounters.PREFIX,
            connection_pool=client.connection_pool,  # type: ignore[arg-type]
        )
        await MovingWindowRateLimiter(storage).hit(item_for(ITEM), "someone-else")
        throttle, fallback = a_throttle(RedisGuard(client))
        assert await throttle.reserve("ann") is None
        assert await client.llen(stored_key("ann")) == 1
        assert fallback.storage.events == {}
    finally:
        await client.aclose()


async def test_a_stopped_redis_falls_back_to_this_processs_counts_and_back_again(
    own_redis: RedisServer,
) -> None:
    client = make_redis(own_redis.url)
    try:
        throttle, fallback = a_throttle(RedisGuard(client, cool_off=0.0))
        assert await throttle.reserve("ann") is None
        own_redis.stop()

        waits = [await quickly(throttle.reserve("bob")) for _ in range(LIMIT + 1)]
        assert waits.count(None) == LIMIT
        assert not (await fallback.hit((ITEM, "bob")))[0].allowed

        own_redis.start()  # empty: nothing saved
        assert await quickly(throttle.reserve("bob")) is None
        assert await client.llen(stored_key("bob")) == 1
    finally:
        await client.aclose()


async def test_a_paused_redis_costs_a_short_timeout_then_counts_here(
    own_redis: RedisServer,
) -> None:
    client = make_redis(own_redis.url)
    try:
        throttle, _ = a_throttle(RedisGuard(client))
        assert await throttle.reserve("ann") is None
        own_redis.pause()

        waits = await quickly(asyncio.gather(*(throttle.reserve("bob") for _ in range(10))))
        assert waits.count(None) == LIMIT
        own_redis.resume()
    finally:
        own_redis.resume()
        await client.aclose()
