"""GET/POST /reset-password/ and /reset-password/<token>, with the development mailer."""

from __future__ import annotations

from quart import Quart, Response
from quart.testing import QuartClient
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import CreateUser
from application.services import Services
from infrastructure.db.tables import users
from tests.conftest import unique_name
from tests.web.conftest import PASSWORD, Account, Outbox, csrf_token, post_form, sign_in

NEW_PASSWORD = "tide pools at noon"
RESET = "Reset your Gatehouse password"
SENT = "If an account uses that address, a link to choose a new password is on its way."


async def ask(client: QuartClient, email: str) -> Response:
    return await post_form(client, "/reset-password/", {"email": email})


async def choose(client: QuartClient, path: str, new: str, confirm: str | None = None) -> Response:
    data = {"new_password": new, "confirm": new if confirm is None else confirm}
    return await post_form(client, path, data, form_page="/reset-password/")


async def password_hash(engine: AsyncEngine, account: Account) -> str:
    query = select(users.c.password_hash).where(users.c.id == account.user.id)
    async with engine.connect() as connection:
        return str((await connection.execute(query)).scalar_one())


async def test_known_and_unknown_addresses_get_the_same_answer(
    client: QuartClient, account: Account, outbox: Outbox
) -> None:
    known = await ask(client, f"  {account.user.email.upper()} ")
    unknown = await ask(client, "nobody.at.all@example.com")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"] == "/reset-password/"
    page = await (await client.get("/reset-password/")).get_data(as_text=True)
    assert SENT in page
    sent = await outbox.messages(RESET)
    assert [m["To"] for m in sent] == [account.user.email]


async def test_the_link_sets_a_new_password_once_and_signs_everyone_out(
    app: Quart, client: QuartClient, account: Account, outbox: Outbox
) -> None:
    signed_in = app.test_client()
    await sign_in(signed_in, account.user.username)
    await ask(client, account.user.email)
    link = await outbox.link_for(account.user.email)

    form = await client.get(link)
    assert form.status_code == 200
    assert 'name="new_password"' in await form.get_data(as_text=True)
    done = await choose(client, link, NEW_PASSWORD)
    assert done.status_code == 303
    assert done.headers["Location"] == "/"
    assert "Your new password is set." in await (await client.get("/")).get_data(as_text=True)

    assert (await signed_in.get("/users/")).status_code == 303
    await sign_in(app.test_client(), account.user.username, NEW_PASSWORD)
    old = await post_form(
        app.test_client(), "/", {"login": account.user.username, "password": PASSWORD}
    )
    assert old.status_code == 400

    again = await client.get(link)
    assert again.status_code == 400
    assert "This link cannot be used" in await again.get_data(as_text=True)
    assert (await choose(client, link, "yet another passphrase")).status_code == 400


async def test_a_link_dies_when_the_password_changes_another_way(
    client: QuartClient, account: Account, outbox: Outbox
) -> None:
    await ask(client, account.user.email)
    link = await outbox.link_for(account.user.email)
    await sign_in(client, account.user.username)
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    changed = await post_form(client, "/users/me/password", data)
    assert changed.status_code == 303
    assert (await client.get(link)).status_code == 400


async def test_damaged_links_explain_themselves_and_change_nothing(
    client: QuartClient, account: Account, outbox: Outbox, web_engine: AsyncEngine
) -> None:
    await ask(client, account.user.email)
    link = await outbox.link_for(account.user.email)
    before = await password_hash(web_engine, account)
    token = link.rsplit("/", 1)[1]
    # Change a character in the middle of the signature: the last one carries unused
    # bits, so some changes there decode to the same signature.
    middle = len(token) - 10
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    damaged = [
        link[:-10],
        f"/reset-password/{flipped}",
        f"/reset-password/{token[:20]}",
        "/reset-password/not-a-token",
        "/reset-password/" + "x" * 600,
    ]
    for path in damaged:
        shown = await client.get(path)
        assert shown.status_code == 400, path
        assert "Ask for a new link" in await shown.get_data(as_text=True)
        assert (await choose(client, path, NEW_PASSWORD)).status_code == 400, path
    assert await password_hash(web_engine, account) == before


async def test_a_link_for_a_deleted_account_cannot_be_used(
    client: QuartClient, account: Account, outbox: Outbox, web_engine: AsyncEngine
) -> None:
    await ask(client, account.user.email)
    link = await outbox.link_for(account.user.email)
    async with web_engine.begin() as connection:
        await connection.execute(delete(users).where(users.c.id == account.user.id))
    assert (await client.get(link)).status_code == 400
    assert (await choose(client, link, NEW_PASSWORD)).status_code == 400


async def test_a_weak_or_mismatched_new_password_keeps_the_link_usable(
    client: QuartClient, account: Account, outbox: Outbox, web_engine: AsyncEngine
) -> None:
    await ask(client, account.user.email)
    link = await outbox.link_for(account.user.email)
    before = await password_hash(web_engine, account)
    weak = await choose(client, link, "password123")
    assert weak.status_code == 422
    assert "This password is too common." in await weak.get_data(as_text=True)
    mismatched = await choose(client, link, NEW_PASSWORD, "something else")
    assert "The passwords do not match." in await mismatched.get_data(as_text=True)
    assert await password_hash(web_engine, account) == before
    assert (await choose(client, link, NEW_PASSWORD)).status_code == 303


async def test_a_bad_address_is_a_field_error(client: QuartClient, outbox: Outbox) -> None:
    for email in ("not an address", "", "a\x00b@example.com"):
        response = await ask(client, email)
        assert response.status_code == 422, email
    assert await outbox.messages() == []


async def test_an_address_gets_three_links_an_hour_known_or_not(
    client: QuartClient, account: Account, outbox: Outbox
) -> None:
    for email in (account.user.email, "ghost.writer@example.com"):
        statuses = [(await ask(client, email)).status_code for _ in range(4)]
        assert statuses == [303, 303, 303, 429], email
    assert len(await outbox.messages(RESET)) == 3


async def test_asking_needs_a_csrf_token(client: QuartClient, outbox: Outbox) -> None:
    await client.get("/reset-password/")
    response = await client.post("/reset-password/", form={"email": "someone@example.com"})
    assert response.status_code == 400
    assert await outbox.messages() == []


async def test_the_sign_in_form_links_to_the_reset_page(client: QuartClient) -> None:
    html = await (await client.get("/")).get_data(as_text=True)
    assert 'href="/reset-password/"' in html
    token = await csrf_token(client, "/reset-password/")
    assert token


async def test_an_address_with_unicode_and_other_case_finds_its_account(
    client: QuartClient, services: Services, outbox: Outbox
) -> None:
    name = unique_name("zoe")
    await services.create_user(
        CreateUser(username=name, email=f"Zoë.{name}@Bücher.example", password=PASSWORD)
    )
    response = await ask(client, f"  ZOË.{name.upper()}@BÜCHER.EXAMPLE ")
    assert response.status_code == 303
    sent = await outbox.messages(RESET)
    assert [m["To"] for m in sent] == [f"Zoë.{name}@bücher.example"]
