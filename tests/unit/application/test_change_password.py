"""Changing one's password, knowing the current one: every other session ends."""

from __future__ import annotations

import asyncio
import uuid
from uuid import UUID

import pytest

from application.commands import ChangePassword
from application.results import UserDetail
from application.services import Services
from domain import errors, events
from tests.fakes import FakeClock, FakePasswordHasher, FakeState, RecordingBus
from tests.unit.application.helpers import (
    CLIENT,
    NEW_PASSWORD,
    PASSWORD,
    WRONG,
    SignUp,
    credentials,
)

LIMIT = 5


@pytest.fixture
async def alice(sign_up: SignUp) -> UserDetail:
    return await sign_up("alice")


def change(
    user_id: UUID,
    *,
    current: str = PASSWORD,
    new: str = NEW_PASSWORD,
    session_id: UUID | None = None,
) -> ChangePassword:
    return ChangePassword(
        user_id=user_id,
        session_id=session_id,
        current_password=current,
        new_password=new,
        client=CLIENT,
    )


def written(state: FakeState) -> tuple[int, int]:
    return state.commits, len(state.audit)


async def test_the_old_password_no_longer_signs_in_and_the_new_one_does(
    services: Services, alice: UserDetail
) -> None:
    await services.change_password(change(alice.id))
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(credentials("alice", PASSWORD))
    signed = await services.sign_in(credentials("alice", NEW_PASSWORD))
    assert signed.user.id == alice.id


async def test_every_other_session_ends_and_the_current_one_stays(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp, alice: UserDetail
) -> None:
    await sign_up("bob")
    here = await services.sign_in(credentials("alice"))
    elsewhere = [await services.sign_in(credentials("alice")) for _ in range(2)]
    bobs = await services.sign_in(credentials("bob"))
    clock.advance(minutes=1)

    ended = await services.change_password(change(alice.id, session_id=here.session_id))

    assert ended == 2
    assert await services.resolve_session(here.session_key) is not None
    assert await services.resolve_session(bobs.session_key) is not None
    for other in elsewhere:
        assert await services.resolve_session(other.session_key) is None
        assert state.sessions[other.session_id].revoked_at == clock.now()


async def test_without_a_current_session_every_session_ends(
    services: Services, alice: UserDetail
) -> None:
    signed = [await services.sign_in(credentials("alice")) for _ in range(3)]
    assert await services.change_password(change(alice.id)) == 3
    for each in signed:
        assert await services.resolve_session(each.session_key) is None


async def test_change_password_publishes_password_changed_and_audits_the_ended_sessions(
    services: Services, state: FakeState, bus: RecordingBus, clock: FakeClock, alice: UserDetail
) -> None:
    here = await services.sign_in(credentials("alice"))
    other = await services.sign_in(credentials("alice"))
    bus.published.clear()
    audited = len(state.audit)
    clock.advance(minutes=1)

    await services.change_password(change(alice.id, session_id=here.session_id))

    revoked = events.SessionRevoked(
        occurred_at=clock.now(),
        user_id=alice.id,
        session_id=other.session_id,
        reason="password changed",
    )
    changed = events.PasswordChanged(occurred_at=clock.now(), user_id=alice.id, via="change")
    assert sorted(bus.published, key=repr) == sorted([revoked, changed], key=repr)
    new_entries = state.audit[audited:]
    assert sorted((e.event_type, e.user_id, e.ip, e.details) for e in new_entries) == [
        ("PasswordChanged", alice.id, CLIENT.ip, {"via": "change"}),
        (
            "SessionRevoked",
            alice.id,
            CLIENT.ip,
            {"session_id": str(other.session_id), "reason": "password changed"},
        ),
    ]


async def test_a_wrong_current_password_changes_nothing(
    services: Services, state: FakeState, bus: RecordingBus, alice: UserDetail
) -> None:
    other = await services.sign_in(credentials("alice"))
    stored_hash = state.users[alice.id].password_hash
    before = written(state)
    bus.published.clear()

    with pytest.raises(errors.InvalidCredentials) as refused:
        await services.change_password(change(alice.id, current=WRONG))

    assert refused.value.field == "current_password"
    assert state.users[alice.id].password_hash == stored_hash
    assert await services.resolve_session(other.session_key) is not None
    assert written(state) == before
    assert bus.published == []


async def test_wrong_current_passwords_count_toward_the_sign_in_throttle(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    stored_hash = state.users[alice.id].password_hash
    for _ in range(LIMIT):
        with pytest.raises(errors.InvalidCredentials):
            await services.change_password(change(alice.id, current=WRONG))
    with pytest.raises(errors.AccountLocked):
        await services.change_password(change(alice.id))
    assert state.users[alice.id].password_hash == stored_hash
    with pytest.raises(errors.TooManyAttempts):
        await services.sign_in(credentials("alice", PASSWORD))


async def test_wrong_current_passwords_sent_at_once_check_at_most_the_limits_worth(
    services: Services, hasher: FakePasswordHasher, alice: UserDetail
) -> None:
    work_before = hasher.work_done
    outcomes = await asyncio.gather(
        *(services.change_password(change(alice.id, current=f"guess {n}")) for n in range(40)),
        return_exceptions=True,
    )
    assert hasher.work_done - work_before == LIMIT
    assert sum(isinstance(o, errors.TooManyAttempts) for o in outcomes) == 40 - LIMIT


async def test_the_right_current_password_takes_no_place_in_the_window(
    services: Services, alice: UserDetail
) -> None:
    for _ in range(LIMIT - 1):
        with pytest.raises(errors.InvalidCredentials):
            await services.change_password(change(alice.id, current=WRONG))
    await services.change_password(change(alice.id, new="a brand new passphrase"))
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(credentials("alice", WRONG))
    with pytest.raises(errors.TooManyAttempts):
        await services.sign_in(credentials("alice", "a brand new passphrase"))


async def test_a_new_password_equal_to_the_current_one_is_refused(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    before = written(state)
    with pytest.raises(errors.SamePassword) as refused:
        await services.change_password(change(alice.id, new=PASSWORD))
    assert refused.value.field == "new_password"
    assert written(state) == before


@pytest.mark.parametrize("weak", ["short", "1234567890123", "password123", "alice@example.com"])
async def test_a_weak_new_password_is_refused_and_nothing_changes(
    services: Services, state: FakeState, alice: UserDetail, weak: str
) -> None:
    before = written(state)
    with pytest.raises(errors.WeakPassword) as refused:
        await services.change_password(change(alice.id, new=weak))
    assert refused.value.field == "new_password"
    assert written(state) == before
    assert (await services.sign_in(credentials("alice", PASSWORD))).user.id == alice.id


async def test_an_unknown_or_inactive_user_is_not_found(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    with pytest.raises(errors.UserNotFound):
        await services.change_password(change(uuid.uuid4()))
    state.users[alice.id].active = False
    with pytest.raises(errors.UserNotFound):
        await services.change_password(change(alice.id))


async def test_a_wrong_current_password_locks_sign_in_by_address_too(
    services: Services, sign_up: SignUp
) -> None:
    user = await sign_up("carol")
    for _ in range(5):
        with pytest.raises(errors.InvalidCredentials):
            await services.change_password(
                ChangePassword(user_id=user.id, current_password=WRONG, new_password=NEW_PASSWORD)
            )
    for login in ("carol", user.email.upper()):
        with pytest.raises(errors.TooManyAttempts):
            await services.sign_in(credentials(login, PASSWORD))
