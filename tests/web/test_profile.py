"""GET/POST /users/me and /users/me/password."""

from __future__ import annotations

from quart import Quart, Response
from quart.testing import QuartClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import CreateUser
from application.services import Services
from infrastructure.db.tables import users
from tests.conftest import unique_name
from tests.web.conftest import PASSWORD, Account, Outbox, post_form, sign_in
from tests.web.test_verification import link_in

NEW_PASSWORD = "a brand new passphrase"


async def stored(engine: AsyncEngine, account: Account) -> dict[str, object]:
    async with engine.connect() as connection:
        row = (await connection.execute(select(users).where(users.c.id == account.user.id))).one()
    return dict(row._mapping)


async def save_profile(client: QuartClient, **fields: str) -> Response:
    return await post_form(client, "/users/me", fields, form_page="/users/me")


async def change_password(client: QuartClient, current: str, new: str, confirm: str) -> Response:
    data = {"current_password": current, "new_password": new, "confirm": confirm}
    return await post_form(client, "/users/me/password", data, form_page="/users/me/password")


async def test_the_profile_shows_the_account(client: QuartClient, account: Account) -> None:
    await sign_in(client, account.user.username)
    html = await (await client.get("/users/me")).get_data(as_text=True)
    assert account.user.username in html
    assert f'value="{account.user.email}"' in html
    assert "Member since" in html
    assert "none" in html  # roles


async def test_a_new_name_shows_at_once_in_the_nav_list_and_members_page(
    client: QuartClient, account: Account
) -> None:
    await sign_in(client, account.user.username)
    response = await save_profile(
        client, first_name="  Ada ", last_name="Lovelace", email=account.user.email
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/users/me"
    profile = await (await client.get("/users/me")).get_data(as_text=True)
    assert "Your profile is saved." in profile
    assert 'value="Ada"' in profile
    assert "Ada Lovelace" in await (await client.get("/users/")).get_data(as_text=True)


async def test_a_new_address_needs_the_current_password_and_then_its_link(
    client: QuartClient, account: Account, web_engine: AsyncEngine, outbox: Outbox
) -> None:
    await sign_in(client, account.user.username)
    new = f"new.{account.user.email}"
    refused = await save_profile(client, email=new, current_password="not it at all")
    assert refused.status_code == 422
    assert (
        '<p class="error" id="current_password-error">The current password is not right.</p>'
        in await refused.get_data(as_text=True)
    )
    assert (await stored(web_engine, account))["email"] == account.user.email
    accepted = await save_profile(client, email=f"  {new.upper()} ", current_password=PASSWORD)
    assert accepted.status_code == 303
    assert (await stored(web_engine, account))["email"] == account.user.email  # not yet
    (notice,) = await outbox.messages("A new address was asked for your account")
    assert notice["To"] == account.user.email
    await post_form(client, await link_in(outbox, new.upper()), {})
    assert (await stored(web_engine, account))["email_key"] == new.lower()


async def test_a_new_address_without_the_current_password_asks_for_it(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    await sign_in(client, account.user.username)
    response = await save_profile(client, email=f"new.{account.user.email}")
    html = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        '<p class="error" id="current_password-error">'
        "Enter your current password to change your e-mail address.</p>"
    ) in html
    assert "not right" not in html
    assert f'value="new.{account.user.email}"' in html  # what was typed is kept
    assert (await stored(web_engine, account))["email"] == account.user.email


async def test_an_address_taken_in_any_case_is_a_field_error(
    client: QuartClient, account: Account, services: Services, web_engine: AsyncEngine
) -> None:
    other = unique_name("bea")
    await services.create_user(
        CreateUser(username=other, email=f"{other}@example.com", password=PASSWORD)
    )
    await sign_in(client, account.user.username)
    response = await save_profile(
        client, email=f"{other.upper()}@EXAMPLE.COM", current_password=PASSWORD
    )
    assert response.status_code == 422
    assert "already exists" in await response.get_data(as_text=True)
    assert (await stored(web_engine, account))["email"] == account.user.email


async def test_bad_profile_input_is_a_field_error_and_changes_nothing(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    await sign_in(client, account.user.username)
    before = await stored(web_engine, account)
    for fields in (
        {"first_name": "x" * 31, "email": account.user.email},
        {"first_name": "Nul\x00l", "email": account.user.email},
        {"last_name": "bidi\u202eevil", "email": account.user.email},
        {"email": "not an address", "current_password": PASSWORD},
        {"email": ""},
    ):
        response = await save_profile(client, **fields)
        assert response.status_code == 422, fields
    assert await stored(web_engine, account) == before


async def test_changing_the_password_keeps_this_session_and_ends_the_others(
    app: Quart, client: QuartClient, account: Account
) -> None:
    elsewhere = app.test_client()
    await sign_in(elsewhere, account.user.username)
    await sign_in(client, account.user.username)
    response = await change_password(client, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    page = await (await client.get("/users/me")).get_data(as_text=True)
    assert "Your password is changed. 1 other session ended." in page
    assert (await elsewhere.get("/users/")).status_code == 303
    fresh = app.test_client()
    await sign_in(fresh, account.user.username, NEW_PASSWORD)


async def test_a_wrong_current_password_changes_nothing(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    await sign_in(client, account.user.username)
    before = await stored(web_engine, account)
    response = await change_password(client, "wrong current", NEW_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 422
    assert "The current password is not right." in await response.get_data(as_text=True)
    assert await stored(web_engine, account) == before


async def test_password_change_refusals_are_field_errors(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    await sign_in(client, account.user.username)
    before = await stored(web_engine, account)
    cases = [
        (PASSWORD, PASSWORD, "Choose a password different from your current one."),
        (PASSWORD, "password123", "This password is too common."),
        (PASSWORD, "short", "Use at least 8 characters."),
        (PASSWORD, NEW_PASSWORD + "!", "The passwords do not match."),
        ("", NEW_PASSWORD, "This field is required."),
    ]
    for current, new, message in cases:
        confirm = NEW_PASSWORD if new.endswith("!") else new
        response = await change_password(client, current, new, confirm)
        assert response.status_code == 422, message
        html = await response.get_data(as_text=True)
        assert message in html
        assert new not in html.replace(message, "")
    assert await stored(web_engine, account) == before


async def test_the_profile_pages_need_sign_in(client: QuartClient) -> None:
    for path in ("/users/me", "/users/me/password"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"] == f"/?next={path}"
