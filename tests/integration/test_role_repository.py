"""The role repository over Core tables, through the real unit of work, on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import errors
from domain.roles import ADMIN, Role
from infrastructure.db.tables import roles
from tests.conftest import statements_on
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

NOW = datetime(2026, 11, 26, 10, 30, 0, 123456, tzinfo=UTC)
RACE_TIMEOUT_S = 20


async def store(new_uow: UowFactory, *added: Role) -> None:
    async with new_uow() as uow:
        for role in added:
            uow.roles.add(role)
        await uow.commit()


async def fetched(new_uow: UowFactory, name: str) -> Role | None:
    async with new_uow() as uow:
        return await uow.roles.get(name)


async def rows_named(engine: AsyncEngine, name: str) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).select_from(roles).where(roles.c.name == name)
        return int((await connection.execute(query)).scalar_one())


async def test_an_added_role_comes_back_with_its_id_name_description_and_time(
    new_uow: UowFactory,
) -> None:
    role = Role.create("Editor", "Edits pages.", now=NOW.astimezone(timezone(timedelta(hours=2))))
    await store(new_uow, role)

    found = await fetched(new_uow, "editor")

    assert found is not None
    assert (found.id, found.name, found.description) == (role.id, "editor", "Edits pages.")
    assert found.created_at == NOW
    assert found.created_at.utcoffset() == timedelta(0)
    assert found.built_in is False


async def test_an_unknown_name_finds_no_role(new_uow: UowFactory) -> None:
    assert await fetched(new_uow, "nobody-has-this") is None


async def test_the_migrated_admin_role_is_there_and_built_in(new_uow: UowFactory) -> None:
    admin = await fetched(new_uow, ADMIN)

    assert admin is not None
    assert admin.built_in is True


async def test_a_changed_description_is_written_on_commit_without_a_save(
    new_uow: UowFactory,
) -> None:
    await store(new_uow, Role.create("editor", "Edits pages.", now=NOW))

    async with new_uow() as uow:
        role = await uow.roles.get("editor")
        assert role is not None
        role.describe("Edits and publishes pages.", now=NOW)
        await uow.commit()

    found = await fetched(new_uow, "editor")
    assert found is not None
    assert found.description == "Edits and publishes pages."


async def test_a_changed_description_is_lost_without_a_commit(new_uow: UowFactory) -> None:
    await store(new_uow, Role.create("editor", "Edits pages.", now=NOW))

    async with new_uow() as uow:
        role = await uow.roles.get("editor")
        assert role is not None
        role.describe("Never written.", now=NOW)
        await uow.roles.flush()  # sent inside the transaction, then rolled back

    found = await fetched(new_uow, "editor")
    assert found is not None
    assert found.description == "Edits pages."


async def test_an_unchanged_role_is_not_written_again(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    await store(new_uow, Role.create("editor", "Edits pages.", now=NOW))

    async with new_uow() as uow:
        role = await uow.roles.get("editor")
        assert role is not None
        role.describe("  Edits pages.  ", now=NOW)  # the same text once cleaned
        with statements_on(clean_engine) as sent:
            await uow.commit()

    assert not [sql for sql in sent if sql.lstrip().upper().startswith(("UPDATE", "INSERT"))]


async def test_a_removed_role_is_deleted_on_commit(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    await store(new_uow, Role.create("editor", "", now=NOW), Role.create("viewer", "", now=NOW))

    async with new_uow() as uow:
        role = await uow.roles.get("editor")
        assert role is not None
        role.delete(members=0, now=NOW)
        uow.roles.remove(role)
        await uow.commit()

    assert await fetched(new_uow, "editor") is None
    assert await rows_named(clean_engine, "editor") == 0
    assert await fetched(new_uow, "viewer") is not None


async def test_list_with_members_counts_holders_by_name_in_one_statement(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    holders = [a_user() for _ in range(3)]
    for user in holders:
        user.grant_role("editor", now=NOW)
    holders[0].grant_role(ADMIN, now=NOW)
    holders[2].deactivate(now=NOW)  # still a holder
    async with new_uow() as uow:
        uow.roles.add(Role.create("editor", "Edits pages.", now=NOW))
        uow.roles.add(Role.create("unused", "Nobody yet.", now=NOW))
        for user in [*holders, a_user()]:
            uow.users.add(user)
        await uow.commit()

    async with new_uow() as uow:
        with statements_on(clean_engine) as sent:
            listed = await uow.roles.list_with_members()

    assert [(role.name, members) for role, members in listed] == [
        (ADMIN, 1),
        ("editor", 3),
        ("unused", 0),
    ]
    assert [role.description for role, _ in listed][1:] == ["Edits pages.", "Nobody yet."]
    assert len(sent) == 1, sent


async def test_count_members_counts_holders_of_one_role(new_uow: UowFactory) -> None:
    holder = a_user()
    holder.grant_role("editor", now=NOW)
    async with new_uow() as uow:
        uow.roles.add(Role.create("editor", "", now=NOW))
        uow.users.add(holder)
        uow.users.add(a_user())
        await uow.commit()

    async with new_uow() as uow:
        counts = [await uow.roles.count_members(name) for name in ("editor", ADMIN, "missing")]

    assert counts == [1, 0, 0]


async def test_racing_creations_of_one_name_let_exactly_one_commit(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    all_checked = asyncio.Barrier(2)

    async def create(raw_name: str, description: str) -> None:
        async with new_uow() as uow:
            assert await uow.roles.get("editor") is None
            await all_checked.wait()
            uow.roles.add(Role.create(raw_name, description, now=NOW))
            await uow.commit()

    async with asyncio.timeout(RACE_TIMEOUT_S):
        outcomes = await asyncio.gather(
            create("editor", "First."), create("EDITOR", "Second."), return_exceptions=True
        )

    assert outcomes.count(None) == 1, outcomes
    [failure] = [outcome for outcome in outcomes if outcome is not None]
    assert isinstance(failure, errors.RoleAlreadyExists)
    assert failure.field == "name"
    assert isinstance(failure.__cause__, IntegrityError)
    assert await rows_named(clean_engine, "editor") == 1


async def test_a_sequential_duplicate_becomes_role_already_exists(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    await store(new_uow, Role.create("editor", "", now=NOW))

    with pytest.raises(errors.RoleAlreadyExists):
        await store(new_uow, Role.create("Editor", "Again.", now=NOW))

    assert await rows_named(clean_engine, "editor") == 1
