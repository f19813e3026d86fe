"""Checking credentials at sign-in, by username or e-mail, on in-memory fakes."""

from __future__ import annotations

import dataclasses

import pytest

from application.commands import SignIn
from application.services import Services
from domain import errors, events
from tests.fakes import FakeClock, FakePasswordHasher, FakeState, RecordingBus
from tests.unit.application.helpers import PASSWORD, SignUp, registration

WRONG = "wrong horse battery staple"


def login(login: str, password: str = PASSWORD) -> SignIn:
    return SignIn(login=login, password=password)


@pytest.mark.parametrize(
    "typed",
    ["Alice", "alice", "ALICE", "anna.s@example.com", "Anna.S@EXAMPLE.com", "  alice  "],
)
async def test_sign_in_by_username_or_email_in_any_letter_case(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    clock: FakeClock,
    sign_up: SignUp,
    typed: str,
) -> None:
    alice = await sign_up("Alice", "Anna.S@example.com")
    bus.published.clear()
    clock.advance(days=1)
    detail = (await services.sign_in(login(typed))).user
    assert detail.id == alice.id
    assert detail.last_login_at == clock.now()
    assert state.users[alice.id].last_login_at == clock.now()
    assert bus.published == [
        events.UserLoggedIn(occurred_at=clock.now(), user_id=alice.id, username="Alice")
    ]


async def test_unknown_user_wrong_password_and_inactive_user_look_the_same(
    services: Services, state: FakeState, hasher: FakePasswordHasher, sign_up: SignUp
) -> None:
    await sign_up("alice")
    bob = await sign_up("bob")
    state.users[bob.id].active = False

    async def outcome(cmd: SignIn) -> tuple[type[Exception], str, int]:
        work_before = hasher.work_done
        with pytest.raises(errors.DomainError) as caught:
            await services.sign_in(cmd)
        return type(caught.value), str(caught.value), hasher.work_done - work_before

    unknown = await outcome(login("nobody"))
    wrong_password = await outcome(login("alice", WRONG))
    inactive = await outcome(login("bob"))
    assert unknown == wrong_password == inactive
    assert unknown == (errors.InvalidCredentials, "Invalid username or password.", 1)


@pytest.mark.parametrize(
    ("typed", "password", "owner"),
    [("nobody", PASSWORD, None), ("ALICE", WRONG, "alice"), ("bob@example.com", PASSWORD, "bob")],
    ids=["unknown-user", "wrong-password", "inactive-user"],
)
async def test_a_failed_sign_in_publishes_login_failed_and_changes_nothing(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    clock: FakeClock,
    sign_up: SignUp,
    typed: str,
    password: str,
    owner: str | None,
) -> None:
    ids = {"alice": (await sign_up("alice")).id, "bob": (await sign_up("bob")).id}
    state.users[ids["bob"]].active = False
    bus.published.clear()
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(login(typed, password))
    owner_id = ids.get(owner or "")
    digest = None if owner_id else services.login_digest.digest(typed)
    assert bus.published == [
        events.LoginFailed(occurred_at=clock.now(), user_id=owner_id, login_digest=digest)
    ]
    assert all(user.last_login_at is None for user in state.users.values())


async def test_an_outdated_hash_is_replaced_on_successful_sign_in(
    services: Services, state: FakeState, bus: RecordingBus
) -> None:
    old_hasher = FakePasswordHasher(scheme="old")
    alice = await dataclasses.replace(services, hasher=old_hasher).register(registration())
    assert state.users[alice.id].password_hash == await old_hasher.hash(PASSWORD)
    bus.published.clear()

    await services.sign_in(login("alice"))

    assert state.users[alice.id].password_hash == await FakePasswordHasher().hash(PASSWORD)
    assert [type(event) for event in bus.published] == [events.UserLoggedIn]


async def test_an_outdated_hash_is_kept_after_a_wrong_password(
    services: Services, state: FakeState
) -> None:
    old_hasher = FakePasswordHasher(scheme="old")
    alice = await dataclasses.replace(services, hasher=old_hasher).register(registration())
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(login("alice", WRONG))
    assert state.users[alice.id].password_hash == await old_hasher.hash(PASSWORD)
