"""The session cookie is verified and decoded once per value, and is as strict as before:
a changed value is a new session, an expired one too, and no request changes another's copy."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from quart import Quart
from quart.testing import QuartClient

from .conftest import Account, AppMaker, csrf_token, sign_in

COOKIE = "gatehouse_session"


def cookie_of(client: QuartClient) -> str:
    found = [c.value for c in client.cookie_jar if c.name == COOKIE]
    assert found, "no session cookie"
    return found[0]


def client_with(app: Quart, value: str) -> QuartClient:
    client = app.test_client()
    client.set_cookie("localhost", COOKIE, value)
    return client


async def test_a_copy_of_a_known_cookie_opens_the_same_session(app: Quart) -> None:
    first = app.test_client()
    token = await csrf_token(first)
    copies = [client_with(app, cookie_of(first)) for _ in range(3)]
    assert [await csrf_token(copy, "/about/") for copy in copies] == [token] * 3


async def test_a_changed_cookie_is_a_new_session_even_after_the_real_one_was_seen(
    app: Quart,
) -> None:
    first = app.test_client()
    token = await csrf_token(first)
    await csrf_token(first)  # seen twice: remembered
    value = cookie_of(first)
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    other = client_with(app, forged)
    assert await csrf_token(other) != token
    assert cookie_of(other) != forged


async def test_what_one_request_changes_stays_out_of_another_copy(
    app: Quart, account: Account
) -> None:
    """Signing in drops the session's CSRF secret; a copy of the old cookie keeps its own."""
    first = app.test_client()
    token = await csrf_token(first)
    old = cookie_of(first)
    await sign_in(first, account.user.username)
    copies = [client_with(app, old) for _ in range(4)]
    tokens = await asyncio.gather(*(csrf_token(copy, "/about/") for copy in copies))
    assert tokens == [token] * 4


async def test_an_expired_cookie_is_a_new_session_even_when_it_was_seen(
    make_app: AppMaker,
) -> None:
    async with make_app() as app:
        app.permanent_session_lifetime = timedelta(seconds=1)
        client = app.test_client()
        token = await csrf_token(client)
        assert await csrf_token(client) == token  # remembered
        await asyncio.sleep(2.1)
        response = await client.get("/about/")
        assert response.headers.getlist("Set-Cookie")  # a new session, so a new secret
        assert await csrf_token(client) != token
