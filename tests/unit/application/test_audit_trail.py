"""The unit of work writes one audit entry per event it commits, with who and from where."""

from __future__ import annotations

import pytest

from application.services import Services
from domain import errors, events
from domain.audit import AuditEntry
from domain.users import User
from domain.values import EmailAddress, PasswordHash, Username
from tests.fakes import FakeClock, FakeState
from tests.unit.application.helpers import CLIENT, WRONG, SignUp, credentials


def without_id(entry: AuditEntry) -> tuple[object, ...]:
    return (
        entry.occurred_at,
        entry.event_type,
        entry.user_id,
        entry.actor_id,
        entry.ip,
        entry.details,
    )


async def test_registering_writes_user_registered(
    state: FakeState, clock: FakeClock, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    assert [without_id(entry) for entry in state.audit] == [
        (
            clock.now(),
            "UserRegistered",
            alice.id,
            alice.id,
            None,
            {"username": "alice", "email": "alice@example.com"},
        )
    ]


async def test_a_successful_sign_in_writes_user_logged_in_with_the_clients_ip(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    state.audit.clear()
    clock.advance(hours=1)
    await services.sign_in(credentials("alice"))
    assert [without_id(entry) for entry in state.audit] == [
        (clock.now(), "UserLoggedIn", alice.id, alice.id, CLIENT.ip, {"username": "alice"})
    ]


async def test_a_failed_sign_in_of_a_known_account_writes_login_failed_for_that_account(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    state.audit.clear()
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(credentials("ALICE", WRONG))
    assert [without_id(entry) for entry in state.audit] == [
        (clock.now(), "LoginFailed", alice.id, None, CLIENT.ip, {})  # a visitor, not alice
    ]


async def test_a_failed_sign_in_of_an_unknown_login_writes_login_failed_for_no_one(
    services: Services, state: FakeState, clock: FakeClock
) -> None:
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(credentials("nobody", WRONG))
    assert [without_id(entry) for entry in state.audit] == [
        (
            clock.now(),
            "LoginFailed",
            None,
            None,
            CLIENT.ip,
            {"login_digest": services.login_digest.digest("nobody")},
        )
    ]


async def test_a_commit_audits_each_event_with_the_units_actor_and_ip(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    admin = await sign_up("admin")
    state.audit.clear()
    uow = services.uow_factory()
    async with uow:
        uow.actor_id, uow.client_ip = admin.id, "198.51.100.9"
        user = await uow.users.get(alice.id)
        assert user is not None
        user.grant_role("admin", now=clock.now())
        uow.record(events.LoginFailed(occurred_at=clock.now(), login_digest="nobody"))
        await uow.commit()
    assert sorted(without_id(entry) for entry in state.audit) == sorted(
        [
            (
                clock.now(),
                "LoginFailed",
                None,
                admin.id,
                "198.51.100.9",
                {"login_digest": "nobody"},
            ),
            (clock.now(), "RoleGranted", alice.id, admin.id, "198.51.100.9", {"role": "admin"}),
        ]
    )


async def test_nothing_is_audited_when_a_unit_of_work_is_left_without_commit(
    services: Services, state: FakeState, clock: FakeClock
) -> None:
    uow = services.uow_factory()
    async with uow:
        uow.users.add(
            User.register(
                Username("alice"),
                EmailAddress("alice@example.com"),
                PasswordHash("h"),
                now=clock.now(),
            )
        )
        uow.record(events.LoginFailed(occurred_at=clock.now(), login_digest="nobody"))
    assert state.audit == []
    assert state.rollbacks == 1
