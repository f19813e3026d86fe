"""Security events land in the audit trail with the client's address."""

from __future__ import annotations

import json
import logging

import pytest
from quart.testing import QuartClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.tables import audit_events
from tests.web.api_support import API
from tests.web.conftest import Account, post_form, sign_in


async def trail(engine: AsyncEngine) -> list[tuple[str, str | None, str | None]]:
    query = select(audit_events.c.event_type, audit_events.c.user_id, audit_events.c.ip)
    async with engine.connect() as connection:
        rows = (await connection.execute(query.order_by(audit_events.c.occurred_at))).all()
    return [(row.event_type, str(row.user_id) if row.user_id else None, row.ip) for row in rows]


async def test_sign_in_failure_success_and_sign_out_are_audited(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    await post_form(client, "/", {"login": account.user.username, "password": "wrong one"})
    await sign_in(client, account.user.username)
    await post_form(client, "/logout/", {}, form_page="/logout/")
    me = str(account.user.id)
    recorded = [entry for entry in await trail(web_engine) if entry[0] != "UserRegistered"]
    assert recorded == [
        ("LoginFailed", me, "127.0.0.1"),
        ("UserLoggedIn", me, "127.0.0.1"),
        ("UserLoggedOut", me, "127.0.0.1"),
    ]


async def test_a_failed_sign_in_for_an_unknown_name_is_audited_without_a_user(
    client: QuartClient, web_engine: AsyncEngine
) -> None:
    await post_form(client, "/", {"login": "ghost", "password": "whatever it is"})
    assert await trail(web_engine) == [("LoginFailed", None, "127.0.0.1")]


async def details(engine: AsyncEngine, event_type: str) -> list[dict[str, str]]:
    query = select(audit_events.c.details).where(audit_events.c.event_type == event_type)
    async with engine.connect() as connection:
        return [dict(row.details) for row in await connection.execute(query)]


async def test_a_password_typed_into_the_login_box_reaches_neither_trail_nor_log(
    client: QuartClient, web_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    typed = "Tr0ub4dor&3 horse"
    caplog.set_level(logging.INFO)
    for login in (typed, typed.upper(), "someone else"):
        await client.post(f"{API}/sessions", json={"login": login, "password": "whatever it is"})
    recorded = await details(web_engine, "LoginFailed")
    assert typed.casefold() not in json.dumps(recorded).casefold()
    assert "LoginFailed" in caplog.text
    assert typed.casefold() not in caplog.text.casefold()
    digests = [entry["login_digest"] for entry in recorded]
    assert digests[0] == digests[1] != digests[2]  # the same name, whatever its case


async def test_a_failed_sign_in_for_an_account_records_the_account_not_what_was_typed(
    client: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    await client.post(
        f"{API}/sessions", json={"login": account.user.email.upper(), "password": "wrong one"}
    )
    assert ("LoginFailed", str(account.user.id), "127.0.0.1") in await trail(web_engine)
    assert await details(web_engine, "LoginFailed") == [{}]
