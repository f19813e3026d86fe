"""Registering and creating accounts, on in-memory fakes."""

from __future__ import annotations

import dataclasses

import pytest

from application import accounts
from application.commands import Actor, CreateUser, NewAccount, RegisterUser
from application.results import UserDetail
from application.services import Services
from domain import errors, events
from domain.users import User
from domain.values import EmailAddress, PasswordHash, Username
from tests.fakes import FakeClock, FakePasswordHasher, FakeState, RecordingBus
from tests.unit.application.helpers import PASSWORD, SignUp, acting, admin_creation, registration


def nothing_written(state: FakeState, bus: RecordingBus, *, users: int = 0) -> bool:
    return len(state.users) == users and state.commits == users and len(bus.published) == users


async def test_register_creates_an_active_user_with_no_roles(
    services: Services, state: FakeState, clock: FakeClock
) -> None:
    detail = await services.register(registration("Alice", "Alice@Example.com"))
    stored = state.users[detail.id]
    assert (str(stored.username), str(stored.email)) == ("Alice", "Alice@example.com")
    assert stored.active
    assert stored.roles == set()
    assert stored.created_at == clock.now()
    assert (detail.username, detail.active, detail.roles) == ("Alice", True, ())


async def test_register_publishes_user_registered_only_after_commit(
    services: Services, state: FakeState, bus: RecordingBus
) -> None:
    stored_when_published: list[bool] = []

    async def note_whether_stored(event: events.Event) -> None:
        assert isinstance(event, events.UserRegistered)
        stored_when_published.append(event.user_id in state.users)

    bus.subscribe(events.UserRegistered, note_whether_stored)
    detail = await services.register(registration())
    assert stored_when_published == [True]
    assert [type(event) for event in bus.published] == [events.UserRegistered]
    assert bus.published[0] == events.UserRegistered(
        occurred_at=detail.created_at,
        user_id=detail.id,
        username="alice",
        email="alice@example.com",
    )


@pytest.mark.parametrize("taken", ["Alice", "alice", "ALICE", "aLiCe"])
async def test_register_rejects_a_taken_username_in_any_letter_case(
    services: Services, state: FakeState, bus: RecordingBus, sign_up: SignUp, taken: str
) -> None:
    await sign_up("Alice")
    with pytest.raises(errors.UsernameTaken) as caught:
        await services.register(registration(taken, "someone.else@example.com"))
    assert caught.value.field == "username"
    assert nothing_written(state, bus, users=1)


@pytest.mark.parametrize("taken", ["anna@example.com", "ANNA@EXAMPLE.COM", " Anna@example.COM "])
async def test_register_rejects_a_taken_email_in_any_letter_case(
    services: Services, state: FakeState, bus: RecordingBus, sign_up: SignUp, taken: str
) -> None:
    await sign_up("anna", "Anna@Example.com")
    with pytest.raises(errors.EmailTaken) as caught:
        await services.register(registration("hanna", taken))
    assert caught.value.field == "email"
    assert nothing_written(state, bus, users=1)


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", "alice2024!"])
async def test_register_rejects_a_weak_password_without_writing_or_hashing(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    hasher: FakePasswordHasher,
    password: str,
) -> None:
    with pytest.raises(errors.WeakPassword) as caught:
        await services.register(registration("alice", password=password))
    assert caught.value.field == "password"
    assert nothing_written(state, bus)
    assert hasher.work_done == 0


@pytest.mark.parametrize(
    ("username", "email", "error"),
    [
        ("al", "alice@example.com", errors.InvalidUsername),
        ("al ice", "alice@example.com", errors.InvalidUsername),
        ("ali\x00ce", "alice@example.com", errors.InvalidUsername),
        ("alice", "alice.example.com", errors.InvalidEmail),
        ("alice", "alice@localhost", errors.InvalidEmail),
        ("alice", "ali\x00ce@example.com", errors.InvalidEmail),
    ],
)
async def test_register_rejects_an_invalid_username_or_email_without_writing_anything(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    hasher: FakePasswordHasher,
    username: str,
    email: str,
    error: type[errors.DomainError],
) -> None:
    # Built unchecked: the command refuses control characters itself; the use case too.
    cmd = RegisterUser.model_construct(username=username, email=email, password=PASSWORD)
    with pytest.raises(error):
        await services.register(cmd)
    assert nothing_written(state, bus)
    assert state.rollbacks == 0
    assert hasher.work_done == 0


def test_registration_problems_lists_every_broken_rule_at_once() -> None:
    problems = accounts.registration_problems("al", "nope", "password123")
    assert [type(problem) for problem in problems] == [
        errors.InvalidUsername,
        errors.InvalidEmail,
        errors.WeakPassword,
    ]
    assert accounts.registration_problems("alice", "alice@example.com", PASSWORD) == []


async def test_register_refuses_every_invalid_field_in_one_error(
    services: Services, state: FakeState, bus: RecordingBus
) -> None:
    with pytest.raises(errors.InvalidFields) as refused:
        await services.register(registration("al", "nope", "password123"))
    assert [problem.field for problem in refused.value.problems] == [
        "username",
        "email",
        "password",
    ]
    assert nothing_written(state, bus)


