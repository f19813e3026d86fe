"""Security events land in the audit trail with the client's address."""

from __future__ import annotations

from quart.testing import QuartClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.db.tables import audit_events
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
