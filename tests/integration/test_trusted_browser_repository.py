"""The trusted-browser repository over Core tables, and the second factor kept with each
session, through the real unit of work on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.revocation import end_sessions
from domain.sessions import SecondFactor, Session, SessionPolicy, new_session_key
from domain.trusted_browsers import TrustedBrowser, hash_trust_token, new_trust_token
from domain.users import User
from infrastructure.db.tables import audit_events
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

NOW = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)
DAYS_30 = timedelta(days=30)
POLICY = SessionPolicy(idle_timeout=timedelta(hours=2), lifetime=timedelta(days=14))


async def a_member(new_uow: UowFactory) -> User:
    user = a_user()
    async with new_uow() as uow:
        uow.users.add(user)
        await uow.commit()
    return user


async def trusted(new_uow: UowFactory, user: User, *, at: datetime = NOW) -> str:
    token = new_trust_token()
    async with new_uow() as uow:
        uow.client_ip = "198.51.100.4"
        uow.trusted_browsers.add(
            TrustedBrowser.trust(
                user.id, token, now=at, lifetime=DAYS_30, user_agent="Firefox", ip="198.51.100.4"
            )
        )
        await uow.commit()
    return token


async def test_a_browser_is_found_by_its_tokens_digest_as_stored_and_audited(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user = await a_member(new_uow)
    token = await trusted(new_uow, user)
    async with new_uow() as uow:
        found = await uow.trusted_browsers.get_by_token(hash_trust_token(token))
        assert await uow.trusted_browsers.get_by_token(token) is None  # never the token itself
    assert found is not None
    assert (found.user_id, found.created_at, found.expires_at, found.last_used_at) == (
        user.id,
        NOW,
        NOW + DAYS_30,
        NOW,
    )
    assert (found.user_agent, found.ip, found.revoked_at) == ("Firefox", "198.51.100.4", None)
    async with clean_engine.connect() as connection:
        rows = (
            await connection.execute(select(audit_events.c.event_type, audit_events.c.ip))
        ).all()
    assert ("BrowserTrusted", "198.51.100.4") in [tuple(row) for row in rows]


async def test_a_use_and_a_forgetting_are_written_on_commit(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    token = await trusted(new_uow, user)
    later = NOW + timedelta(days=2)
    async with new_uow() as uow:
        found = await uow.trusted_browsers.get_by_token(hash_trust_token(token))
        assert found is not None
        found.use(now=later)
        await uow.commit()
    async with new_uow() as uow:
        (listed,) = await uow.trusted_browsers.list_for_user(user.id)
        assert listed.last_used_at == later
        listed.forget(now=later, reason="forgotten by the user")
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.trusted_browsers.list_for_user(user.id) == []
        gone = await uow.trusted_browsers.get(listed.id)
    assert gone is not None and gone.revoked_at == later


async def test_the_list_is_the_accounts_own_newest_first(new_uow: UowFactory) -> None:
    user, other = await a_member(new_uow), await a_member(new_uow)
    await trusted(new_uow, user)
    await trusted(new_uow, user, at=NOW + timedelta(hours=1))
    await trusted(new_uow, other)
    async with new_uow() as uow:
        listed = await uow.trusted_browsers.list_for_user(user.id)
    assert [browser.created_at for browser in listed] == [NOW + timedelta(hours=1), NOW]


async def test_stale_browsers_are_removed_and_live_ones_kept(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    await trusted(new_uow, user, at=NOW - timedelta(days=31))  # expired
    forgotten = await trusted(new_uow, user, at=NOW - timedelta(days=1))
    await trusted(new_uow, user)  # live
    async with new_uow() as uow:
        found = await uow.trusted_browsers.get_by_token(hash_trust_token(forgotten))
        assert found is not None
        found.forget(now=NOW - timedelta(hours=1), reason="password changed")
        await uow.commit()
    async with new_uow() as uow:
        await uow.trusted_browsers.remove_stale(user.id, now=NOW)
        await uow.commit()
    async with new_uow() as uow:
        left = await uow.trusted_browsers.list_for_user(user.id)
        gone = await uow.trusted_browsers.get_by_token(hash_trust_token(forgotten))
    assert [browser.created_at for browser in left] == [NOW] and gone is None


async def test_ending_the_sessions_forgets_every_browser_in_the_same_transaction(
    new_uow: UowFactory,
) -> None:
    user = await a_member(new_uow)
    await trusted(new_uow, user)
    await trusted(new_uow, user)
    async with new_uow() as uow:
        await end_sessions(uow, user.id, now=NOW, reason="password changed")
        # not committed: rolled back
    async with new_uow() as uow:
        assert len(await uow.trusted_browsers.list_for_user(user.id)) == 2
        await end_sessions(uow, user.id, now=NOW, reason="password changed")
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.trusted_browsers.list_for_user(user.id) == []


async def test_a_session_keeps_what_proved_its_second_factor(new_uow: UowFactory) -> None:
    user = await a_member(new_uow)
    started = {}
    for proof in (None, *SecondFactor):
        session = Session.start(
            user.id,
            new_session_key(),
            now=NOW,
            policy=POLICY,
            persistent=False,
            second_factor=proof,
        )
        started[session.id] = proof
        async with new_uow() as uow:
            uow.sessions.add(session)
            await uow.commit()
    async with new_uow() as uow:
        stored = {
            session.id: session.second_factor
            for session in await uow.sessions.list_for_user(user.id)
        }
    assert stored == started
    assert all(proof is None or isinstance(proof, SecondFactor) for proof in stored.values())
