"""The cache adapters: the same contract in this process and in a real Redis, and the
Redis one through an outage (a proxy in front of the real Redis is cut and restored)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from urllib.parse import urlsplit

import pytest
from redis import asyncio as aioredis

from domain.errors import ServiceUnavailable
from domain.ports import Cache
from infrastructure.cache import MemoryCache, RedisCache
from infrastructure.redis_guard import RedisGuard, make_redis
from tests.integration.conftest import REDIS_URL


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def prefix() -> str:
    return f"test-cache-{uuid.uuid4().hex}:"


@pytest.fixture
async def redis_cache(redis_client: aioredis.Redis, prefix: str) -> AsyncIterator[Cache]:
    yield RedisCache(RedisGuard(redis_client), prefix=prefix)
    keys = [key async for key in redis_client.scan_iter(match=prefix + "*")]
    if keys:
        await redis_client.delete(*keys)


@pytest.fixture
def memory_cache() -> Cache:
    return MemoryCache(100)


@pytest.fixture(params=["memory_cache", "redis_cache"])
def cache(request: pytest.FixtureRequest) -> Cache:
    """Each contract test runs on both adapters."""
    found: Cache = request.getfixturevalue(request.param)
    return found


async def test_what_is_set_is_got_until_replaced(cache: Cache) -> None:
    assert await cache.get("a") is None
    await cache.set("a", "one", ttl=60)
    assert await cache.get("a") == "one"
    await cache.set("a", "two", ttl=60)
    assert await cache.get("a") == "two"


async def test_get_many_answers_in_the_order_asked_with_none_for_a_miss(cache: Cache) -> None:
    await cache.set("a", "one", ttl=60)
    await cache.set("c", "three", ttl=60)
    assert await cache.get_many("c", "b", "a") == ["three", None, "one"]


async def test_add_keeps_a_value_only_where_there_is_none(cache: Cache) -> None:
    assert await cache.add("a", "first", ttl=60) is True
    assert await cache.add("a", "second", ttl=60) is False
    assert await cache.get("a") == "first"


async def test_values_are_text_kept_as_given(cache: Cache) -> None:
    text = '{"name": "Zoë", "note": "tab\\t and ünïcode ✓"}'
    await cache.set("json", text, ttl=60)
    assert await cache.get("json") == text


async def test_a_zero_ttl_keeps_nothing(cache: Cache) -> None:
    await cache.set("a", "one", ttl=0)
    assert await cache.add("b", "two", ttl=0) is False
    assert (await cache.get("a"), await cache.get("b")) == (None, None)


async def test_entries_expire_after_their_own_ttl(cache: Cache) -> None:
    await cache.set("short", "s", ttl=0.05)
    await cache.set("long", "l", ttl=60)
    await asyncio.sleep(0.2)
    assert await cache.get("short") is None
    assert await cache.get("long") == "l"
    assert await cache.add("short", "again", ttl=60) is True


async def test_the_memory_cache_expires_by_its_clock() -> None:
    ticker = Ticker()
    cache = MemoryCache(10, timer=ticker)
    await cache.set("a", "one", ttl=30)
    ticker.now = 29.9
    assert await cache.get("a") == "one"
    ticker.now = 30.0
    assert await cache.get("a") is None


async def test_the_memory_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache = MemoryCache(3)
    for key in "abc":
        await cache.set(key, key, ttl=60)
    assert await cache.get("a") == "a"  # now more recently used than b
    await cache.set("d", "d", ttl=60)
    assert [await cache.get(key) for key in "abcd"] == ["a", None, "c", "d"]


async def test_the_redis_cache_is_shared_by_every_process(
    redis_client: aioredis.Redis, prefix: str
) -> None:
    """Two caches on two connections, as two processes would have."""
    other_client = make_redis(REDIS_URL)
    try:
        here = RedisCache(RedisGuard(redis_client), prefix=prefix)
        there = RedisCache(RedisGuard(other_client), prefix=prefix)
        await here.set("session", "alice", ttl=60)
        assert await there.get("session") == "alice"
        await there.set("session", "-", ttl=5)
        assert await here.get("session") == "-"
        assert await redis_client.pttl(prefix + "session") <= 5000
    finally:
        await other_client.aclose()
        await redis_client.delete(prefix + "session")


class CuttableProxy:
    """A TCP proxy to the real Redis that can be cut (connections dropped, new ones
    refused) and restored on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        pipes = [
            asyncio.create_task(_pipe(reader, upstream_writer)),
            asyncio.create_task(_pipe(upstream_reader, writer)),
        ]
        self._pipes.update(pipes)
        try:
            await asyncio.gather(*pipes)
        except asyncio.CancelledError:
            pass
        finally:
            for stream in (writer, upstream_writer):
                stream.close()
            self._pipes.difference_update(pipes)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@pytest.fixture
async def proxy(redis_client: aioredis.Redis) -> AsyncIterator[CuttableProxy]:
    target = urlsplit(REDIS_URL)
    proxy = CuttableProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    yield proxy
    await proxy.cut()


@pytest.fixture
async def through_proxy(proxy: CuttableProxy) -> AsyncIterator[aioredis.Redis]:
    database = urlsplit(REDIS_URL).path or "/0"
    client = make_redis(f"redis://127.0.0.1:{proxy.port}{database}")
    yield client
    await client.aclose()


async def test_with_redis_down_reads_miss_and_writes_are_dropped_with_one_log_line(
    through_proxy: aioredis.Redis,
    proxy: CuttableProxy,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = RedisCache(RedisGuard(through_proxy, cool_off=60), prefix=prefix)
    await cache.set("a", "one", ttl=60)
    await proxy.cut()
    with caplog.at_level(logging.WARNING, logger="infrastructure.redis_guard"):
        for _ in range(5):
            assert await cache.get("a") is None
            assert await cache.get_many("a", "b") == [None, None]
            await cache.set("a", "two", ttl=60)
            assert await cache.add("b", "two", ttl=60) is False
    assert len([r for r in caplog.records if "Redis unavailable" in r.getMessage()]) == 1


async def test_a_write_lands_and_says_so_or_raises_even_while_the_guard_cools_off(
    redis_client: aioredis.Redis,
    through_proxy: aioredis.Redis,
    proxy: CuttableProxy,
    prefix: str,
) -> None:
    """The relay's write: a lost invalidation is delivered again, so the write must
    tell whether Redis took it, and must not wait for the guard's cool-off."""
    cache = RedisCache(RedisGuard(through_proxy, cool_off=60), prefix=prefix)
    await cache.write({"user:alice": "-", "user:bob": "-"}, ttl=60)
    assert await redis_client.mget(prefix + "user:alice", prefix + "user:bob") == ["-", "-"]
    await proxy.cut()
    await cache.set("user:alice", "dropped", ttl=60)  # trips the guard
    with pytest.raises(ServiceUnavailable):
        await cache.write({"user:alice": "again"}, ttl=60)
    await proxy.start()
    await cache.write({"user:alice": "again"}, ttl=60)
    assert await redis_client.get(prefix + "user:alice") == "again"
    await redis_client.delete(prefix + "user:alice", prefix + "user:bob")
