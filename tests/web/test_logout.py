"""GET /logout/ offers a button; POST /logout/ signs out (with a CSRF token only)."""

from __future__ import annotations

from quart.testing import QuartClient

from tests.web.conftest import Account, csrf_token, post_form, sign_in


async def test_the_logout_page_offers_a_sign_out_button(
    client: QuartClient, account: Account
) -> None:
    await sign_in(client, account.user.username)
    html = await (await client.get("/logout/")).get_data(as_text=True)
    assert 'action="/logout/"' in html and "Sign out</button>" in html


async def test_signing_out_redirects_home_and_closes_the_members_area(
    client: QuartClient, account: Account
) -> None:
    await sign_in(client, account.user.username)
    response = await post_form(client, "/logout/", {}, form_page="/logout/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "You are signed out." in await (await client.get("/")).get_data(as_text=True)
    members = await client.get("/users/")
    assert members.status_code == 303
    assert members.headers["Location"] == "/?next=/users/"


async def test_signing_out_without_a_csrf_token_changes_nothing(
    client: QuartClient, account: Account
) -> None:
    await sign_in(client, account.user.username)
    response = await client.post("/logout/")
    assert response.status_code == 400
    assert (await client.get("/users/")).status_code == 200


async def test_a_signed_out_visitor_sees_the_sign_in_form_in_the_nav(
    client: QuartClient,
) -> None:
    html = await (await client.get("/about/")).get_data(as_text=True)
    assert 'class="nav-sign-in"' in html
    assert "Signed in as" not in html


async def test_a_signed_in_visitor_sees_their_name_and_a_sign_out_button(
    client: QuartClient, account: Account
) -> None:
    await sign_in(client, account.user.username)
    token = await csrf_token(client, "/about/")
    html = await (await client.get("/about/")).get_data(as_text=True)
    assert f"Signed in as <strong>{account.user.username}</strong>" in html
    assert token
