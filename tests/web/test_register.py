"""GET/POST /register/: a clear error per field, nothing written on failure."""

from __future__ import annotations

import asyncio

from quart.testing import QuartClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.tables import users
from tests.conftest import unique_name
from tests.web.conftest import PASSWORD, Account, Outbox, csrf_token, post_form


async def count_users(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(users))).scalar_one())


def form(
    username: str, email: str | None = None, password: str = PASSWORD, confirm: str | None = None
) -> dict[str, str]:
    return {
        "username": username,
        "email": email if email is not None else f"{username}@example.com",
        "password": password,
        "confirm": confirm if confirm is not None else password,
    }


async def test_registering_redirects_home_with_a_flash_and_creates_the_account(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    name = unique_name()
    response = await post_form(client, "/register/", form(name))
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = await (await client.get("/")).get_data(as_text=True)
    assert "Thank you for registering." in home
    assert await count_users(web_engine) == 1


async def test_the_new_account_can_sign_in(client: QuartClient) -> None:
    name = unique_name()
    await post_form(client, "/register/", form(name))
    response = await post_form(client, "/", {"login": name, "password": PASSWORD})
    assert response.status_code == 303


async def test_each_bad_field_gets_its_own_message_and_typed_values_stay(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    response = await post_form(
        client, "/register/", form("a b", email="not-an-address", password="1234", confirm="1234")
    )
    html = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Usernames are 3 to 25 letters" in html
    assert "Enter a valid e-mail address." in html
    assert "Use at least 8 characters." in html
    assert 'value="a b"' in html and 'value="not-an-address"' in html
    assert 'value="1234"' not in html
    assert await count_users(web_engine) == 0


async def test_passwords_that_differ_are_reported_on_the_confirm_field(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    response = await post_form(client, "/register/", form(unique_name(), confirm="something else"))
    assert response.status_code == 422
    assert "The passwords do not match." in await response.get_data(as_text=True)
    assert await count_users(web_engine) == 0


async def test_a_common_password_is_refused(client: QuartClient) -> None:
    response = await post_form(client, "/register/", form(unique_name(), password="Password123"))
    assert response.status_code == 422
    assert "This password is too common." in await response.get_data(as_text=True)


async def test_a_taken_username_in_other_letter_case_is_a_field_error(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    response = await post_form(client, "/register/", form(account.user.username.upper()))
    assert response.status_code == 422
    assert "That username is already taken." in await response.get_data(as_text=True)
    assert await count_users(web_engine) == 1


async def test_a_taken_email_in_other_letter_case_is_a_field_error(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    response = await post_form(
        client, "/register/", form(unique_name(), email=f"  {account.user.email.upper()} ")
    )
    assert response.status_code == 422
    assert "An account with that e-mail address already exists." in await response.get_data(
        as_text=True
    )
    assert await count_users(web_engine) == 1


async def test_two_racing_registrations_of_one_name_create_one_account(
    app: object, web_engine: AsyncEngine
) -> None:
    name = unique_name()
    clients = [app.test_client(), app.test_client()]  # type: ignore[attr-defined]
    tokens = [await csrf_token(c, "/register/") for c in clients]
    data = [
        form(name, email=f"first-{name}@example.com"),
        form(name.upper(), email=f"second-{name}@example.com"),
    ]
    responses = await asyncio.gather(
        *(
            c.post("/register/", form={**d, "csrf_token": t})
            for c, d, t in zip(clients, data, tokens, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [303, 422]
    assert await count_users(web_engine) == 1


async def test_registration_without_a_csrf_token_creates_nothing(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    await client.get("/register/")
    response = await client.post("/register/", form=form(unique_name()))
    assert response.status_code == 400
    assert await count_users(web_engine) == 0


async def test_nul_bytes_and_control_characters_are_field_errors(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    response = await post_form(
        client, "/register/", form("evil\x00name", email="a\x07b@example.com")
    )
    html = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count("control characters are not allowed") >= 2
    assert await count_users(web_engine) == 0


async def test_over_long_fields_are_field_errors(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    response = await post_form(
        client, "/register/", form("u" * 300, email="e" * 300 + "@example.com", password="p" * 300)
    )
    html = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Use at most 25 characters." in html
    assert "Use at most 254 characters." in html
    assert "Use at most 128 characters." in html
    assert await count_users(web_engine) == 0


async def test_invalid_utf8_in_the_body_is_a_field_error_not_a_crash(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    token = await csrf_token(client, "/register/")
    body = (
        b"username=caf%C3%28&email=x%FF%FE%40example.com&password=correct+horse+battery"
        b"&confirm=correct+horse+battery&csrf_token=" + token.encode()
    )
    response = await client.post(
        "/register/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
    assert await count_users(web_engine) == 0


async def test_a_body_over_one_mebibyte_is_refused_with_413(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    token = await csrf_token(client, "/register/")
    response = await client.post(
        "/register/",
        form={**form(unique_name()), "csrf_token": token, "pad": "x" * (1024 * 1024 + 1)},
    )
    assert response.status_code == 413
    assert "larger than this site accepts" in await response.get_data(as_text=True)
    assert await count_users(web_engine) == 0


async def test_a_new_account_gets_a_welcome_mail(client: QuartClient, outbox: Outbox) -> None:
    name = unique_name()
    await post_form(client, "/register/", form(name))
    welcome = await outbox.messages("Welcome to Gatehouse")
    assert [m["To"] for m in welcome] == [f"{name}@example.com"]
    body = welcome[0].get_body(preferencelist=("plain",))
    assert body is not None
    assert "your Gatehouse account is ready" in body.get_content()


async def test_an_empty_password_does_not_hide_the_username_and_email_errors(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    response = await post_form(
        client, "/register/", form("a b", email="not-an-address", password="", confirm="")
    )
    html = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Usernames are 3 to 25 letters" in html
    assert "Enter a valid e-mail address." in html
    assert 'id="password-error"' in html
    assert await count_users(web_engine) == 0
