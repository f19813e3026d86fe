"""Reading accounts: the paginated members list and single users, on in-memory fakes."""

from __future__ import annotations

import uuid

import pytest

from application.commands import ListMembers
from application.results import UserDetail
from application.services import Services
from tests.fakes import FakeClock, FakeState
from tests.unit.application.helpers import SignUp


@pytest.fixture
def sign_up_in_turn(clock: FakeClock, sign_up: SignUp) -> SignUp:
    """Like ``sign_up``, but each account is created a minute after the one before."""

    async def sign_up_in_turn(username: str) -> UserDetail:
        clock.advance(minutes=1)
        return await sign_up(username)

    return sign_up_in_turn


async def usernames_on(services: Services, page: int, per_page: int) -> list[str]:
    found = await services.list_members(ListMembers(page=page, per_page=per_page))
    return [member.username for member in found.items]


async def test_members_are_listed_oldest_first(services: Services, sign_up_in_turn: SignUp) -> None:
    for name in ["carol", "alice", "bob"]:
        await sign_up_in_turn(name)
    assert await usernames_on(services, page=1, per_page=10) == ["carol", "alice", "bob"]


@pytest.mark.parametrize(
    ("page", "names", "has_previous", "has_next", "past_the_end"),
    [
        (1, ["user1", "user2"], False, True, False),
        (2, ["user3", "user4"], True, True, False),
        (3, ["user5"], True, False, False),
        (4, [], True, False, True),
    ],
)
async def test_members_are_paged(
    services: Services,
    sign_up_in_turn: SignUp,
    page: int,
    names: list[str],
    has_previous: bool,
    has_next: bool,
    past_the_end: bool,
) -> None:
    for number in range(1, 6):
        await sign_up_in_turn(f"user{number}")
    found = await services.list_members(ListMembers(page=page, per_page=2))
    assert [member.username for member in found.items] == names
    assert (found.page, found.per_page, found.total, found.pages) == (page, 2, 5, 3)
    assert (found.has_previous, found.has_next) == (has_previous, has_next)
    assert found.past_the_end == past_the_end


async def test_inactive_users_are_not_members(
    services: Services, state: FakeState, sign_up_in_turn: SignUp
) -> None:
    for name in ["alice", "bob", "carol"]:
        await sign_up_in_turn(name)
    bob = next(user for user in state.users.values() if str(user.username) == "bob")
    bob.active = False
    found = await services.list_members(ListMembers())
    assert [member.username for member in found.items] == ["alice", "carol"]
    assert found.total == 2


async def test_an_empty_members_list_is_one_page_with_nowhere_to_go(services: Services) -> None:
    found = await services.list_members(ListMembers())
    assert (found.items, found.total, found.pages) == ((), 0, 1)
    assert not found.has_previous
    assert not found.has_next
    assert not found.past_the_end


async def test_a_member_shows_a_full_name_and_member_since(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    state.users[alice.id].first_name = "Anna"
    (member,) = (await services.list_members(ListMembers())).items
    assert (member.id, member.username, member.full_name) == (alice.id, "alice", "Anna")
    assert member.member_since == clock.now()


async def test_get_user_returns_the_user_with_that_id(services: Services, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    assert await services.get_user(alice.id) == alice


async def test_get_user_returns_none_for_an_unknown_id(services: Services, sign_up: SignUp) -> None:
    await sign_up("alice")
    assert await services.get_user(uuid.uuid4()) is None


async def test_a_member_who_gave_no_name_is_not_named(
    services: Services, state: FakeState, sign_up_in_turn: SignUp
) -> None:
    for name in ["alice", "bob"]:
        await sign_up_in_turn(name)
    alice = next(user for user in state.users.values() if str(user.username) == "alice")
    alice.first_name = "Alice"
    found = await services.list_members(ListMembers())
    assert [(member.full_name, member.named) for member in found.items] == [
        ("Alice", True),
        ("bob", False),
    ]
