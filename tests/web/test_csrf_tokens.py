"""The CSRF token: one per session, the same on every page, new at sign-in, and no cookie
sent again by a page that changes nothing in the session."""

from __future__ import annotations

import asyncio
import re
import time

from quart import Quart
from quart.testing import QuartClient

from .conftest import Account, csrf_token, sign_in

API_TOKEN = "/api/v1/csrf-token"
SESSION_COOKIE = re.compile(r"^gatehouse_session=")


def session_cookies(response_headers: list[str]) -> list[str]:
    return [value for value in response_headers if SESSION_COOKIE.match(value)]


async def next_second() -> None:
    """Wait until the clock's whole second changes (signatures carry a timestamp)."""
    await asyncio.sleep(1.05 - time.time() % 1)


async def test_the_token_is_the_same_on_every_page_of_a_session(client: QuartClient) -> None:
    first = await csrf_token(client, "/")
    await next_second()
    later = [await csrf_token(client, path) for path in ("/about/", "/register/", "/nope")]
    api = (await (await client.get(API_TOKEN)).get_json())["csrf_token"]
    assert later == [first] * 3 and api == first


async def test_sessions_get_tokens_of_their_own(app: Quart) -> None:
    one, two = app.test_client(), app.test_client()
    assert await csrf_token(one) != await csrf_token(two)


async def test_the_token_changes_at_sign_in_and_the_old_one_is_refused(
    client: QuartClient, account: Account
) -> None:
    before = await csrf_token(client, "/about/")
    await sign_in(client, account.user.username)
    after = await csrf_token(client, "/users/")
    assert after != before
    refused = await client.post("/logout/", form={"csrf_token": before})
    assert refused.status_code == 400
    assert (await client.get("/users/")).status_code == 200  # still signed in
    assert (await client.post("/logout/", form={"csrf_token": after})).status_code == 303


async def test_a_page_that_changes_nothing_in_the_session_sends_no_cookie(
    client: QuartClient, account: Account
) -> None:
    first = await client.get("/")
    assert session_cookies(first.headers.getlist("Set-Cookie"))  # the new CSRF secret
    for path in ("/", "/about/", "/nope"):
        assert not (await client.get(path)).headers.getlist("Set-Cookie"), path
    await sign_in(client, account.user.username)
    await client.get("/users/")  # shows the flash, makes the new session's CSRF secret
    for path in ("/users/", "/users/me", "/", "/nope"):
        assert not (await client.get(path)).headers.getlist("Set-Cookie"), path


async def test_parallel_visitors_each_post_with_their_own_token_only(
    app: Quart, account: Account
) -> None:
    clients = [app.test_client() for _ in range(12)]
    tokens = await asyncio.gather(*(csrf_token(c, "/about/") for c in clients))
    assert len(set(tokens)) == len(clients)

    async def sign_in_with(index: int, token: str) -> int:
        form = {"login": account.user.username, "password": account.password, "csrf_token": token}
        return (await clients[index].post("/", form=form)).status_code

    crossed = await asyncio.gather(
        *(sign_in_with(i, tokens[(i + 1) % len(tokens)]) for i in range(len(clients)))
    )
    own = await asyncio.gather(*(sign_in_with(i, t) for i, t in enumerate(tokens)))
    assert crossed == [400] * len(clients)
    assert own == [303] * len(clients)
