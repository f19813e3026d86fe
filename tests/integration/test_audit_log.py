"""The audit trail written by the real unit of work's commit, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import events
from domain.audit import AuditEntry
from domain.roles import ADMIN
from infrastructure.db.tables import audit_events
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

T0 = datetime(2026, 11, 26, 8, 0, 0, 250000, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def row_count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).select_from(audit_events)
        return int((await connection.execute(query)).scalar_one())


async def record(new_uow: UowFactory, *recorded: events.Event) -> None:
    async with new_uow() as uow:
        for event in recorded:
            uow.record(event)
        await uow.commit()


async def listed(
    new_uow: UowFactory,
    *,
    user_id: UUID | None = None,
    event_type: str | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    async with new_uow() as uow:
        return await uow.audit.list(user_id=user_id, event_type=event_type, limit=limit)


async def test_a_commit_writes_one_entry_per_recorded_event_with_who_whom_and_where(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user = a_user(created_at=at(0))
    user.grant_role(ADMIN, now=at(1))
    async with new_uow() as uow:
        uow.client_ip = "2001:db8::42"
        uow.users.add(user)
        uow.record(events.LoginFailed(occurred_at=at(2), login_digest="zoë@exämple.org"))
        await uow.commit()

    entries = await listed(new_uow)

    assert await row_count(clean_engine) == 3
    failed, granted, registered = entries
    assert (failed.event_type, failed.user_id, failed.actor_id) == ("LoginFailed", None, None)
    assert failed.details == {"login_digest": "zoë@exämple.org"}
    assert (granted.event_type, granted.user_id, granted.actor_id) == (
        "RoleGranted",
        user.id,
        user.id,
    )
    assert granted.details == {"role": ADMIN}
    assert registered.event_type == "UserRegistered"
    assert registered.details == {"username": str(user.username), "email": str(user.email)}
    assert [entry.occurred_at for entry in entries] == [at(2), at(1), at(0)]
    assert {entry.ip for entry in entries} == {"2001:db8::42"}


async def test_an_entry_names_the_actor_when_someone_else_acted(new_uow: UowFactory) -> None:
    admin, member = a_user(), a_user()
    async with new_uow() as uow:
        uow.users.add(admin)
        uow.users.add(member)
        await uow.commit()

    async with new_uow() as uow:
        uow.actor_id = admin.id
        fetched = await uow.users.get(member.id)
        assert fetched is not None
        fetched.deactivate(now=at(5))
        await uow.commit()

    [entry] = await listed(new_uow, event_type="UserDeactivated")
    assert (entry.user_id, entry.actor_id, entry.ip) == (member.id, admin.id, None)
    assert entry.details == {}


async def test_details_come_back_as_a_dict_of_strings(new_uow: UowFactory) -> None:
    user_id, session_id = uuid4(), uuid4()
    await record(
        new_uow,
        events.SessionRevoked(
            occurred_at=at(0), user_id=user_id, session_id=session_id, reason="signed out"
        ),
        events.SignInThrottled(occurred_at=at(1), login_digest="ann", retry_after=42),
    )

    throttled, revoked = await listed(new_uow)

    assert revoked.details == {"session_id": str(session_id), "reason": "signed out"}
    assert throttled.details == {"login_digest": "ann", "retry_after": "42"}
    assert type(throttled.details) is dict


async def test_list_is_newest_first_and_filters_by_user_and_event_type_within_the_limit(
    new_uow: UowFactory,
) -> None:
    ann, bob = uuid4(), uuid4()
    await record(
        new_uow,
        events.LoginFailed(occurred_at=at(3), login_digest="ann", user_id=ann),
        events.PasswordChanged(occurred_at=at(1), user_id=ann),
        events.LoginFailed(occurred_at=at(4), login_digest="bob", user_id=bob),
        events.LoginFailed(occurred_at=at(2), login_digest="ann", user_id=ann),
        events.PasswordChanged(occurred_at=at(5), user_id=bob),
    )

    def times(entries: list[AuditEntry]) -> list[datetime]:
        return [entry.occurred_at for entry in entries]

    assert times(await listed(new_uow)) == [at(5), at(4), at(3), at(2), at(1)]
    assert times(await listed(new_uow, limit=2)) == [at(5), at(4)]
    assert times(await listed(new_uow, user_id=ann)) == [at(3), at(2), at(1)]
    assert times(await listed(new_uow, event_type="LoginFailed")) == [at(4), at(3), at(2)]
    assert times(await listed(new_uow, user_id=ann, event_type="LoginFailed")) == [at(3), at(2)]
    assert times(await listed(new_uow, user_id=ann, limit=1)) == [at(3)]


async def test_nothing_is_written_when_the_block_is_left_without_commit(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    async with new_uow() as uow:
        uow.client_ip = "203.0.113.9"
        uow.users.add(a_user())
        uow.record(events.LoginFailed(occurred_at=at(0), login_digest="ann"))
        uow.audit.add(AuditEntry.of(events.LoginFailed(occurred_at=at(1), login_digest="bob")))
        await uow.audit.flush()  # sent inside the transaction, then rolled back

    assert await row_count(clean_engine) == 0
    assert await listed(new_uow) == []
