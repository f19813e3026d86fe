"""The user repository over Core tables, through the real unit of work, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.event_bus import EventBus
from domain.roles import ADMIN, Role
from domain.users import User
from infrastructure.db.tables import user_roles
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from tests.conftest import statements_on, unique_name
from tests.fakes import FakeClock
from tests.integration.builders import a_user, snapshot
from tests.integration.conftest import UowFactory

BERLIN_SUMMER = timezone(timedelta(hours=2))


async def store(new_uow: UowFactory, *users: User) -> None:
    async with new_uow() as uow:
        for user in users:
            uow.users.add(user)
        await uow.commit()


async def test_a_committed_user_comes_back_equal_by_id_with_its_roles(
    new_uow: UowFactory,
) -> None:
    user = a_user()
    user.grant_role(ADMIN, now=datetime.now(UTC))
    user.record_login(now=datetime.now(UTC))
    await store(new_uow, user)

    async with new_uow() as uow:
        fetched = await uow.users.get(user.id)

    assert fetched is not None
    assert snapshot(fetched) == snapshot(user)
    assert fetched.roles == {ADMIN}


async def test_get_by_login_finds_the_user_by_username_in_other_letter_case(
    new_uow: UowFactory,
) -> None:
    user = a_user(unique_name("Ann"))
    user.grant_role(ADMIN, now=datetime.now(UTC))
    await store(new_uow, user)

    async with new_uow() as uow:
        upper = await uow.users.get_by_login(str(user.username).upper())
        lower = await uow.users.get_by_login(f"  {str(user.username).lower()} ")

    assert upper is not None
    assert lower is not None
    assert snapshot(upper) == snapshot(user)
    assert snapshot(lower) == snapshot(user)


async def test_get_by_login_finds_the_user_by_email_in_other_letter_case(
    new_uow: UowFactory,
) -> None:
    name = unique_name("Bea")
    user = a_user(name, f"{name}.Smith@Example.ORG")
    user.grant_role(ADMIN, now=datetime.now(UTC))
    await store(new_uow, user)

    async with new_uow() as uow:
        fetched = await uow.users.get_by_login(f"{name}.smith@example.org".upper())

    assert fetched is not None
    assert snapshot(fetched) == snapshot(user)
    assert str(fetched.email) == f"{name}.Smith@example.org"


async def test_unknown_ids_and_logins_find_nobody(new_uow: UowFactory) -> None:
    await store(new_uow, a_user())

    async with new_uow() as uow:
        by_id = await uow.users.get(a_user().id)
        by_login = await uow.users.get_by_login(unique_name("nobody"))

    assert by_id is None
    assert by_login is None


async def test_timestamps_come_back_as_the_same_instant_in_utc(new_uow: UowFactory) -> None:
    created = datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=BERLIN_SUMMER)
    user = a_user(created_at=created)
    user.record_login(now=created + timedelta(minutes=5))
    await store(new_uow, user)

    async with new_uow() as uow:
        fetched = await uow.users.get(user.id)

    assert fetched is not None
    assert fetched.created_at == datetime(2026, 7, 1, 7, 30, 15, 123456, tzinfo=UTC)
    assert fetched.created_at.utcoffset() == timedelta(0)
    assert fetched.last_login_at == datetime(2026, 7, 1, 7, 35, 15, 123456, tzinfo=UTC)
    assert fetched.last_login_at is not None
    assert fetched.last_login_at.utcoffset() == timedelta(0)


async def test_a_never_signed_in_user_has_no_last_login(new_uow: UowFactory) -> None:
    user = a_user()
    await store(new_uow, user)

    async with new_uow() as uow:
        fetched = await uow.users.get(user.id)

    assert fetched is not None
    assert fetched.last_login_at is None
    assert fetched.roles == set()


async def test_changes_to_a_fetched_user_are_written_on_commit_without_a_save(
    new_uow: UowFactory,
) -> None:
    now = datetime.now(UTC)
    user = a_user()
    user.grant_role(ADMIN, now=now)
    async with new_uow() as uow:
        uow.roles.add(Role.create("editor", "Edits pages.", now=now))
        uow.users.add(user)
        await uow.commit()

    async with new_uow() as uow:
        fetched = await uow.users.get(user.id)
        assert fetched is not None
        fetched.first_name = "Grace"
        fetched.last_name = "Hopper"
        fetched.deactivate(now=now)
        fetched.grant_role("editor", now=now)
        fetched.revoke_role(ADMIN, now=now)
        await uow.commit()

    async with new_uow() as uow:
        reread = await uow.users.get(user.id)

    assert reread is not None
    assert (reread.first_name, reread.last_name) == ("Grace", "Hopper")
    assert reread.active is False
    assert reread.roles == {"editor"}


async def test_a_user_fetched_by_login_is_tracked_too(new_uow: UowFactory) -> None:
    user = a_user()
    await store(new_uow, user)

    async with new_uow() as uow:
        fetched = await uow.users.get_by_login(str(user.email))
        assert fetched is not None
        fetched.grant_role(ADMIN, now=datetime.now(UTC))
        fetched.record_login(now=datetime.now(UTC))
        await uow.commit()

    async with new_uow() as uow:
        reread = await uow.users.get(user.id)

    assert reread is not None
    assert reread.roles == {ADMIN}
    assert reread.last_login_at == fetched.last_login_at


async def test_changes_to_a_fetched_user_are_lost_without_a_commit(new_uow: UowFactory) -> None:
    user = a_user()
    await store(new_uow, user)

    async with new_uow() as uow:
        fetched = await uow.users.get(user.id)
        assert fetched is not None
        fetched.first_name = "Never"
        fetched.grant_role(ADMIN, now=datetime.now(UTC))

    async with new_uow() as uow:
        reread = await uow.users.get(user.id)

    assert reread is not None
    assert reread.first_name == ""
    assert reread.roles == set()


async def _seed_members(new_uow: UowFactory) -> list[User]:
    """Five active users created at shuffled times, plus two inactive ones; the active ones
    are returned oldest first."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    offsets = [3, 0, 4, 1, 2]
    active = [a_user(created_at=start + timedelta(hours=hours)) for hours in offsets]
    inactive = [a_user(created_at=start - timedelta(hours=hours)) for hours in (1, 2)]
    for user in inactive:
        user.deactivate(now=start)
    await store(new_uow, *active, *inactive)
    return sorted(active, key=lambda user: user.created_at)


