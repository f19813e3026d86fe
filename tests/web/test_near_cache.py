"""With Redis, a warm signed-in page asks Redis nothing for the cache: the copies are
in the process (infrastructure/near_cache.py). What is left per request is the rate
limiter's one round trip; commands are counted on a throw-away redis-server."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from quart.testing import QuartClient

from tests.redis_server import RedisServer, throwaway_redis
from tests.web.conftest import new_account
from tests.web.test_revocation_faults import outbox_drained
from tests.web.test_shared_limits import apps, attempt, fresh_address
from web.runtime import SERVICES

# What the cache port's adapters send; the limiter sends EVALSHA (limits' scripts).
CACHE_COMMANDS = {"get", "mget", "pttl", "multi", "exec", "set", "publish", "eval"}
REQUESTS = 20
SETTLE = 0.2  # CACHE_SETTLE: the sign-in's tombstone on the account lasts this long


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with throwaway_redis(tmp_path) as started:
        yield started


def commands(server: RedisServer) -> Counter[str]:
    stats = server.admin().info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): each["calls"] for name, each in stats.items()})


async def signed_in(
    stack: AsyncExitStack, web_database: str, tmp_path: Path, url: str
) -> tuple[QuartClient, dict[str, str]]:
    (app,) = await apps(
        stack, 1, web_database, tmp_path, REDIS_URL=url, MEMBERS_PER_PAGE=5, CACHE_SETTLE=SETTLE
    )
    account = await new_account(app.extensions[SERVICES])
    client, address = app.test_client(), fresh_address()
    response = await attempt(client, account.user.username, account.password, address)
    assert response.status_code == 303
    # The relay delivers the sign-in's invalidation again: a tombstone for SETTLE more.
    assert await outbox_drained(app)
    await asyncio.sleep(SETTLE * 2)
    return client, {"X-Forwarded-For": address}


@pytest.mark.parametrize("path", ["/users/", "/api/v1/users/me"])
async def test_a_warm_signed_in_page_asks_redis_nothing_for_the_cache(
    stack: AsyncExitStack, web_database: str, tmp_path: Path, server: RedisServer, path: str
) -> None:
    client, headers = await signed_in(stack, web_database, tmp_path, server.url)
    for _ in range(3):
        assert (await client.get(path, headers=headers)).status_code == 200
        await asyncio.sleep(0.2)  # the copies' own announcements come back first
    before = await asyncio.to_thread(commands, server)
    for _ in range(REQUESTS):
        assert (await client.get(path, headers=headers)).status_code == 200
    sent = await asyncio.to_thread(commands, server) - before
    assert not {name for name in sent if name in CACHE_COMMANDS}, sent
    # The limiter's one pipeline per request: its two scripts for the one limit.
    assert sent["evalsha"] == 2 * REQUESTS, sent
