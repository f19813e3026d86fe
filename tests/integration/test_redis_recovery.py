"""After Redis restarts, the guard is back on it within a couple of seconds, whatever
number of dead connections the pool still held (a throw-away redis-server)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.redis_guard import RedisGuard, make_redis
from tests.redis_server import RedisServer, throwaway_redis

WORKERS = 16
# Not a speed target: the background ping's second, with room for a loaded machine;
# the cool-off (30 s) is what it would take without that ping.
BACK_WITHIN = 5.0


async def test_calls_in_flight_when_redis_went_away_do_not_push_the_next_try_back(
    server: RedisServer,
) -> None:
    """Every pooled connection fails once after an outage; if each failure restarted
    the cool-off, the service would stay off Redis long after it came back."""
    clock = [1000.0]
    client = make_redis(server.url)
    guard = RedisGuard(client, cool_off=30.0, monotonic=lambda: clock[0])
    release = asyncio.Event()

    async def fails_later(redis: object) -> str:
        await release.wait()
        raise OSError("a stale connection")

    async def fails_now(redis: object) -> str:
        raise OSError("Redis went away")

    async def ping(redis: object) -> str:
        await client.ping()
        return "redis"

    async def fallback() -> str:
        return "fallback"

    try:
        in_flight = [asyncio.create_task(guard.run(fails_later, fallback)) for _ in range(3)]
        await asyncio.sleep(0)
        assert await guard.run(fails_now, fallback) == "fallback"  # trips: off until 1030
        clock[0] = 1029.0
        release.set()
        assert await asyncio.gather(*in_flight) == ["fallback"] * 3
        clock[0] = 1030.5
        assert await guard.run(ping, fallback) == "redis"
    finally:
        await client.aclose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with throwaway_redis(tmp_path) as started:
        yield started


@pytest.mark.parametrize(
    ("cool_off", "outage"),
    [(30.0, 3.0), (2.0, 5.0)],
    ids=["within-the-cool-off", "across-cool-offs"],
)
async def test_after_a_restart_the_guard_is_back_on_redis_at_once(
    server: RedisServer, cool_off: float, outage: float
) -> None:
    client = make_redis(server.url)
    guard = RedisGuard(client, cool_off=cool_off)
    answered_by: list[tuple[float, str]] = []
    stop = asyncio.Event()

    async def get(redis: object) -> str:
        await client.get("recovery")
        return "redis"

    async def fallback() -> str:
        return "fallback"

    async def worker() -> None:
        while not stop.is_set():
            answered_by.append((time.monotonic(), await guard.run(get, fallback)))
            await asyncio.sleep(0.005)

    workers = [asyncio.create_task(worker()) for _ in range(WORKERS)]
    try:
        await asyncio.sleep(0.5)  # every worker holds a pooled connection
        await asyncio.to_thread(server.stop)
        await asyncio.sleep(outage)  # pings (and tries after a cool-off) fail
        await asyncio.to_thread(server.start)
        back_at = time.monotonic()
        while time.monotonic() - back_at < BACK_WITHIN:
            if any(at > back_at and by == "redis" for at, by in answered_by):
                break
            await asyncio.sleep(0.05)
        assert any(at > back_at and by == "redis" for at, by in answered_by)
    finally:
        stop.set()
        await asyncio.gather(*workers)
        await client.aclose()
