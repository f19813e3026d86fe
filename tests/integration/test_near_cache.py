"""Copies of Redis's keys kept in the process: served without asking Redis, forgotten
when any process writes the key, and all forgotten when the channel that says so
drops or goes silent (a throw-away redis-server is killed off or paused)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path

import pytest

from infrastructure.cache import PREFIX, RedisCache
from infrastructure.near_cache import SILENCE, InvalidationChannel, NearCache, make_channel_redis
from infrastructure.redis_guard import RedisGuard, make_redis
from tests.redis_server import RedisServer, throwaway_redis

READS = ("get", "mget", "pttl", "exec")
BOUND = 2.0  # generous: delivery is a message away, on a loaded machine


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with throwaway_redis(tmp_path) as started:
        yield started


async def near_cache(stack: AsyncExitStack, server: RedisServer) -> NearCache:
    """A process's near cache over the shared Redis, its channel subscribed."""
    redis = make_redis(server.url)
    stack.push_async_callback(redis.aclose)
    shared = RedisCache(RedisGuard(redis))
    channel = InvalidationChannel(make_channel_redis(server.url), shared.channel)
    cache = NearCache(shared, channel, max_entries=100)
    channel.start()
    stack.push_async_callback(channel.stop)
    assert await eventually(lambda: _true(channel.live))
    return cache


async def _true(value: bool) -> bool:
    return value


async def eventually(check: Callable[[], Awaitable[bool]], within: float = BOUND) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.01)
    return False


def unannounced(server: RedisServer, key: str, value: str) -> None:
    """A change no process hears of: what a message lost on the way would leave."""
    server.admin().set(PREFIX + key, value, px=60_000)


async def test_a_copy_is_served_again_without_asking_redis(
    stack: AsyncExitStack, server: RedisServer
) -> None:
    cache = await near_cache(stack, server)
    await cache.set("k", "one", ttl=60)
    await asyncio.sleep(0.2)  # its own announcement heard: the copy kept from now on
    assert await cache.get_many("k", "absent") == ["one", None]
    before = await asyncio.to_thread(server.calls, *READS)
    for _ in range(20):
        assert await cache.get("k") == "one"
    assert await asyncio.to_thread(server.calls, *READS) == before


async def test_a_write_in_one_process_reaches_the_copy_of_another(
    stack: AsyncExitStack, server: RedisServer
) -> None:
    writer, reader = await near_cache(stack, server), await near_cache(stack, server)
    await writer.set("k", "one", ttl=60)
    assert await reader.get("k") == "one"
    await writer.set("k", "two", ttl=60)
    assert await eventually(lambda: _is(reader, "k", "two"))


async def test_the_relays_delivery_reaches_every_copy(
    stack: AsyncExitStack, server: RedisServer
) -> None:
    relay, reader = await near_cache(stack, server), await near_cache(stack, server)
    await reader.set("a", "one", ttl=60)
    await reader.set("b", "one", ttl=60)
    assert await reader.get_many("a", "b") == ["one", "one"]
    await relay.write({"a": "-", "b": "-"}, ttl=60)
    assert await eventually(lambda: _are(reader, ["-", "-"], "a", "b"))


async def test_a_copy_added_where_one_was_evicts_nothing(
    stack: AsyncExitStack, server: RedisServer
) -> None:
    """An add that finds the key taken says nothing on the channel: filling a copy
    somewhere must not make every process read it again."""
    other, reader = await near_cache(stack, server), await near_cache(stack, server)
    await kept(reader, "k", "one")
    assert not await other.add("k", "two", ttl=60)
    await asyncio.to_thread(unannounced, server, "k", "changed")
    await asyncio.sleep(0.2)
    assert await reader.get("k") == "one"


async def test_every_copy_is_forgotten_when_the_channel_drops(
    stack: AsyncExitStack, server: RedisServer
) -> None:
    cache = await near_cache(stack, server)
    await kept(cache, "k", "one")
    await asyncio.to_thread(unannounced, server, "k", "two")
    assert await cache.get("k") == "one", "the copy, not Redis"
    await asyncio.to_thread(server.kill_subscribers)
    assert await eventually(lambda: _is(cache, "k", "two"))
    await asyncio.sleep(0.5)  # subscribed again: copies are kept again
    assert await cache.get("k") == "two"
    await asyncio.to_thread(unannounced, server, "k", "three")
    assert await cache.get("k") == "two"


async def test_copies_are_not_trusted_while_redis_is_silent(
    stack: AsyncExitStack, server: RedisServer
) -> None:
    """A paused Redis keeps every socket open and says nothing: after SILENCE the
    copies are gone and reads go to Redis (which does not answer: a miss)."""
    cache = await near_cache(stack, server)
    await kept(cache, "k", "one")
    await asyncio.to_thread(unannounced, server, "k", "two")
    await asyncio.to_thread(server.pause)
    try:
        await asyncio.sleep(SILENCE + 0.2)
        assert await cache.get("k") is None
    finally:
        await asyncio.to_thread(server.resume)
    assert await eventually(lambda: _is(cache, "k", "two"), within=5.0)


async def kept(cache: NearCache, key: str, value: str) -> None:
    """Write ``value`` and read it into a copy, once the write's own announcement (which
    forgets the key here too) has come back."""
    await cache.set(key, value, ttl=60)
    await asyncio.sleep(0.2)
    assert await cache.get(key) == value


async def _is(cache: NearCache, key: str, value: str) -> bool:
    return await cache.get(key) == value


async def _are(cache: NearCache, values: list[str], *keys: str) -> bool:
    return await cache.get_many(*keys) == values


async def test_the_counts_tell_copies_from_reads_of_redis(
    stack: AsyncExitStack, server: RedisServer
) -> None:
    writer, reader = await near_cache(stack, server), await near_cache(stack, server)
    await kept(reader, "k", "one")
    before = replace(reader.counts)
    for _ in range(5):
        assert await reader.get("k") == "one"
    assert await reader.get_many("k", "absent") == ["one", None]  # not wholly held
    assert (reader.counts.hits, reader.counts.misses) == (before.hits + 5, before.misses + 2)
    await writer.set("k", "two", ttl=60)
    assert await eventually(lambda: _is(reader, "k", "two"))
    assert reader.counts.invalidations == before.invalidations + 1
    assert reader.counts.flushes == before.flushes


async def test_a_dropped_channel_is_counted_as_a_flush(
    stack: AsyncExitStack, server: RedisServer
) -> None:
    cache = await near_cache(stack, server)
    await kept(cache, "k", "one")
    flushes = cache.counts.flushes
    await asyncio.to_thread(server.kill_subscribers)
    assert await eventually(lambda: _true(cache.counts.flushes > flushes))