async def test_list_members_pages_through_active_users_oldest_first(
    new_uow: UowFactory,
) -> None:
    oldest_first = await _seed_members(new_uow)

    async with new_uow() as uow:
        pages = [await uow.users.list_members(offset=offset, limit=2) for offset in (0, 2, 4)]

    assert [page.total for page in pages] == [5, 5, 5]
    listed = [member.id for page in pages for member in page.members]
    assert listed == [user.id for user in oldest_first]
    assert [len(page.members) for page in pages] == [2, 2, 1]


async def test_list_members_returns_names_and_join_dates(new_uow: UowFactory) -> None:
    user = a_user()
    user.first_name, user.last_name = "Ada", "Lovelace"
    await store(new_uow, user)

    async with new_uow() as uow:
        page = await uow.users.list_members(offset=0, limit=10)

    assert page.total == 1
    [member] = page.members
    assert (member.id, member.username) == (user.id, str(user.username))
    assert member.full_name == "Ada Lovelace"
    assert member.created_at == user.created_at


async def test_list_members_past_the_last_page_is_empty_but_still_counts(
    new_uow: UowFactory,
) -> None:
    await _seed_members(new_uow)

    async with new_uow() as uow:
        page = await uow.users.list_members(offset=10, limit=2)

    assert page.members == []
    assert page.total == 5


async def test_list_members_of_an_empty_table_is_empty(new_uow: UowFactory) -> None:
    async with new_uow() as uow:
        page = await uow.users.list_members(offset=0, limit=20)

    assert page.members == []
    assert page.total == 0


async def test_a_page_of_members_is_one_sql_statement(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    await _seed_members(new_uow)

    async with new_uow() as uow:
        with statements_on(clean_engine) as sent:
            page = await uow.users.list_members(offset=2, limit=2)

    assert len(page.members) == 2
    assert page.total == 5
    assert len(sent) == 1, sent


async def test_a_granted_role_is_stamped_by_the_unit_of_works_clock(
    clean_engine: AsyncEngine, bus: EventBus
) -> None:
    clock = FakeClock(datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC))
    user = a_user()
    user.grant_role(ADMIN, now=clock.now())
    async with SqlAlchemyUnitOfWork(clean_engine, bus, clock) as uow:
        uow.users.add(user)
        await uow.commit()

    async with clean_engine.connect() as connection:
        granted = (
            await connection.execute(
                select(user_roles.c.granted_at).where(user_roles.c.user_id == user.id)
            )
        ).scalar_one()

    assert granted.replace(tzinfo=granted.tzinfo or UTC) == clock.now()
