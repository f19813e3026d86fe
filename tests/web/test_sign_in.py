"""POST / signs in; every failure looks the same; next only leads to this site."""

from __future__ import annotations

import pytest
from quart.testing import QuartClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.tables import users
from tests.web.conftest import Account, csrf_token, post_form

AUTH_COOKIE = "gatehouse_auth"


async def test_home_shows_the_sign_in_form_with_a_csrf_field(client: QuartClient) -> None:
    response = await client.get("/")
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="login"' in html and 'name="password"' in html
    assert 'name="csrf_token"' in html


async def test_signing_in_by_username_leads_to_the_members_page(
    client: QuartClient, account: Account
) -> None:
    response = await post_form(
        client, "/", {"login": account.user.username, "password": account.password}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/users/"
    members = await client.get("/users/")
    assert members.status_code == 200
    assert account.user.username in await members.get_data(as_text=True)


async def test_signing_in_by_email_in_other_letter_case_works(
    client: QuartClient, account: Account
) -> None:
    login = account.user.email.upper()
    response = await post_form(client, "/", {"login": login, "password": account.password})
    assert response.status_code == 303


async def test_the_auth_cookie_is_http_only_and_same_site_lax(
    client: QuartClient, account: Account
) -> None:
    response = await post_form(
        client, "/", {"login": account.user.username, "password": account.password}
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(AUTH_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


async def test_remember_me_makes_the_cookie_persistent(
    client: QuartClient, account: Account
) -> None:
    data = {"login": account.user.username, "password": account.password}
    plain = await post_form(client, "/", data)
    remembered = await post_form(client, "/", {**data, "remember": "on"})

    def auth_cookie(response: object) -> str:
        headers = response.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
        return next(c for c in headers if c.startswith(AUTH_COOKIE))

    assert "Max-Age" not in auth_cookie(plain) and "Expires" not in auth_cookie(plain)
    assert "Max-Age" in auth_cookie(remembered) or "Expires" in auth_cookie(remembered)


async def test_unknown_user_wrong_password_and_inactive_user_look_the_same(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    unknown = await post_form(client, "/", {"login": "nobody-here", "password": "whatever1"})
    wrong = await post_form(client, "/", {"login": account.user.username, "password": "wrong-pass"})
    async with web_engine.begin() as connection:
        await connection.execute(update(users).values(active=False))
    inactive = await post_form(
        client, "/", {"login": account.user.username, "password": account.password}
    )
    bodies = [await r.get_data(as_text=True) for r in (unknown, wrong, inactive)]
    assert {r.status_code for r in (unknown, wrong, inactive)} == {400}
    assert all("Invalid username or password." in body for body in bodies)
    assert all(AUTH_COOKIE not in str(r.headers) for r in (unknown, wrong, inactive))


async def test_a_failed_sign_in_keeps_the_login_but_never_the_password(
    client: QuartClient, account: Account
) -> None:
    response = await post_form(
        client, "/", {"login": account.user.username, "password": "not-the-password"}
    )
    html = await response.get_data(as_text=True)
    assert f'value="{account.user.username}"' in html
    assert "not-the-password" not in html


async def test_empty_fields_are_reported_per_field(client: QuartClient) -> None:
    response = await post_form(client, "/", {"login": "", "password": ""})
    assert response.status_code == 422
    assert (await response.get_data(as_text=True)).count("This field is required.") == 2


async def test_a_password_longer_than_allowed_is_a_field_error_not_a_crash(
    client: QuartClient, account: Account
) -> None:
    response = await post_form(
        client, "/", {"login": account.user.username, "password": "x" * 5000}
    )
    assert response.status_code == 422
    assert "Use at most 128 characters." in await response.get_data(as_text=True)


async def test_sign_in_without_a_csrf_token_is_refused(
    client: QuartClient, account: Account
) -> None:
    await client.get("/")
    response = await client.post(
        "/", form={"login": account.user.username, "password": account.password}
    )
    assert response.status_code == 400
    assert AUTH_COOKIE not in str(response.headers)
    assert (await client.get("/users/")).status_code == 303


async def test_sign_in_with_a_forged_csrf_token_is_refused(
    client: QuartClient, account: Account
) -> None:
    token = await csrf_token(client)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    data = {"login": account.user.username, "password": account.password, "csrf_token": forged}
    response = await client.post("/", form=data)
    assert response.status_code == 400
    assert "did not come from this site" in await response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_target", "landing"),
    [
        ("/users/?page=2", "/users/?page=2"),
        ("//evil.example/", "/users/"),
        ("https://evil.example/", "/users/"),
        ("/\\evil.example", "/users/"),
        ("javascript:alert(1)", "/users/"),
    ],
)
async def test_next_is_followed_only_to_paths_on_this_site(
    client: QuartClient, account: Account, next_target: str, landing: str
) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/",
        query_string={"next": next_target},
        form={"login": account.user.username, "password": account.password, "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == landing


async def test_a_tampered_auth_cookie_counts_as_signed_out(
    client: QuartClient, account: Account
) -> None:
    await post_form(client, "/", {"login": account.user.username, "password": account.password})
    client.set_cookie("localhost", AUTH_COOKIE, "forged.value.signature")
    response = await client.get("/users/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?next=/users/"


async def test_a_deactivated_users_cookie_is_signed_out_on_the_next_request(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    await post_form(client, "/", {"login": account.user.username, "password": account.password})
    async with web_engine.begin() as connection:
        await connection.execute(update(users).values(active=False))
    response = await client.get("/users/")
    assert response.status_code == 303
    deleted = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(AUTH_COOKIE)]
    assert deleted and ("Max-Age=0" in deleted[0] or "Expires=Thu, 01 Jan 1970" in deleted[0])