async def test_register_refuses_one_invalid_field_with_its_own_error(services: Services) -> None:
    with pytest.raises(errors.InvalidEmail):
        await services.register(registration("alice", "nope"))


async def test_the_password_is_stored_only_as_its_hash(
    services: Services, state: FakeState
) -> None:
    detail = await services.register(registration())
    stored = state.users[detail.id]
    assert stored.password_hash == await FakePasswordHasher().hash(PASSWORD)
    assert stored.password_hash.value != PASSWORD
    assert PASSWORD not in repr(stored)
    assert PASSWORD not in detail.model_dump_json()


async def test_a_username_taken_while_the_password_was_hashed_fails_and_publishes_nothing(
    services: Services, state: FakeState, bus: RecordingBus, clock: FakeClock
) -> None:
    class RacingHasher(FakePasswordHasher):
        """Another request registers ``ALICE`` while this one hashes."""

        async def hash(self, password: str) -> PasswordHash:
            rival = User.register(
                Username("ALICE"), EmailAddress("rival@example.com"), PasswordHash("x"), now=now
            )
            rival.events.clear()
            state.users[rival.id] = rival
            return await super().hash(password)

    now = clock.now()
    racing = dataclasses.replace(services, hasher=RacingHasher())
    with pytest.raises(errors.UsernameTaken):
        await racing.register(registration("alice"))
    assert [str(user.username) for user in state.users.values()] == ["ALICE"]
    assert bus.published == []


# -- create_user (operators) ------------------------------------------------------------


def creation(*roles: str) -> CreateUser:
    return CreateUser(**registration().model_dump(), roles=frozenset(roles))


@pytest.mark.parametrize("role", ["admin", "Admin"])
async def test_create_user_grants_the_roles_asked_for(
    services: Services, state: FakeState, bus: RecordingBus, role: str
) -> None:
    detail = await services.create_user(creation(role))
    assert detail.roles == ("admin",)
    assert detail.is_admin
    assert state.users[detail.id].roles == {"admin"}
    assert [type(event) for event in bus.published] == [events.UserRegistered, events.RoleGranted]


async def test_create_user_with_an_unknown_role_raises_role_not_found_and_writes_nothing(
    services: Services, state: FakeState, bus: RecordingBus
) -> None:
    with pytest.raises(errors.RoleNotFound) as caught:
        await services.create_user(creation("admin", "wizard"))
    assert caught.value.field == "roles"
    assert "wizard" in caught.value.message
    assert nothing_written(state, bus)


async def test_create_user_without_roles_is_a_plain_registration(services: Services) -> None:
    detail: UserDetail = await services.create_user(creation())
    assert detail.roles == ()
    assert not detail.is_admin


async def test_only_an_administrator_or_the_system_may_create_accounts(
    services: Services, state: FakeState
) -> None:
    member = await services.register(registration("mallory"))
    with pytest.raises(errors.PermissionDenied):
        await services.create_user(
            CreateUser(username="sybil", email="sybil@example.com", password=PASSWORD),
            acting(member),
        )
    assert [str(u.username) for u in state.users.values()] == ["mallory"]
    root = await services.create_user(admin_creation("root"), Actor.system("cli"))
    made = await services.create_user(
        CreateUser(username="trent", email="trent@example.com", password=PASSWORD), acting(root)
    )
    granted = [e for e in state.audit if e.event_type == "UserRegistered" and e.user_id == made.id]
    assert granted[0].actor_id == root.id


# Checking a username and address before the password is asked for


async def test_check_new_account_passes_a_free_valid_name_and_writes_nothing(
    services: Services, state: FakeState, bus: RecordingBus, sign_up: SignUp
) -> None:
    await sign_up("alice")
    await services.check_new_account(NewAccount(username="bob", email="bob@example.com"))
    assert nothing_written(state, bus, users=1)


@pytest.mark.parametrize(
    ("username", "email", "raised"),
    [
        ("ALICE", "new@example.com", errors.UsernameTaken),
        ("newcomer", "Alice@EXAMPLE.com", errors.EmailTaken),
        ("a b", "new@example.com", errors.InvalidUsername),
        ("newcomer", "not an address", errors.InvalidEmail),
    ],
)
async def test_check_new_account_refuses_what_registering_would(
    services: Services, sign_up: SignUp, username: str, email: str, raised: type[Exception]
) -> None:
    await sign_up("alice")
    with pytest.raises(raised):
        await services.check_new_account(NewAccount(username=username, email=email))


async def test_check_new_account_names_a_bad_username_and_address_together(
    services: Services,
) -> None:
    with pytest.raises(errors.InvalidFields) as refused:
        await services.check_new_account(NewAccount(username="a b", email="nowhere"))
    assert [problem.field for problem in refused.value.problems] == ["username", "email"]


async def test_only_the_system_and_administrators_may_check_a_new_account(
    services: Services, sign_up: SignUp
) -> None:
    member = await sign_up("alice")
    with pytest.raises(errors.PermissionDenied):
        await services.check_new_account(
            NewAccount(username="bob", email="bob@example.com"), acting(member)
        )
