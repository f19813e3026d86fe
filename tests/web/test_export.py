"""Export: everything Gatehouse holds about an account, as a JSON download, on the page
and in the API, without a key, hash, secret or code; a few an hour."""

from __future__ import annotations

import json

from quart import Quart
from quart.testing import QuartClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.services import Services
from infrastructure.db.tables import sessions, users
from tests.soft_authenticator import SoftAuthenticator
from tests.web.api_support import API, bearer, problem_of, token_for
from tests.web.conftest import Account, sign_in
from tests.web.test_passkeys import add
from tests.web.test_two_factor_sign_in import turn_on


async def stored_secrets(engine: AsyncEngine, account: Account) -> list[str]:
    async with engine.connect() as connection:
        hashes = (
            (
                await connection.execute(
                    select(users.c.password_hash).where(users.c.id == account.user.id)
                )
            )
            .scalars()
            .all()
        )
        keys = (
            (
                await connection.execute(
                    select(sessions.c.key_hash).where(sessions.c.user_id == account.user.id)
                )
            )
            .scalars()
            .all()
        )
    return [*hashes, *keys]


async def test_the_page_downloads_everything_about_the_account_and_no_secret(
    as_member: QuartClient, account: Account, services: Services, web_engine: AsyncEngine
) -> None:
    await add(as_member, SoftAuthenticator(rp_id="localhost", origin="http://localhost:8000"))
    secret, codes = await turn_on(services, account)
    response = await as_member.get("/users/me/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="gatehouse-{account.user.username}.json"'
    )
    text = await response.get_data(as_text=True)
    document = json.loads(text)
    assert document["account"]["username"] == account.user.username
    assert document["account"]["email"] == account.user.email
    assert document["two_factor"]["enabled"] is True
    assert [p["name"] for p in document["passkeys"]] == ["Laptop"]
    assert document["sessions"] and "key_hash" not in document["sessions"][0]
    kinds = {event["event_type"] for event in document["audit_events"]}
    assert {"UserLoggedIn", "PasskeyAdded", "TwoFactorEnabled"} <= kinds
    for hidden in (secret, *codes, *await stored_secrets(web_engine, account), "$argon2"):
        assert hidden not in text
    # The export is itself in the trail, from the next export on.
    again = json.loads(await (await as_member.get("/users/me/export")).get_data(as_text=True))
    assert "AccountExported" in {event["event_type"] for event in again["audit_events"]}


async def test_the_api_exports_the_same_document(client: QuartClient, account: Account) -> None:
    headers = bearer((await token_for(client, account.user.username))["token"])
    response = await client.get(f"{API}/users/me/export", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = await response.get_json()
    assert set(body) == {
        "exported_at",
        "account",
        "two_factor",
        "passkeys",
        "sessions",
        "trusted_browsers",
        "audit_events",
    }
    await problem_of(await client.get(f"{API}/users/me/export"), 401)


async def test_a_few_exports_an_hour(app: Quart, account: Account) -> None:
    client = app.test_client()
    await sign_in(client, account.user.username)
    statuses = [(await client.get("/users/me/export")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_signed_out_visitors_are_sent_to_sign_in(client: QuartClient) -> None:
    response = await client.get("/users/me/export")
    assert response.status_code == 303 and response.headers["Location"].startswith("/?next=")
