"""The unit of work: rolled back unless committed; events published only after a commit."""

from __future__ import annotations

import pytest

from application.services import Services
from application.unit_of_work import UnitOfWork
from domain import errors, events
from domain.users import User
from domain.values import EmailAddress, PasswordHash, Username
from tests.fakes import FakeClock, FakeState, RecordingBus
from tests.unit.application.helpers import SignUp


@pytest.fixture
def uow(services: Services) -> UnitOfWork:
    return services.uow_factory()


@pytest.fixture
def alice(clock: FakeClock) -> User:
    return User.register(
        Username("alice"), EmailAddress("alice@example.com"), PasswordHash("h"), now=clock.now()
    )


async def test_leaving_without_commit_rolls_back_and_publishes_nothing(
    uow: UnitOfWork, state: FakeState, bus: RecordingBus, alice: User
) -> None:
    async with uow:
        uow.users.add(alice)
    assert state.users == {}
    assert (state.commits, state.rollbacks) == (0, 1)
    assert bus.published == []


async def test_an_exception_inside_the_block_rolls_back_and_propagates(
    uow: UnitOfWork, state: FakeState, bus: RecordingBus, alice: User
) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with uow:
            uow.users.add(alice)
            raise RuntimeError("boom")
    assert state.users == {}
    assert state.rollbacks == 1
    assert bus.published == []


async def test_events_are_published_after_the_commit_not_before(
    uow: UnitOfWork, state: FakeState, bus: RecordingBus, alice: User
) -> None:
    committed_when_published: list[bool] = []

    async def note(event: events.Event) -> None:
        committed_when_published.append(alice.id in state.users)

    bus.subscribe(events.UserRegistered, note)
    async with uow:
        uow.users.add(alice)
        assert bus.published == []
        await uow.commit()
    assert committed_when_published == [True]
    assert [type(event) for event in bus.published] == [events.UserRegistered]
    assert (state.commits, state.rollbacks) == (1, 0)


async def test_a_commit_that_fails_publishes_nothing_and_rolls_back(
    uow: UnitOfWork, state: FakeState, bus: RecordingBus, sign_up: SignUp, alice: User
) -> None:
    await sign_up("ALICE", "someone@example.com")
    bus.published.clear()
    with pytest.raises(errors.UsernameTaken):
        async with uow:
            uow.users.add(alice)
            await uow.commit()
    assert alice.id not in state.users
    assert bus.published == []


async def test_changes_to_a_loaded_user_are_saved_and_announced_on_commit(
    uow: UnitOfWork, state: FakeState, bus: RecordingBus, clock: FakeClock, sign_up: SignUp
) -> None:
    detail = await sign_up("alice")
    bus.published.clear()
    async with uow:
        user = await uow.users.get(detail.id)
        assert user is not None
        user.grant_role("admin", now=clock.now())
        await uow.commit()
    assert state.users[detail.id].roles == {"admin"}
    assert bus.published == [
        events.RoleGranted(occurred_at=clock.now(), user_id=detail.id, role="admin")
    ]


async def test_events_are_published_once_even_when_committing_twice(
    uow: UnitOfWork, bus: RecordingBus, alice: User
) -> None:
    async with uow:
        uow.users.add(alice)
        await uow.commit()
        await uow.commit()
    assert [type(event) for event in bus.published] == [events.UserRegistered]


async def test_a_recorded_event_is_published_on_commit(
    uow: UnitOfWork, bus: RecordingBus, clock: FakeClock
) -> None:
    failed = events.LoginFailed(occurred_at=clock.now(), login_digest="nobody")
    async with uow:
        uow.record(failed)
        await uow.commit()
    assert bus.published == [failed]


async def test_a_recorded_event_is_dropped_with_a_rollback_and_not_carried_over(
    uow: UnitOfWork, bus: RecordingBus, clock: FakeClock
) -> None:
    async with uow:
        uow.record(events.LoginFailed(occurred_at=clock.now(), login_digest="nobody"))
    async with uow:
        await uow.commit()
    assert bus.published == []
