"""With REDIS_URL, every app instance (worker or host) shares one set of limits."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
import redis
from quart import Quart, Response
from quart.testing import QuartClient

from infrastructure.settings import load_settings
from tests.conftest import unique_name
from tests.redis_server import RedisServer
from tests.web.conftest import Account, csrf_token, with_test_address
from web.app import create_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_REQUIRED = os.environ.get("GATEHOUSE_REQUIRE_REDIS") == "1"
# Not a speed target: a bound that only a hang would exceed.
HANG = 10


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not redis_reachable():
        message = f"Redis is not reachable at {REDIS_URL}"
        if REDIS_REQUIRED:
            pytest.fail(message + " (GATEHOUSE_REQUIRE_REDIS=1)")
        pytest.skip(message)
    return REDIS_URL


def fresh_address() -> str:
    """A documentation-range address per test: keys in Redis outlive a test run."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


async def apps(
    stack: AsyncExitStack, count: int, web_database: str, tmp_path: Path, **settings: object
) -> list[Quart]:
    made = []
    for _ in range(count):
        app = with_test_address(
            create_app(
                load_settings(
                    GATEHOUSE_ENV="test",
                    DATABASE_URL=web_database,
                    SECRET_KEY="s" * 40,
                    INSTANCE_PATH=tmp_path,
                    TRUSTED_PROXY_HOPS=1,
                    **settings,
                )
            )
        )
        await stack.enter_async_context(app.test_app())
        made.append(app)
    return made


async def attempt(client: QuartClient, login: str, password: str, address: str) -> Response:
    token = await csrf_token(client)
    return await client.post(
        "/",
        form={"login": login, "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": address},
    )


async def test_two_app_instances_share_one_per_address_limit(
    stack: AsyncExitStack, redis_url: str, web_database: str, tmp_path: Path
) -> None:
    first, second = await apps(
        stack, 2, web_database, tmp_path, REDIS_URL=redis_url, SIGNIN_IP_LIMIT=2
    )
    address, login = fresh_address(), unique_name("nobody")
    a, b = first.test_client(), second.test_client()
    assert (await attempt(a, login, "y", address)).status_code == 400
    assert (await attempt(b, login, "y", address)).status_code == 400
    assert (await attempt(a, login, "y", address)).status_code == 429
    assert (await attempt(b, login, "y", address)).status_code == 429


async def test_two_app_instances_share_the_failed_sign_in_count(
    stack: AsyncExitStack, redis_url: str, web_database: str, tmp_path: Path, account: Account
) -> None:
    first, second = await apps(
        stack, 2, web_database, tmp_path, REDIS_URL=redis_url, SIGNIN_FAILURE_LIMIT=2
    )
    a, b = first.test_client(), second.test_client()
    assert (await attempt(a, account.user.username, "wrong", fresh_address())).status_code == 400
    assert (await attempt(b, account.user.username, "wrong", fresh_address())).status_code == 400
    locked = await attempt(a, account.user.username, account.password, fresh_address())
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    for key in redis.Redis.from_url(redis_url).scan_iter(
        f"gatehouse:limits:*{account.user.username}*"
    ):
        redis.Redis.from_url(redis_url).delete(key)


