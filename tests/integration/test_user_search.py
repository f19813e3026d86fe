"""Prefix search of users with keyset paging, and counting active role holders, on both
backends. The repository receives casefolded keys, as the use case passes them."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.roles import ADMIN, Role
from domain.users import User
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def tag() -> str:
    """Eight random lower-case hex digits that start every name of one test."""
    return uuid4().hex[:8]


@pytest.fixture
def people(tag: str) -> dict[str, User]:
    """Users whose names and addresses differ right after the tag by a character LIKE
    would read as a wildcard (or as its escape character), and one by a letter."""
    return {
        "ann": a_user(f"U{tag}_Ann", f"M{tag}_Ann@Example.com"),
        "bob": a_user(f"U{tag}.Bob", f"M{tag}.Bob@example.com"),
        "cat": a_user(f"U{tag}xCat", f"M{tag}%Cat@example.com"),
        "dan": a_user(f"U{tag}-Dan", f"M{tag}/Dan@example.com"),
        "zoe": a_user(f"U{tag}Zoe", f"ZOË.{tag}@Exämple.org"),
    }


async def store(new_uow: UowFactory, *users: User) -> None:
    async with new_uow() as uow:
        for user in users:
            uow.users.add(user)
        await uow.commit()


async def search(
    new_uow: UowFactory, prefix: str, *, after: str | None = None, limit: int = 50
) -> list[User]:
    async with new_uow() as uow:
        return await uow.users.search(prefix, after=after, limit=limit)


def names(found: list[User]) -> list[str]:
    return [str(user.username) for user in found]


async def test_a_username_prefix_in_any_letter_case_finds_the_user(
    new_uow: UowFactory, people: dict[str, User], tag: str
) -> None:
    await store(new_uow, *people.values())

    found = await search(new_uow, f"U{tag}_A".casefold())

    assert names(found) == [f"U{tag}_Ann"]


async def test_an_email_prefix_in_any_letter_case_finds_the_user(
    new_uow: UowFactory, people: dict[str, User], tag: str
) -> None:
    await store(new_uow, *people.values())

    by_local_part = await search(new_uow, f"M{tag}.BOB".casefold())
    by_whole_address = await search(new_uow, f"M{tag}.BOB@EXAMPLE.COM".casefold())

    assert names(by_local_part) == [f"U{tag}.Bob"]
    assert names(by_whole_address) == [f"U{tag}.Bob"]


async def test_a_unicode_email_prefix_finds_the_user(
    new_uow: UowFactory, people: dict[str, User], tag: str
) -> None:
    await store(new_uow, *people.values())

    found = await search(new_uow, "ZOË.".casefold())

    assert names(found) == [f"U{tag}Zoe"]
    assert str(found[0].email) == f"ZOË.{tag}@exämple.org"


@pytest.mark.parametrize(
    ("after_tag", "expected"),
    [
        ("u_", ["ann"]),  # _ is not "any one character"
        ("u.", ["bob"]),
        ("u-", ["dan"]),
        ("u%", []),  # % is not "anything"
        ("m_", ["ann"]),
        ("m%", ["cat"]),  # ... but a literal % in an address
        ("m/", ["dan"]),  # SQLAlchemy's escape character, itself escaped
        ("m\\", []),  # a backslash escapes nothing: this is not a literal %
        ("m\\%", []),
        ("m/%", []),
    ],
)
async def test_wildcards_and_escape_characters_in_the_prefix_match_literally(
    new_uow: UowFactory, people: dict[str, User], tag: str, after_tag: str, expected: list[str]
) -> None:
    await store(new_uow, *people.values())
    first, rest = after_tag[0], after_tag[1:]

    found = await search(new_uow, f"{first}{tag}{rest}")

    assert names(found) == [str(people[key].username) for key in expected]


async def test_the_tag_alone_finds_all_by_username_and_a_user_matching_twice_once(
    new_uow: UowFactory, tag: str
) -> None:
    both = a_user(f"S{tag}Both", f"S{tag}Both@example.com")
    named = a_user(f"S{tag}Named", f"other.{tag}@example.com")
    addressed = a_user(f"Z{tag}Mail", f"S{tag}Addressed@example.com")
    await store(new_uow, both, named, addressed, a_user(f"X{tag}None"))

    found = await search(new_uow, f"s{tag}")

    assert names(found) == [f"S{tag}Both", f"S{tag}Named", f"Z{tag}Mail"]


async def test_an_empty_prefix_lists_everyone_by_username_key(
    new_uow: UowFactory, tag: str
) -> None:
    await store(new_uow, a_user(f"b{tag}"), a_user(f"C{tag}"), a_user(f"A{tag}"))

    found = await search(new_uow, "")

    assert names(found) == [f"A{tag}", f"b{tag}", f"C{tag}"]


async def test_found_users_come_with_their_roles(new_uow: UowFactory, tag: str) -> None:
    admin, member = a_user(f"R{tag}Admin"), a_user(f"R{tag}Member")
    admin.grant_role(ADMIN, now=NOW)
    await store(new_uow, admin, member)

    found = await search(new_uow, f"r{tag}")

    assert [(str(user.username), user.roles) for user in found] == [
        (f"R{tag}Admin", {ADMIN}),
        (f"R{tag}Member", set()),
    ]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8])
async def test_keyset_paging_walks_every_match_once_in_username_order(
    new_uow: UowFactory, tag: str, limit: int
) -> None:
    letters = "aBcDefGh"
    by_name = [a_user(f"P{tag}{letter}", f"p.{tag}.{letter}@example.com") for letter in letters]
    by_email = [a_user(f"Q{tag}{letter}", f"P{tag}{letter}2@example.com") for letter in "Dg"]
    await store(new_uow, *by_name, *by_email, a_user(f"P{uuid4().hex[:8]}"))
    expected = sorted((str(user.username) for user in [*by_name, *by_email]), key=str.casefold)

    walked: list[str] = []
    after: str | None = None
    while page := await search(new_uow, f"p{tag}", after=after, limit=limit):
        assert len(page) <= limit
        walked.extend(names(page))
        after = page[-1].username.key

    assert walked == expected


async def test_paging_after_the_last_match_is_empty(new_uow: UowFactory, tag: str) -> None:
    await store(new_uow, a_user(f"E{tag}a"), a_user(f"E{tag}b"))

    assert await search(new_uow, f"e{tag}", after=f"e{tag}b") == []


async def test_count_active_holding_counts_only_active_holders_of_that_role(
    new_uow: UowFactory,
) -> None:
    editors = [a_user() for _ in range(3)]
    for user in editors:
        user.grant_role("editor", now=NOW)
    editors[2].deactivate(now=NOW)
    admin = a_user()
    admin.grant_role(ADMIN, now=NOW)
    async with new_uow() as uow:
        uow.roles.add(Role.create("editor", "Edits pages.", now=NOW))
        uow.roles.add(Role.create("unused", "", now=NOW))
        for user in [*editors, admin, a_user()]:
            uow.users.add(user)
        await uow.commit()

    async with new_uow() as uow:
        counts = [
            await uow.users.count_active_holding(role)
            for role in ("editor", ADMIN, "unused", "nonexistent")
        ]

    assert counts == [2, 1, 0, 0]
