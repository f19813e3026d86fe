"""The Redis-backed sign-in throttle and rate-limit store against a real Redis, and their
fallback to this process's state when Redis is down or hangs."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from redis import asyncio as aioredis

from infrastructure.rate_limits import GuardedRedisStore, PruningMemoryStore
from infrastructure.redis_guard import RedisGuard, make_redis
from infrastructure.throttle import MemoryLoginThrottle, RedisLoginThrottle
from tests.integration.conftest import REDIS_URL

T = TypeVar("T")

MAX_FAILURES = 3
WINDOW = timedelta(minutes=1)
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


def a_throttle(guard: RedisGuard) -> tuple[RedisLoginThrottle, MemoryLoginThrottle]:
    """A Redis throttle and the in-process fallback it was given."""
    fallback = MemoryLoginThrottle(max_failures=MAX_FAILURES, window=WINDOW)
    throttle = RedisLoginThrottle(guard, fallback, max_failures=MAX_FAILURES, window=WINDOW)
    return throttle, fallback


async def fail(throttle: RedisLoginThrottle, key: str, times: int = MAX_FAILURES) -> None:
    for _ in range(times):
        await throttle.record_failure(key)


async def quickly(call: Awaitable[T]) -> T:
    """The call's result; fails the test if it took a second or more."""
    started = time.monotonic()
    result = await call
    assert time.monotonic() - started < 1.0
    return result


@pytest.fixture
async def key(redis_client: aioredis.Redis) -> AsyncIterator[str]:
    """A key no other test uses; whatever the throttle or store wrote under it is deleted."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    await redis_client.delete(RedisLoginThrottle.PREFIX + name, GuardedRedisStore.PREFIX + name)


@pytest.fixture
async def dead_client() -> AsyncIterator[aioredis.Redis]:
    """A client of a port where nothing listens."""
    client = make_redis(CLOSED_PORT_URL)
    yield client
    await client.aclose()


async def test_the_throttle_locks_a_key_after_max_failures_for_about_the_window(
    redis_client: aioredis.Redis, key: str
) -> None:
    throttle, fallback = a_throttle(RedisGuard(redis_client))

    await fail(throttle, key, MAX_FAILURES - 1)
    assert await throttle.retry_after(key) is None
    await throttle.record_failure(key)

    wait = await throttle.retry_after(key)
    assert wait is not None
    assert WINDOW.total_seconds() - 5 <= wait <= WINDOW.total_seconds()
    assert await redis_client.get(RedisLoginThrottle.PREFIX + key) == str(MAX_FAILURES)
    assert await fallback.retry_after(key) is None  # counted in Redis, not here


async def test_the_throttles_redis_key_expires_within_the_window(
    redis_client: aioredis.Redis, key: str
) -> None:
    throttle, _ = a_throttle(RedisGuard(redis_client))

    await throttle.record_failure(key)

    ttl = await redis_client.ttl(RedisLoginThrottle.PREFIX + key)
    assert 0 < ttl <= WINDOW.total_seconds()


async def test_later_failures_do_not_push_the_windows_end_back(
    redis_client: aioredis.Redis, key: str
) -> None:
    throttle, _ = a_throttle(RedisGuard(redis_client))
    await throttle.record_failure(key)
    await redis_client.expire(RedisLoginThrottle.PREFIX + key, 5)

    await fail(throttle, key, MAX_FAILURES - 1)

    assert 0 < await redis_client.ttl(RedisLoginThrottle.PREFIX + key) <= 5
    assert await throttle.retry_after(key) in {1, 2, 3, 4, 5}


async def test_reset_unlocks_the_key_and_removes_it_from_redis(
    redis_client: aioredis.Redis, key: str
) -> None:
    throttle, _ = a_throttle(RedisGuard(redis_client))
    await fail(throttle, key)
    assert await throttle.retry_after(key) is not None

    await throttle.reset(key)

    assert await throttle.retry_after(key) is None
    assert await redis_client.exists(RedisLoginThrottle.PREFIX + key) == 0


async def test_two_workers_with_their_own_clients_share_the_count(
    redis_client: aioredis.Redis, key: str
) -> None:
    other_client = make_redis(REDIS_URL)
    try:
        first, _ = a_throttle(RedisGuard(redis_client))
        second, _ = a_throttle(RedisGuard(other_client))

        await fail(first, key, MAX_FAILURES - 1)
        assert await second.retry_after(key) is None
        await second.record_failure(key)

        assert await first.retry_after(key) is not None
        assert await second.retry_after(key) is not None
    finally:
        await other_client.aclose()


async def test_the_store_writes_a_key_with_an_expiry_and_reads_the_time_back_in_utc(
    redis_client: aioredis.Redis, key: str
) -> None:
    store = GuardedRedisStore(RedisGuard(redis_client), PruningMemoryStore())
    tat = datetime.now(UTC) + timedelta(seconds=30)
    default = datetime(2000, 1, 1, tzinfo=UTC)

    await store.set(key, tat)

    pttl = await redis_client.pttl(GuardedRedisStore.PREFIX + key)
    assert 0 < pttl <= 30_000
    read = await store.get(key, default)
    assert read.tzinfo == UTC
    assert abs(read - tat) <= timedelta(microseconds=1)


async def test_the_store_gives_the_default_for_an_unknown_key(
    redis_client: aioredis.Redis, key: str
) -> None:
    store = GuardedRedisStore(RedisGuard(redis_client), PruningMemoryStore())
    default = datetime(2000, 1, 1, tzinfo=UTC)

    assert await store.get(key, default) == default


async def test_with_redis_down_every_throttle_call_falls_back_quickly_and_still_counts(
    dead_client: aioredis.Redis,
) -> None:
    # No cool-off: every call tries Redis first, so each one's own fallback path runs.
    throttle, fallback = a_throttle(RedisGuard(dead_client, cool_off=0.0))
    key = f"test-{uuid.uuid4().hex}"

    for _ in range(MAX_FAILURES - 1):
        await quickly(throttle.record_failure(key))
        assert await quickly(throttle.retry_after(key)) is None
    await quickly(throttle.record_failure(key))

    wait = await quickly(throttle.retry_after(key))
    assert wait is not None
    assert 0 < wait <= WINDOW.total_seconds()
    assert await fallback.retry_after(key) == wait
    await quickly(throttle.reset(key))
    assert await quickly(throttle.retry_after(key)) is None


async def test_with_redis_down_every_store_call_falls_back_quickly(
    dead_client: aioredis.Redis,
) -> None:
    fallback = PruningMemoryStore()
    store = GuardedRedisStore(RedisGuard(dead_client, cool_off=0.0), fallback)
    tat = datetime.now(UTC) + timedelta(seconds=30)
    default = datetime(2000, 1, 1, tzinfo=UTC)

    assert await quickly(store.get("k", default)) == default
    await quickly(store.set("k", tat))

    assert await quickly(store.get("k", default)) == tat
    assert await fallback.get("k", default) == tat


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
        for _ in range(MAX_FAILURES):
            await quickly(throttle.record_failure(key))
        assert await quickly(throttle.retry_after(key)) is not None
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