async def test_with_redis_down_requests_are_answered_quickly_and_still_limited(
    stack: AsyncExitStack, web_database: str, tmp_path: Path
) -> None:
    (app,) = await apps(
        stack, 1, web_database, tmp_path, REDIS_URL="redis://127.0.0.1:1/0", SIGNIN_IP_LIMIT=2
    )
    client = app.test_client()
    address = fresh_address()
    async with asyncio.timeout(HANG):
        statuses = [(await attempt(client, "x", "y", address)).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


@pytest.fixture
async def silent_redis() -> AsyncIterator[str]:
    """A server that accepts connections and never answers: Redis hung, not down."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    server.close()


async def test_with_redis_hung_a_request_still_gets_an_answer(
    stack: AsyncExitStack, web_database: str, tmp_path: Path, silent_redis: str
) -> None:
    (app,) = await apps(stack, 1, web_database, tmp_path, REDIS_URL=silent_redis)
    client = app.test_client()
    async with asyncio.timeout(HANG):
        response = await attempt(client, "x", "y", fresh_address())
    assert response.status_code == 400


async def test_with_redis_down_the_process_stays_ready_and_says_it_is_degraded(
    stack: AsyncExitStack, web_database: str, tmp_path: Path
) -> None:
    """Every request is served from in-process state meanwhile: a load balancer must not
    take the process out (that would turn a Redis outage into a full outage)."""
    (app,) = await apps(stack, 1, web_database, tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    async with asyncio.timeout(HANG):
        response = await app.test_client().get("/readyz")
    assert response.status_code == 200
    assert await response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "unreachable",
    }


async def test_readiness_checks_redis_when_it_is_configured(
    stack: AsyncExitStack, redis_url: str, web_database: str, tmp_path: Path
) -> None:
    (app,) = await apps(stack, 1, web_database, tmp_path, REDIS_URL=redis_url)
    response = await app.test_client().get("/readyz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ready", "database": "ok", "redis": "ok"}


TOP_LEVEL = ("evalsha", "eval", "script|load", "get", "set", "del", "lpop")


def redis_calls(client: redis.Redis) -> dict[str, int]:
    """Commands the server ran, by name (a script's own commands count under theirs)."""
    stats: dict[str, dict[str, int]] = client.info("commandstats")  # type: ignore[assignment]
    return {name: stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in TOP_LEVEL}


def calls_since(client: redis.Redis, before: dict[str, int]) -> dict[str, int]:
    after = redis_calls(client)
    return {name: after[name] - before[name] for name in TOP_LEVEL if after[name] != before[name]}


async def test_a_request_counts_each_of_its_limits_in_one_pipelined_round_trip(
    stack: AsyncExitStack, own_redis: RedisServer, web_database: str, tmp_path: Path
) -> None:
    """Per limit, limits' script that takes a place and the one that reads the window back
    for the headers, sent together; nothing else. (A server of our own: the shared one's
    counts move with whatever else runs.)"""
    (app,) = await apps(stack, 1, web_database, tmp_path, REDIS_URL=own_redis.url)
    client, counter = app.test_client(), redis.Redis.from_url(own_redis.url)
    address = {"X-Forwarded-For": fresh_address()}
    await client.get("/about/", headers={"X-Forwarded-For": fresh_address()})  # scripts loaded
    before = redis_calls(counter)
    page = await client.get("/about/", headers=address)
    assert page.status_code == 200
    assert int(page.headers["RateLimit-Remaining"]) > 0
    assert calls_since(counter, before) == {"evalsha": 2}
    assert len(counter.keys(f"gatehouse:limits:*{address['X-Forwarded-For']}*")) == 1

    before = redis_calls(counter)
    attempt = {"login": unique_name("nobody"), "password": "not the password"}
    signed_in = await app.test_client().post("/api/v1/sessions", json=attempt, headers=address)
    assert signed_in.status_code == 400
    assert calls_since(counter, before) == {"evalsha": 2 * 2 + 2}  # and the account's lock


async def test_a_request_that_matches_no_route_costs_no_round_trip(
    stack: AsyncExitStack, own_redis: RedisServer, web_database: str, tmp_path: Path
) -> None:
    (app,) = await apps(stack, 1, web_database, tmp_path, REDIS_URL=own_redis.url)
    client, counter = app.test_client(), redis.Redis.from_url(own_redis.url)
    before = redis_calls(counter)
    response = await client.get("/no/such/page", headers={"X-Forwarded-For": fresh_address()})
    assert response.status_code == 404
    assert calls_since(counter, before) == {}


async def test_with_its_redis_stopped_an_app_still_limits_from_its_own_counts(
    stack: AsyncExitStack, own_redis: RedisServer, web_database: str, tmp_path: Path
) -> None:
    (app,) = await apps(stack, 1, web_database, tmp_path, REDIS_URL=own_redis.url, **LIMIT_3)
    client = app.test_client()
    await counted_in(own_redis, client)
    own_redis.stop()

    async with asyncio.timeout(HANG):
        statuses = await pages_at_once(client, 10)

    assert sorted(statuses) == [200] * 3 + [429] * 7


async def test_with_its_redis_paused_an_app_answers_within_the_timeout_and_still_limits(
    stack: AsyncExitStack, own_redis: RedisServer, web_database: str, tmp_path: Path
) -> None:
    (app,) = await apps(stack, 1, web_database, tmp_path, REDIS_URL=own_redis.url, **LIMIT_3)
    client = app.test_client()
    await counted_in(own_redis, client)
    own_redis.pause()
    try:
        async with asyncio.timeout(HANG):
            statuses = await pages_at_once(client, 10)
    finally:
        own_redis.resume()

    assert sorted(statuses) == [200] * 3 + [429] * 7


LIMIT_3 = {"REQUEST_IP_LIMIT": 3}


async def counted_in(server: RedisServer, client: QuartClient) -> None:
    """A page whose limit is counted in ``server``: the app uses it until it fails."""
    page = await client.get("/about/", headers={"X-Forwarded-For": fresh_address()})
    assert page.status_code == 200
    assert redis.Redis.from_url(server.url).dbsize() == 1


async def pages_at_once(client: QuartClient, count: int) -> list[int]:
    address = {"X-Forwarded-For": fresh_address()}
    pages = await asyncio.gather(*(client.get("/about/", headers=address) for _ in range(count)))
    return [page.status_code for page in pages]
