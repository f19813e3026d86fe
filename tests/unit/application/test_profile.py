"""Updating one's own profile: the names freely, a new e-mail address only with the password."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from application.commands import UpdateProfile
from application.results import UserDetail
from application.services import Services
from domain import errors, events
from domain.values import EmailAddress
from tests.fakes import FakeClock, FakeState, RecordingBus
from tests.unit.application.helpers import CLIENT, PASSWORD, WRONG, SignUp, credentials

LIMIT = 5


@pytest.fixture
async def alice(sign_up: SignUp) -> UserDetail:
    return await sign_up("alice")


def edit(
    user_id: UUID,
    *,
    email: str = "alice@example.com",
    first_name: str = "",
    last_name: str = "",
    current_password: str = "",
) -> UpdateProfile:
    return UpdateProfile(
        user_id=user_id,
        first_name=first_name,
        last_name=last_name,
        email=email,
        current_password=current_password,
        client=CLIENT,
    )


def stored(state: FakeState, user_id: UUID) -> tuple[str, str, str]:
    user = state.users[user_id]
    return user.first_name, user.last_name, user.email.value


def written(state: FakeState) -> tuple[int, int]:
    """How many commits and audit entries the fake database has seen."""
    return state.commits, len(state.audit)


async def test_update_profile_saves_the_names_and_address_trimmed(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    detail = await services.update_profile(
        edit(
            alice.id,
            first_name="  Anna ",
            last_name=" Smith  ",
            email="  Anna.Smith@Example.COM ",
            current_password=PASSWORD,
        )
    )
    assert stored(state, alice.id) == ("Anna", "Smith", "Anna.Smith@example.com")
    assert (detail.first_name, detail.last_name, detail.email, detail.full_name) == (
        "Anna",
        "Smith",
        "Anna.Smith@example.com",
        "Anna Smith",
    )


@pytest.mark.parametrize(
    ("first_name", "last_name", "email", "changed"),
    [
        ("Anna", "", "alice@example.com", "first_name"),
        ("", "Smith", "alice@example.com", "last_name"),
        ("", "", "anna@example.com", "email"),
        ("Anna", "", "anna@example.com", "first_name,email"),
        ("Anna", "Smith", "anna@example.com", "first_name,last_name,email"),
    ],
)
async def test_profile_updated_names_exactly_the_fields_that_changed(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    clock: FakeClock,
    alice: UserDetail,
    first_name: str,
    last_name: str,
    email: str,
    changed: str,
) -> None:
    bus.published.clear()
    clock.advance(minutes=5)
    await services.update_profile(
        edit(
            alice.id,
            first_name=first_name,
            last_name=last_name,
            email=email,
            current_password=PASSWORD,
        )
    )
    assert bus.published == [
        events.ProfileUpdated(occurred_at=clock.now(), user_id=alice.id, changed=changed)
    ]
    entry = state.audit[-1]
    assert (entry.event_type, entry.user_id, entry.ip) == ("ProfileUpdated", alice.id, CLIENT.ip)


async def test_saving_an_unchanged_profile_publishes_nothing(
    services: Services, state: FakeState, bus: RecordingBus, alice: UserDetail
) -> None:
    await services.update_profile(edit(alice.id, first_name="Anna", last_name="Smith"))
    audited = len(state.audit)
    bus.published.clear()
    await services.update_profile(
        edit(alice.id, first_name=" Anna", last_name="Smith ", email=" alice@example.com ")
    )
    assert bus.published == []
    assert len(state.audit) == audited
    assert stored(state, alice.id) == ("Anna", "Smith", "alice@example.com")


@pytest.mark.parametrize(
    ("password", "refusal"),
    [("", errors.CurrentPasswordRequired), (WRONG, errors.InvalidCredentials)],
    ids=["missing", "wrong"],
)
async def test_a_new_address_without_the_right_current_password_changes_nothing(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    alice: UserDetail,
    password: str,
    refusal: type[errors.DomainError],
) -> None:
    before = written(state)
    bus.published.clear()
    with pytest.raises(refusal) as refused:
        await services.update_profile(
            edit(alice.id, first_name="Anna", email="anna@example.com", current_password=password)
        )
    assert refused.value.field == "current_password"
    assert stored(state, alice.id) == ("", "", "alice@example.com")
    assert written(state) == before
    assert bus.published == []


async def test_wrong_passwords_for_a_new_address_count_toward_the_sign_in_throttle(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    for _ in range(LIMIT):
        with pytest.raises(errors.InvalidCredentials):
            await services.update_profile(
                edit(alice.id, email="anna@example.com", current_password=WRONG)
            )
    with pytest.raises(errors.AccountLocked):
        await services.update_profile(
            edit(alice.id, email="anna@example.com", current_password=PASSWORD)
        )
    assert stored(state, alice.id) == ("", "", "alice@example.com")
    with pytest.raises(errors.TooManyAttempts):
        await services.sign_in(credentials("alice", PASSWORD))


async def test_a_missing_current_password_is_not_a_guess_and_takes_no_place_in_the_window(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    for _ in range(LIMIT + 1):
        with pytest.raises(errors.CurrentPasswordRequired):
            await services.update_profile(edit(alice.id, email="anna@example.com"))
    await services.update_profile(
        edit(alice.id, email="anna@example.com", current_password=PASSWORD)
    )
    assert stored(state, alice.id) == ("", "", "anna@example.com")


async def test_fewer_wrong_passwords_than_the_limit_still_let_the_right_one_through(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    for _ in range(LIMIT - 1):
        with pytest.raises(errors.InvalidCredentials):
            await services.update_profile(
                edit(alice.id, email="anna@example.com", current_password=WRONG)
            )
    await services.update_profile(
        edit(alice.id, email="anna@example.com", current_password=PASSWORD)
    )
    assert stored(state, alice.id) == ("", "", "anna@example.com")


async def test_the_same_address_in_other_letter_case_needs_no_password(
    services: Services, state: FakeState, bus: RecordingBus, clock: FakeClock, alice: UserDetail
) -> None:
    bus.published.clear()
    await services.update_profile(edit(alice.id, email="Alice@example.com", current_password=""))
    assert stored(state, alice.id) == ("", "", "Alice@example.com")
    assert bus.published == [
        events.ProfileUpdated(occurred_at=clock.now(), user_id=alice.id, changed="email")
    ]


@pytest.mark.parametrize("taken", ["bob@example.com", "BOB@Example.COM", " Bob@example.com "])
async def test_an_address_someone_else_has_in_any_letter_case_is_taken(
    services: Services, state: FakeState, sign_up: SignUp, alice: UserDetail, taken: str
) -> None:
    await sign_up("bob")
    before = written(state)
    with pytest.raises(errors.EmailTaken) as refused:
        await services.update_profile(
            edit(alice.id, first_name="Anna", email=taken, current_password=PASSWORD)
        )
    assert refused.value.field == "email"
    assert stored(state, alice.id) == ("", "", "alice@example.com")
    assert written(state) == before


@pytest.mark.parametrize("email", ["not-an-address", "alice@", "alice@@example.com", "a b@c.de"])
async def test_an_invalid_address_is_refused_and_nothing_changes(
    services: Services, state: FakeState, alice: UserDetail, email: str
) -> None:
    before = written(state)
    with pytest.raises(errors.InvalidEmail) as refused:
        await services.update_profile(
            edit(alice.id, first_name="Anna", email=email, current_password=PASSWORD)
        )
    assert refused.value.field == "email"
    assert stored(state, alice.id) == ("", "", "alice@example.com")
    assert written(state) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        # 16 characters that NFC turns into 32, so only the use case can see the excess.
        pytest.param("first_name", "\u0958" * 16, id="first-too-long-once-normalised"),
        pytest.param("last_name", "\u0958" * 16, id="last-too-long-once-normalised"),
        pytest.param("first_name", "Anna\x00", id="first-nul"),
        pytest.param("last_name", "Smi\u202eth", id="last-bidi-override"),
        pytest.param("last_name", "Smi\nth", id="last-newline-inside"),
    ],
)
async def test_an_over_long_or_control_character_name_is_refused_and_nothing_changes(
    services: Services, state: FakeState, alice: UserDetail, field: str, value: str
) -> None:
    names = {"first_name": "Anna", "last_name": "Smith", field: value}
    before = written(state)
    # Built unchecked: the command refuses control characters itself; the use case too.
    cmd = UpdateProfile.model_construct(**{**edit(alice.id).model_dump(), **names})
    with pytest.raises(errors.InvalidName) as refused:
        await services.update_profile(cmd)
    assert refused.value.field == field
    assert stored(state, alice.id) == ("", "", "alice@example.com")
    assert written(state) == before


async def test_an_unknown_user_is_not_found(services: Services, alice: UserDetail) -> None:
    with pytest.raises(errors.UserNotFound):
        await services.update_profile(edit(uuid.uuid4(), first_name="Anna"))


async def test_an_inactive_user_is_not_found_and_nothing_changes(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    state.users[alice.id].active = False
    before = written(state)
    with pytest.raises(errors.UserNotFound):
        await services.update_profile(edit(alice.id, first_name="Anna"))
    assert stored(state, alice.id) == ("", "", "alice@example.com")
    assert written(state) == before


async def test_every_invalid_field_of_a_profile_is_refused_at_once(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    before = written(state)
    with pytest.raises(errors.InvalidFields) as refused:
        await services.update_profile(
            edit(alice.id, first_name="\u0958" * 16, email="not-an-address")
        )
    assert [problem.field for problem in refused.value.problems] == ["first_name", "email"]
    assert written(state) == before


async def test_an_address_an_older_rule_accepted_does_not_block_a_change_of_names(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    legacy = EmailAddress.stored("alice@corp.local", "alice@corp.local")  # .local: refused now
    state.users[alice.id].email = legacy
    await services.update_profile(edit(alice.id, email="alice@corp.local", first_name="Al"))
    assert stored(state, alice.id) == ("Al", "", "alice@corp.local")
    with pytest.raises(errors.InvalidEmail):
        await services.update_profile(edit(alice.id, email="alice@other.local"))
