"""The SQLAlchemy unit of work: rollback unless committed, events only after a commit."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.event_bus import EventBus
from domain import errors, events
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory


class Boom(Exception):
    """Raised inside a unit of work by the tests."""


async def is_stored(new_uow: UowFactory, user_id: UUID) -> bool:
    async with new_uow() as uow:
        return await uow.users.get(user_id) is not None


async def test_leaving_the_block_without_commit_rolls_back_written_rows(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    async with new_uow() as uow:
        uow.users.add(user)
        await uow.users.flush()
        assert await uow.users.get(user.id) is not None  # written, inside the transaction

    assert not await is_stored(new_uow, user.id)


async def test_an_added_user_is_not_stored_without_commit(new_uow: UowFactory) -> None:
    user = a_user()
    async with new_uow() as uow:
        uow.users.add(user)

    assert not await is_stored(new_uow, user.id)


async def test_an_exception_in_the_block_rolls_back_and_propagates(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    with pytest.raises(Boom):
        async with new_uow() as uow:
            uow.users.add(user)
            await uow.users.flush()
            raise Boom

    assert not await is_stored(new_uow, user.id)


async def test_a_domain_error_in_the_block_propagates_unchanged(new_uow: UowFactory) -> None:
    with pytest.raises(errors.InactiveUser):
        async with new_uow():
            raise errors.InactiveUser


async def test_committed_changes_are_visible_to_the_next_unit_of_work(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    async with new_uow() as uow:
        uow.users.add(user)
        await uow.commit()

    assert await is_stored(new_uow, user.id)


async def test_events_are_published_after_the_commit_made_the_change_visible(
    new_uow: UowFactory, bus: EventBus, published: list[events.Event]
) -> None:
    user = a_user()
    visible_when_published: list[bool] = []

    async def check_visibility(event: events.Event) -> None:
        visible_when_published.append(await is_stored(new_uow, user.id))

    bus.subscribe(events.UserRegistered, check_visibility)
    async with new_uow() as uow:
        uow.users.add(user)
        await uow.users.flush()
        assert published == []
        await uow.commit()

    [registered] = published
    assert isinstance(registered, events.UserRegistered)
    assert registered.user_id == user.id
    assert visible_when_published == [True]


async def test_events_of_fetched_users_and_loose_events_are_published_once(
    new_uow: UowFactory, published: list[events.Event]
) -> None:
    user = a_user()
    async with new_uow() as uow:
        uow.users.add(user)
        await uow.commit()
    published.clear()

    now = datetime.now(UTC)
    async with new_uow() as uow:
        fetched = await uow.users.get(user.id)
        assert fetched is not None
        fetched.record_login(now=now)
        uow.record(events.LoginFailed(occurred_at=now, login_digest="someone"))
        await uow.commit()
        await uow.commit()

    assert sorted(type(event).__name__ for event in published) == ["LoginFailed", "UserLoggedIn"]


async def test_nothing_is_published_for_a_rolled_back_block(
    new_uow: UowFactory, published: list[events.Event]
) -> None:
    async with new_uow() as uow:
        uow.users.add(a_user())
        uow.record(events.LoginFailed(occurred_at=datetime.now(UTC), login_digest="someone"))

    with pytest.raises(Boom):
        async with new_uow() as uow:
            uow.users.add(a_user())
            raise Boom

    assert published == []


async def test_nothing_is_published_when_the_commit_fails_on_a_unique_violation(
    new_uow: UowFactory, published: list[events.Event]
) -> None:
    first = a_user()
    async with new_uow() as uow:
        uow.users.add(first)
        await uow.commit()
    published.clear()

    clash = a_user(str(first.username).upper(), f"other.{first.email}")
    with pytest.raises(errors.UsernameTaken):
        async with new_uow() as uow:
            uow.users.add(clash)
            await uow.commit()

    assert published == []
    assert not await is_stored(new_uow, clash.id)


async def test_the_same_unit_of_work_can_be_entered_again(new_uow: UowFactory) -> None:
    uow = new_uow()
    user = a_user()
    async with uow:
        uow.users.add(user)
        await uow.commit()

    async with uow:
        fetched = await uow.users.get(user.id)
        assert fetched is not None
        fetched.first_name = "Again"
        await uow.commit()

    async with uow:
        reread = await uow.users.get(user.id)
        rolled_back = a_user()
        uow.users.add(rolled_back)

    assert reread is not None
    assert reread.first_name == "Again"
    assert not await is_stored(new_uow, rolled_back.id)


async def test_events_are_published_once_the_connection_is_back_in_the_pool(
    new_uow: UowFactory, clean_engine: AsyncEngine, bus: EventBus
) -> None:
    """A handler that opens its own unit of work (ending a deactivated account's
    sessions, say) must not wait for a connection its caller still holds."""
    held_when_published: list[int] = []

    async def count_held(event: events.Event) -> None:
        held_when_published.append(clean_engine.pool.checkedout())  # type: ignore[attr-defined]

    bus.subscribe(events.UserRegistered, count_held)
    async with new_uow() as uow:
        uow.users.add(a_user())
        await uow.commit()
    assert held_when_published == [0]
