"""Being sent to sign in says why: a signed-in page asked for while signed out, or a
session that ended elsewhere (once, then the site is plainly signed out)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from quart import Quart, Response
from quart.testing import QuartClient

from application.commands import Actor, ChangePassword
from application.services import Services
from tests.web.conftest import Account, post_form
from tests.web.test_sessions import AUTH_COOKIE, REVOKE_FORM, auth_cookie
from tests.web.test_sessions import signed_in_client as signed_in

SIGN_IN_FIRST = "Please sign in to see that page."
SIGNED_OUT = "You were signed out."
Revoke = Callable[[Quart, Services, Account, QuartClient], Awaitable[None]]


@pytest.fixture(autouse=True)
async def _settled(services: Services) -> AsyncIterator[None]:
    """Mail about the changes made here is sent before the next test begins, so none of
    it lands among another test's statements."""
    yield
    await services.bus.drain()


async def flashes(response: Response) -> list[str]:
    return re.findall(
        r'<p class="flash[^"]*" role="status">([^<]*)</p>', await response.get_data(as_text=True)
    )


async def signed_in_client(app: Quart, account: Account, *, agent: str = "pytest") -> QuartClient:
    """Signed in, the welcome already read."""
    client = await signed_in(app, account, agent=agent)
    assert await flashes(await client.get("/users/")) == [f"Welcome, {account.user.full_name}."]
    return client


async def follow(client: QuartClient, response: Response) -> Response:
    assert response.status_code == 303
    return await client.get(response.headers["Location"])


@pytest.mark.parametrize(
    "path", ["/users/", "/users/me", "/users/me/sessions", "/admin/", "/admin/audit/"]
)
async def test_a_signed_in_page_sends_a_visitor_to_sign_in_saying_why(
    client: QuartClient, path: str
) -> None:
    sent = await client.get(path)
    assert sent.headers["Location"] == f"/?next={path}"
    landed = await follow(client, sent)
    assert await flashes(landed) == [SIGN_IN_FIRST]
    assert f'action="/?next={path}"' in await landed.get_data(as_text=True)  # kept
    assert await flashes(await client.get("/")) == []


async def revoke_others(app: Quart, services: Services, account: Account, _: QuartClient) -> None:
    other = await signed_in_client(app, account, agent="phone")
    await post_form(other, "/users/me/sessions/revoke-others", {}, form_page="/users/me/sessions")


async def revoke_from_sessions_page(
    app: Quart, services: Services, account: Account, _: QuartClient
) -> None:
    other = await signed_in_client(app, account, agent="phone")
    page = await (await other.get("/users/me/sessions")).get_data(as_text=True)
    this = re.search(r"This device.*?" + REVOKE_FORM, page, re.S)
    assert this
    (path,) = [found for found in re.findall(REVOKE_FORM, page) if found != this.group(1)]
    assert (await post_form(other, path, {}, form_page="/users/me/sessions")).status_code == 303


async def change_password(app: Quart, services: Services, account: Account, _: QuartClient) -> None:
    new = "another fine passphrase"
    await services.change_password(
        ChangePassword(user_id=account.user.id, current_password=account.password, new_password=new)
    )


async def deactivate(app: Quart, services: Services, account: Account, _: QuartClient) -> None:
    await services.deactivate_user(account.user.id, Actor.system("test"))


@pytest.mark.parametrize(
    "revoke", [revoke_others, revoke_from_sessions_page, change_password, deactivate]
)
async def test_a_session_ended_elsewhere_says_you_were_signed_out_once(
    app: Quart, services: Services, account: Account, revoke: Revoke
) -> None:
    laptop = await signed_in_client(app, account, agent="laptop")
    await revoke(app, services, account, laptop)
    page = await laptop.get("/about/")
    assert await flashes(page) == [SIGNED_OUT]
    assert AUTH_COOKIE not in {cookie.name for cookie in laptop.cookie_jar or ()}
    assert await flashes(await laptop.get("/about/")) == []


async def test_a_signed_in_page_after_an_ending_elsewhere_says_only_that(
    app: Quart, services: Services, account: Account
) -> None:
    laptop = await signed_in_client(app, account, agent="laptop")
    await revoke_others(app, services, account, laptop)
    sent = await laptop.get("/users/me")
    assert sent.headers["Location"] == "/?next=/users/me"
    assert await flashes(await follow(laptop, sent)) == [SIGNED_OUT]
    assert await flashes(await follow(laptop, await laptop.get("/users/me"))) == [SIGN_IN_FIRST]


async def test_a_tampered_cookie_is_plainly_signed_out(app: Quart, account: Account) -> None:
    client = await signed_in_client(app, account)
    key, _, signature = auth_cookie(client).rpartition(".")
    client.set_cookie("localhost", AUTH_COOKIE, f"{key}.{'A' * len(signature)}")
    assert await flashes(await client.get("/about/")) == []
    assert await flashes(await follow(client, await client.get("/users/"))) == [SIGN_IN_FIRST]


async def test_signing_out_here_is_not_an_ending_elsewhere(app: Quart, account: Account) -> None:
    client = await signed_in_client(app, account)
    signed_out = await post_form(client, "/logout/", {}, form_page="/logout/")
    assert await flashes(await follow(client, signed_out)) == ["You are signed out."]
    assert await flashes(await client.get("/about/")) == []


async def test_an_api_call_or_a_missing_page_leaves_the_notice_for_the_next_page(
    app: Quart, services: Services, account: Account
) -> None:
    laptop = await signed_in_client(app, account, agent="laptop")
    await revoke_others(app, services, account, laptop)
    assert (await laptop.get("/api/v1/users/me")).status_code == 401
    assert await flashes(await laptop.get("/favicon.ico")) == []
    assert await flashes(await laptop.get("/about/")) == [SIGNED_OUT]


async def test_signing_out_a_session_that_ended_elsewhere_says_so_once(
    app: Quart, services: Services, account: Account
) -> None:
    laptop = await signed_in_client(app, account, agent="laptop")
    form_page = await laptop.get("/logout/")  # the form was open before the ending
    token = re.search(r'name="csrf_token" value="([^"]+)"', await form_page.get_data(as_text=True))
    assert token
    await revoke_others(app, services, account, laptop)
    signed_out = await laptop.post("/logout/", form={"csrf_token": token.group(1)})
    assert await flashes(await follow(laptop, signed_out)) == [SIGNED_OUT]
