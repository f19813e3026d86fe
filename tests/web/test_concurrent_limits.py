"""Limits and locks hold however many requests arrive at once: real parallel requests at
the app, counted in this process and in a real Redis alike."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from quart import Quart, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import totp
from infrastructure.db.tables import audit_events
from infrastructure.redis_guard import MAX_CONNECTIONS
from tests.conftest import unique_name
from tests.web.conftest import PASSWORD, Account, AppMaker
from tests.web.test_api_two_factor import challenge_of, enable, second_step
from tests.web.test_shared_limits import (
    REDIS_REQUIRED,
    REDIS_URL,
    fresh_address,
    redis_reachable,
)
from web.runtime import RUNTIME

Store = Callable[..., AbstractAsyncContextManager[Quart]]


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, make_app: AppMaker) -> Store:
    """Apps counting in this process, or in Redis (one instance each)."""
    extra: dict[str, object] = {"TRUSTED_PROXY_HOPS": 1}
    if request.param == "redis":
        extra["REDIS_URL"] = request.getfixturevalue("redis_url")

    @asynccontextmanager
    async def make(**settings: object) -> AsyncIterator[Quart]:
        async with make_app(**extra, **settings) as app:
            await open_connections(app)
            yield app

    return make


async def open_connections(app: Quart) -> None:
    """Fill the Redis pool before the burst. These tests are about counting; a hundred
    connects at once on a loaded machine can outlast the connect timeout, which the
    guard rightly takes for Redis being unreachable (tests/integration/test_redis_recovery.py
    covers that), and the count then falls back to this process's."""
    runtime = app.extensions.get(RUNTIME)
    if runtime is not None and runtime.redis is not None:
        pings = (runtime.redis.ping() for _ in range(MAX_CONNECTIONS))
        await asyncio.gather(*pings, return_exceptions=True)


@pytest.fixture
def redis_url() -> str:
    if not redis_reachable():
        if REDIS_REQUIRED:
            pytest.fail(f"Redis is not reachable at {REDIS_URL} (GATEHOUSE_REQUIRE_REDIS=1)")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


async def at_once(app: Quart, method: str, path: str, bodies: list[Any]) -> list[Response]:
    """One request per body, all sent together from one fresh address."""
    client, address = app.test_client(), {"X-Forwarded-For": fresh_address()}
    calls = [client.open(path, method=method, json=body, headers=address) for body in bodies]
    return await asyncio.gather(*calls)


def statuses(responses: list[Response]) -> dict[int, int]:
    return dict(Counter(response.status_code for response in responses))


async def failed_sign_ins(engine: AsyncEngine) -> int:
    """Passwords checked and found wrong (the test's tables start empty)."""
    query = select(func.count()).where(audit_events.c.event_type == "LoginFailed")
    async with engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


@pytest.mark.parametrize("names", ["username", "username-and-address"])
async def test_forty_sign_ins_at_once_for_one_account_check_five_passwords(
    store: Store, account: Account, web_engine: AsyncEngine, names: str
) -> None:
    """The account has one window whichever of its names is typed."""
    typed = [account.user.username]
    if names == "username-and-address":
        typed.append(account.user.email.upper())
    guesses = [{"login": typed[n % len(typed)], "password": f"guess {n}"} for n in range(39)]
    right = {"login": account.user.username, "password": PASSWORD}
    async with store(SIGNIN_FAILURE_LIMIT=5) as app:
        responses = await at_once(app, "POST", "/api/v1/sessions", [right, *guesses])
    wrong, right = await failed_sign_ins(web_engine), statuses(responses).get(201, 0)
    # The right one signs in when it finds a place; that place is given back, and may or
    # may not be taken by a guess still in flight. Never more than 5 wrong ones checked.
    assert wrong <= 5
    assert wrong + right >= 5
    assert statuses(responses).get(429) == 40 - wrong - right
    assert all(int(r.headers["Retry-After"]) > 0 for r in responses if r.status_code == 429)


async def test_requests_at_once_from_one_address_get_exactly_the_limit(store: Store) -> None:
    """More at once than the process has Redis connections: calls wait for one."""
    async with store(REQUEST_IP_LIMIT=50) as app:
        responses = await at_once(app, "GET", "/about/", [None] * 200)
    assert statuses(responses) == {200: 50, 429: 150}
    refused = next(r for r in responses if r.status_code == 429)
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"


async def test_sign_ins_at_once_from_one_address_hash_at_most_the_limit(
    store: Store, web_engine: AsyncEngine
) -> None:
    logins = {unique_name("nobody") for _ in range(30)}
    async with store(SIGNIN_IP_LIMIT=20) as app:
        bodies = [{"login": login, "password": "wrong password"} for login in logins]
        responses = await at_once(app, "POST", "/api/v1/sessions", bodies)
    assert statuses(responses) == {400: 20, 429: 10}
    assert await failed_sign_ins(web_engine) == 20


async def test_registrations_at_once_from_one_address_make_exactly_the_limit(
    store: Store,
) -> None:
    names = [unique_name("new") for _ in range(12)]
    bodies = [
        {"username": name, "email": f"{name}@example.com", "password": PASSWORD} for name in names
    ]
    async with store(REGISTER_IP_LIMIT=3) as app:
        responses = await at_once(app, "POST", "/api/v1/users", bodies)
    assert statuses(responses) == {201: 3, 429: 9}


async def test_thirty_wrong_codes_at_once_check_no_more_than_the_failure_limit(
    store: Store, account: Account, web_engine: AsyncEngine
) -> None:
    """The code step takes its place in the account's window before checking, as the
    password step does: a burst of wrong codes cannot outrun the lock."""
    async with store(SIGNIN_FAILURE_LIMIT=5) as app:
        enabled = await enable(app.test_client(), account)
        challenge = (await challenge_of(app.test_client(), account.user.username))["challenge"]
        wrong = [totp.code_at(enabled.secret, enabled.step + 10 + n) for n in range(30)]
        bodies = [{"challenge": challenge, "code": code} for code in wrong]
        responses = await at_once(app, "POST", "/api/v1/sessions/two-factor", bodies)
        after = await second_step(app.test_client(), challenge, enabled.next_code())
    assert await failed_sign_ins(web_engine) == 5
    assert statuses(responses) == {400: 5, 429: 25}
    assert all(int(r.headers["Retry-After"]) > 0 for r in responses if r.status_code == 429)
    assert after.status_code == 429  # the right code waits for the lock too


async def test_one_challenge_sent_at_once_with_two_right_codes_opens_one_session(
    store: Store, account: Account
) -> None:
    async with store() as app:
        enabled = await enable(app.test_client(), account)
        challenge = (await challenge_of(app.test_client(), account.user.username))["challenge"]
        bodies = [{"challenge": challenge, "code": code} for code in enabled.recovery_codes[:2]]
        responses = await at_once(app, "POST", "/api/v1/sessions/two-factor", bodies)
    assert sorted(r.status_code for r in responses) == [201, 401]
