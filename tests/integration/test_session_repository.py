"""The session repository over Core tables, through the real unit of work, on both backends."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.roles import ADMIN, Role
from domain.sessions import Session, SessionPolicy, hash_session_key, new_session_key
from domain.users import User
from infrastructure.db.tables import sessions, users
from tests.conftest import statements_on
from tests.integration.builders import a_user, snapshot
from tests.integration.conftest import UowFactory

POLICY = SessionPolicy(idle_timeout=timedelta(hours=2), lifetime=timedelta(days=14))
STARTED = datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=UTC)


def a_session(
    user: User, *, now: datetime = STARTED, key: str | None = None, api_token: bool = False
) -> Session:
    return Session.start(
        user.id,
        key or new_session_key(),
        now=now,
        policy=POLICY,
        persistent=True,
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        ip="2001:db8::7",
        api_token=api_token,
    )


def stored_fields(session: Session) -> dict[str, Any]:
    """Everything stored about a session; ``Session`` compares by identity."""
    return {
        field.name: getattr(session, field.name)
        for field in dataclasses.fields(session)
        if field.name != "events"
    }


async def store(new_uow: UowFactory, *aggregates: User | Session) -> None:
    async with new_uow() as uow:
        for aggregate in aggregates:
            if isinstance(aggregate, User):
                uow.users.add(aggregate)
            else:
                uow.sessions.add(aggregate)
        await uow.commit()


async def fetch(new_uow: UowFactory, session_id: UUID) -> Session:
    async with new_uow() as uow:
        session = await uow.sessions.get(session_id)
    assert session is not None
    return session


async def test_a_started_session_comes_back_with_everything_it_was_started_with(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    session = a_session(user)

    await store(new_uow, user, session)

    fetched = await fetch(new_uow, session.id)
    assert stored_fields(fetched) == stored_fields(session)
    assert fetched.created_at.tzinfo == UTC
    assert fetched.revoked_at is None


async def test_an_api_token_session_comes_back_marked_as_one(new_uow: UowFactory) -> None:
    user = a_user()
    token, browser = a_session(user, api_token=True), a_session(user)

    await store(new_uow, user, token, browser)

    assert (await fetch(new_uow, token.id)).api_token is True
    assert (await fetch(new_uow, browser.id)).api_token is False


async def test_get_with_user_reads_the_session_and_its_user_with_roles_in_one_statement(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    now = datetime.now(UTC)
    auditor = Role.create("auditor", "Reads the audit trail", now=now)
    user = a_user()
    user.grant_role(ADMIN, now=now)
    user.grant_role(auditor.name, now=now)
    key = new_session_key()
    session = a_session(user, key=key)
    async with new_uow() as uow:
        uow.roles.add(auditor)
        uow.users.add(user)
        uow.sessions.add(session)
        await uow.commit()

    async with new_uow() as uow:
        with statements_on(clean_engine) as sent:
            found = await uow.sessions.get_with_user(hash_session_key(key))

    assert len(sent) == 1
    assert found is not None
    fetched_session, fetched_user = found
    assert stored_fields(fetched_session) == stored_fields(session)
    assert snapshot(fetched_user) == snapshot(user)
    assert fetched_user.roles == {ADMIN, "auditor"}


async def test_get_with_user_gives_a_user_without_roles_an_empty_set(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    key = new_session_key()
    await store(new_uow, user, a_session(user, key=key))

    async with new_uow() as uow:
        found = await uow.sessions.get_with_user(hash_session_key(key))

    assert found is not None
    assert found[1].roles == set()


async def test_get_with_user_gives_none_for_an_unknown_key_hash(new_uow: UowFactory) -> None:
    user = a_user()
    await store(new_uow, user, a_session(user))

    async with new_uow() as uow:
        assert await uow.sessions.get_with_user(hash_session_key(new_session_key())) is None


async def test_list_for_user_gives_the_users_live_sessions_most_recently_used_first(
    new_uow: UowFactory,
) -> None:
    user, other = a_user(), a_user()
    oldest = a_session(user, now=STARTED)
    newest = a_session(user, now=STARTED + timedelta(hours=2))
    middle = a_session(user, now=STARTED + timedelta(hours=1))
    revoked = a_session(user, now=STARTED + timedelta(hours=3))
    revoked.revoke(now=STARTED + timedelta(hours=4), reason="test")
    someone_elses = a_session(other, now=STARTED + timedelta(hours=5))
    await store(new_uow, user, other, oldest, newest, middle, revoked, someone_elses)

    async with new_uow() as uow:
        listed = await uow.sessions.list_for_user(user.id)

    assert [session.id for session in listed] == [newest.id, middle.id, oldest.id]


async def test_revoke_all_revokes_every_live_session_but_the_kept_one_and_returns_their_ids(
    new_uow: UowFactory,
) -> None:
    user, other = a_user(), a_user()
    kept, second, third = a_session(user), a_session(user), a_session(user)
    earlier = STARTED + timedelta(minutes=5)
    already_revoked = a_session(user)
    already_revoked.revoke(now=earlier, reason="test")
    someone_elses = a_session(other)
    await store(new_uow, user, other, kept, second, third, already_revoked, someone_elses)
    now = STARTED + timedelta(hours=1)

    async with new_uow() as uow:
        revoked = await uow.sessions.revoke_all(user.id, now=now, except_id=kept.id)
        await uow.commit()

    assert sorted(revoked) == sorted([second.id, third.id])
    assert (await fetch(new_uow, second.id)).revoked_at == now
    assert (await fetch(new_uow, third.id)).revoked_at == now
    assert (await fetch(new_uow, kept.id)).revoked_at is None
    assert (await fetch(new_uow, already_revoked.id)).revoked_at == earlier
    assert (await fetch(new_uow, someone_elses.id)).revoked_at is None


async def test_revoke_all_without_a_kept_session_revokes_them_all(new_uow: UowFactory) -> None:
    user = a_user()
    first, second = a_session(user), a_session(user)
    await store(new_uow, user, first, second)

    async with new_uow() as uow:
        revoked = await uow.sessions.revoke_all(user.id, now=STARTED + timedelta(hours=1))
        await uow.commit()

    assert sorted(revoked) == sorted([first.id, second.id])
    async with new_uow() as uow:
        assert await uow.sessions.list_for_user(user.id) == []


async def test_revoke_all_marks_sessions_already_handed_out_as_revoked(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    session = a_session(user)
    await store(new_uow, user, session)
    now = STARTED + timedelta(hours=1)

    async with new_uow() as uow:
        fetched = await uow.sessions.get(session.id)
        await uow.sessions.revoke_all(user.id, now=now)
        await uow.commit()

    assert fetched is not None
    assert fetched.revoked_at == now
    assert (await fetch(new_uow, session.id)).revoked_at == now


async def test_a_touch_before_revoke_all_is_still_written(new_uow: UowFactory) -> None:
    user = a_user()
    session = a_session(user)
    await store(new_uow, user, session)
    later = STARTED + timedelta(minutes=10)

    async with new_uow() as uow:
        fetched = await uow.sessions.get(session.id)
        assert fetched is not None
        assert fetched.touch(now=later, policy=POLICY)
        await uow.sessions.revoke_all(user.id, now=later)
        await uow.commit()

    stored = await fetch(new_uow, session.id)
    assert stored.last_seen_at == later
    assert stored.revoked_at == later


async def test_a_touched_session_is_written_on_commit_without_a_save_call(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    key = new_session_key()
    await store(new_uow, user, a_session(user, key=key))
    later = STARTED + timedelta(minutes=10)

    async with new_uow() as uow:
        found = await uow.sessions.get_with_user(hash_session_key(key))
        assert found is not None
        session = found[0]
        assert session.touch(now=later, policy=POLICY)
        await uow.commit()

    assert (await fetch(new_uow, session.id)).last_seen_at == later


async def test_a_revoked_session_is_written_on_commit_without_a_save_call(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    session = a_session(user)
    await store(new_uow, user, session)
    later = STARTED + timedelta(minutes=10)

    async with new_uow() as uow:
        fetched = await uow.sessions.get(session.id)
        assert fetched is not None
        fetched.revoke(now=later, reason="revoked by the user")
        await uow.commit()

    assert (await fetch(new_uow, session.id)).revoked_at == later


async def test_changes_to_a_fetched_session_are_not_written_without_commit(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    session = a_session(user)
    await store(new_uow, user, session)
    later = STARTED + timedelta(minutes=10)

    async with new_uow() as uow:
        fetched = await uow.sessions.get(session.id)
        assert fetched is not None
        assert fetched.touch(now=later, policy=POLICY)
        fetched.sign_out(now=later)

    stored = await fetch(new_uow, session.id)
    assert stored.last_seen_at == STARTED
    assert stored.revoked_at is None


async def test_an_unchanged_fetched_session_is_not_written(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user = a_user()
    session = a_session(user)
    await store(new_uow, user, session)

    async with new_uow() as uow:
        fetched = await uow.sessions.get(session.id)
        assert fetched is not None
        assert not fetched.touch(now=STARTED + timedelta(seconds=10), policy=POLICY)
        with statements_on(clean_engine) as sent:
            await uow.commit()

    assert not [sql for sql in sent if sql.lstrip().upper().startswith("UPDATE")]


async def test_deleting_a_user_deletes_their_sessions(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user, other = a_user(), a_user()
    kept = a_session(other)
    await store(new_uow, user, other, a_session(user), a_session(user), kept)

    async with clean_engine.begin() as connection:
        await connection.execute(delete(users).where(users.c.id == user.id))

    async with clean_engine.connect() as connection:
        left = (
            await connection.execute(
                select(sessions.c.user_id, func.count()).group_by(sessions.c.user_id)
            )
        ).all()
    assert [tuple(row) for row in left] == [(other.id, 1)]
