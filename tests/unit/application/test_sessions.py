"""Server-side sessions through the services: opening, resolving, listing and ending them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.results import UserDetail
from application.services import Services
from domain import errors, events
from domain.sessions import Session, hash_session_key
from tests.fakes import SESSION_POLICY, FakeClock, FakeState, RecordingBus
from tests.unit.application.helpers import CLIENT, SignUp, credentials


@pytest.fixture
async def alice(sign_up: SignUp) -> UserDetail:
    return await sign_up("alice")


@pytest.fixture
async def bob(sign_up: SignUp) -> UserDetail:
    return await sign_up("bob")


def plant_session(state: FakeState, clock: FakeClock, user: UserDetail, key: str) -> Session:
    """A session for ``key`` put straight into the fake database."""
    session = Session.start(user.id, key, now=clock.now(), policy=SESSION_POLICY, persistent=False)
    state.sessions[session.id] = session
    return session


@pytest.mark.parametrize("remember", [True, False])
async def test_sign_in_returns_a_key_whose_hash_is_what_the_session_stores(
    services: Services, state: FakeState, clock: FakeClock, alice: UserDetail, remember: bool
) -> None:
    signed = await services.sign_in(credentials("alice", remember=remember))
    stored = state.sessions[signed.session_id]
    assert stored.key_hash == hash_session_key(signed.session_key)
    assert stored.key_hash != signed.session_key
    assert (signed.persistent, stored.persistent) == (remember, remember)
    assert (signed.user.id, stored.user_id) == (alice.id, alice.id)
    assert signed.expires_at == stored.expires_at == clock.now() + timedelta(days=30)


async def test_every_sign_in_opens_a_new_session_with_a_new_key(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    first = await services.sign_in(credentials())
    second = await services.sign_in(credentials())
    assert first.session_key != second.session_key
    assert first.session_id != second.session_id
    assert set(state.sessions) == {first.session_id, second.session_id}


async def test_the_session_stores_the_clients_ip_and_user_agent(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    signed = await services.sign_in(credentials())
    stored = state.sessions[signed.session_id]
    assert (stored.ip, stored.user_agent) == (CLIENT.ip, CLIENT.user_agent)


async def test_sign_in_records_the_login_on_the_user(
    services: Services, state: FakeState, bus: RecordingBus, clock: FakeClock, alice: UserDetail
) -> None:
    clock.advance(hours=1)
    bus.published.clear()
    await services.sign_in(credentials("ALICE"))
    assert state.users[alice.id].last_login_at == clock.now()
    assert bus.published == [
        events.UserLoggedIn(occurred_at=clock.now(), user_id=alice.id, username="alice")
    ]


async def test_a_failed_sign_in_opens_no_session(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(credentials("alice", "wrong horse battery staple"))
    assert state.sessions == {}


async def test_resolve_session_gives_the_user_and_session_behind_the_key(
    services: Services, alice: UserDetail, bob: UserDetail
) -> None:
    signed = await services.sign_in(credentials("alice"))
    await services.sign_in(credentials("bob"))
    current = await services.resolve_session(signed.session_key)
    assert current is not None
    assert (current.user.id, current.user.username) == (alice.id, "alice")
    assert current.session_id == signed.session_id


async def test_resolve_session_of_an_unknown_key_is_none(
    services: Services, alice: UserDetail
) -> None:
    signed = await services.sign_in(credentials())
    assert await services.resolve_session(signed.session_key[:-1] + "!") is None


@pytest.mark.parametrize(("length", "resolves"), [(0, False), (128, True), (129, False)])
async def test_resolve_session_refuses_an_empty_or_over_long_key_before_looking_it_up(
    services: Services,
    state: FakeState,
    clock: FakeClock,
    alice: UserDetail,
    length: int,
    resolves: bool,
) -> None:
    key = "k" * length
    session = plant_session(state, clock, alice, key)
    current = await services.resolve_session(key)
    assert (current is not None and current.session_id == session.id) is resolves


async def test_resolve_session_of_a_revoked_session_is_none(
    services: Services, alice: UserDetail
) -> None:
    signed = await services.sign_in(credentials())
    await services.revoke_session(alice.id, signed.session_id, CLIENT)
    assert await services.resolve_session(signed.session_key) is None


async def test_resolve_session_is_none_once_idle_for_the_idle_timeout(
    services: Services, clock: FakeClock, alice: UserDetail
) -> None:
    signed = await services.sign_in(credentials())
    clock.advance(hours=1, minutes=59)
    assert await services.resolve_session(signed.session_key) is not None
    clock.advance(hours=1, minutes=59)
    assert await services.resolve_session(signed.session_key) is not None
    clock.advance(hours=2)
    assert await services.resolve_session(signed.session_key) is None


async def test_resolve_session_is_none_after_the_lifetime_even_when_used_all_along(
    services: Services, clock: FakeClock, alice: UserDetail
) -> None:
    signed = await services.sign_in(credentials())
    # Every 90 minutes for 30 days: never idle, and the 480th use is the lifetime's end.
    for _ in range(479):
        clock.advance(minutes=90)
        assert await services.resolve_session(signed.session_key) is not None
    clock.advance(minutes=90)
    assert clock.now() == signed.expires_at
    assert await services.resolve_session(signed.session_key) is None


async def test_resolve_session_is_none_when_the_user_is_no_longer_active(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    signed = await services.sign_in(credentials())
    state.users[alice.id].active = False
    assert await services.resolve_session(signed.session_key) is None


async def test_resolve_session_writes_last_seen_at_most_once_a_minute(
    services: Services, state: FakeState, clock: FakeClock, alice: UserDetail
) -> None:
    signed = await services.sign_in(credentials())
    signed_in_at, commits = clock.now(), state.commits

    clock.advance(seconds=59)
    assert await services.resolve_session(signed.session_key) is not None
    assert state.commits == commits
    assert state.sessions[signed.session_id].last_seen_at == signed_in_at

    clock.advance(seconds=1)
    assert await services.resolve_session(signed.session_key) is not None
    assert state.commits == commits + 1
    assert state.sessions[signed.session_id].last_seen_at == clock.now()

    assert await services.resolve_session(signed.session_key) is not None
    assert state.commits == commits + 1


async def test_sign_out_ends_the_session_and_publishes_user_logged_out(
    services: Services, state: FakeState, bus: RecordingBus, clock: FakeClock, alice: UserDetail
) -> None:
    signed = await services.sign_in(credentials())
    bus.published.clear()
    clock.advance(minutes=5)
    await services.sign_out(signed.session_key, CLIENT)
    assert await services.resolve_session(signed.session_key) is None
    assert state.sessions[signed.session_id].revoked_at == clock.now()
    assert bus.published == [
        events.UserLoggedOut(
            occurred_at=clock.now(), user_id=alice.id, session_id=signed.session_id
        )
    ]
    entry = state.audit[-1]
    assert (entry.event_type, entry.user_id, entry.ip) == ("UserLoggedOut", alice.id, CLIENT.ip)


async def test_sign_out_leaves_the_users_other_sessions_alone(
    services: Services, alice: UserDetail
) -> None:
    here = await services.sign_in(credentials())
    elsewhere = await services.sign_in(credentials())
    await services.sign_out(here.session_key, CLIENT)
    assert await services.resolve_session(elsewhere.session_key) is not None


@pytest.mark.parametrize("key", ["", "no-such-key", "k" * 129])
async def test_sign_out_of_an_unknown_key_does_nothing(
    services: Services, state: FakeState, bus: RecordingBus, alice: UserDetail, key: str
) -> None:
    signed = await services.sign_in(credentials())
    commits = state.commits
    bus.published.clear()
    await services.sign_out(key, CLIENT)
    assert state.commits == commits
    assert bus.published == []
    assert await services.resolve_session(signed.session_key) is not None


async def test_list_sessions_lists_the_current_session_first_even_when_another_was_used_later(
    services: Services, clock: FakeClock, alice: UserDetail, bob: UserDetail
) -> None:
    oldest = await services.sign_in(credentials("alice"))
    clock.advance(minutes=10)
    signed_out = await services.sign_in(credentials("alice"))
    clock.advance(minutes=10)
    current = await services.sign_in(credentials("alice"))
    await services.sign_in(credentials("bob"))
    await services.sign_out(signed_out.session_key, CLIENT)
    clock.advance(minutes=10)
    await services.resolve_session(oldest.session_key)

    listed = await services.list_sessions(alice.id, current.session_id)

    assert [view.id for view in listed] == [current.session_id, oldest.session_id]
    assert [view.current for view in listed] == [True, False]
    assert listed[1].last_seen_at == clock.now()
    assert (listed[0].ip, listed[0].user_agent) == (CLIENT.ip, CLIENT.user_agent)


async def test_list_sessions_lists_the_others_by_last_use_most_recent_first(
    services: Services, clock: FakeClock, alice: UserDetail
) -> None:
    opened = []
    for _ in range(3):
        opened.append(await services.sign_in(credentials("alice")))
        clock.advance(minutes=10)
    current = await services.sign_in(credentials("alice"))
    clock.advance(minutes=10)
    await services.resolve_session(opened[1].session_key)  # used after the others

    listed = await services.list_sessions(alice.id, current.session_id)

    oldest, used_again, newer = (signed.session_id for signed in opened)
    assert [view.id for view in listed] == [current.session_id, used_again, newer, oldest]


async def test_a_sign_in_for_a_program_opens_a_session_marked_as_an_api_token(
    services: Services, state: FakeState, alice: UserDetail
) -> None:
    browser = await services.sign_in(credentials())
    program = await services.sign_in(credentials().model_copy(update={"api_token": True}))

    assert not state.sessions[browser.session_id].api_token
    assert state.sessions[program.session_id].api_token
    listed = {view.id: view.api_token for view in await services.list_sessions(alice.id, None)}
    assert listed == {browser.session_id: False, program.session_id: True}


async def test_list_sessions_leaves_out_sessions_that_expired(
    services: Services, clock: FakeClock, alice: UserDetail
) -> None:
    await services.sign_in(credentials())
    clock.advance(hours=3)
    fresh = await services.sign_in(credentials())
    listed = await services.list_sessions(alice.id, None)
    assert [(view.id, view.current) for view in listed] == [(fresh.session_id, False)]


async def test_revoke_session_ends_the_users_own_session(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    clock: FakeClock,
    alice: UserDetail,
) -> None:
    signed = await services.sign_in(credentials())
    bus.published.clear()
    await services.revoke_session(alice.id, signed.session_id, CLIENT)
    assert await services.resolve_session(signed.session_key) is None
    assert state.sessions[signed.session_id].revoked_at == clock.now()
    assert bus.published == [
        events.SessionRevoked(
            occurred_at=clock.now(),
            user_id=alice.id,
            session_id=signed.session_id,
            reason="revoked by the user",
        )
    ]
    entry = state.audit[-1]
    assert (entry.event_type, entry.user_id, entry.ip) == ("SessionRevoked", alice.id, CLIENT.ip)


async def test_revoke_session_of_someone_elses_session_is_not_found_and_changes_nothing(
    services: Services, state: FakeState, bus: RecordingBus, alice: UserDetail, bob: UserDetail
) -> None:
    bobs = await services.sign_in(credentials("bob"))
    commits, audited = state.commits, len(state.audit)
    bus.published.clear()
    with pytest.raises(errors.SessionNotFound):
        await services.revoke_session(alice.id, bobs.session_id, CLIENT)
    assert state.sessions[bobs.session_id].revoked_at is None
    assert await services.resolve_session(bobs.session_key) is not None
    assert (state.commits, len(state.audit)) == (commits, audited)
    assert bus.published == []


async def test_revoke_session_of_an_unknown_or_ended_session_is_not_found(
    services: Services, alice: UserDetail
) -> None:
    signed = await services.sign_in(credentials())
    await services.sign_out(signed.session_key, CLIENT)
    with pytest.raises(errors.SessionNotFound):
        await services.revoke_session(alice.id, signed.session_id, CLIENT)
    with pytest.raises(errors.SessionNotFound):
        await services.revoke_session(alice.id, alice.id, CLIENT)


async def test_revoke_other_sessions_keeps_the_current_one_and_ends_the_rest(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    clock: FakeClock,
    alice: UserDetail,
    bob: UserDetail,
) -> None:
    current = await services.sign_in(credentials("alice"))
    others = [await services.sign_in(credentials("alice")) for _ in range(2)]
    bobs = await services.sign_in(credentials("bob"))
    bus.published.clear()
    clock.advance(minutes=1)

    count = await services.revoke_other_sessions(alice.id, current.session_id, CLIENT)

    assert count == 2
    assert await services.resolve_session(current.session_key) is not None
    assert await services.resolve_session(bobs.session_key) is not None
    for other in others:
        assert await services.resolve_session(other.session_key) is None
        assert state.sessions[other.session_id].revoked_at == clock.now()
    assert len(bus.published) == 2
    assert set(bus.published) == {
        events.SessionRevoked(
            occurred_at=clock.now(),
            user_id=alice.id,
            session_id=other.session_id,
            reason="signed out everywhere else",
        )
        for other in others
    }
    revoked_entries = [e for e in state.audit if e.event_type == "SessionRevoked"]
    assert [(e.user_id, e.ip) for e in revoked_entries] == [(alice.id, CLIENT.ip)] * 2


async def test_revoke_other_sessions_with_nothing_to_keep_ends_them_all(
    services: Services, alice: UserDetail
) -> None:
    signed = [await services.sign_in(credentials()) for _ in range(2)]
    assert await services.revoke_other_sessions(alice.id, None, CLIENT) == 2
    for each in signed:
        assert await services.resolve_session(each.session_key) is None


async def test_revoke_other_sessions_does_not_count_sessions_already_ended(
    services: Services, bus: RecordingBus, alice: UserDetail
) -> None:
    current = await services.sign_in(credentials())
    ended = await services.sign_in(credentials())
    await services.sign_out(ended.session_key, CLIENT)
    bus.published.clear()
    assert await services.revoke_other_sessions(alice.id, current.session_id, CLIENT) == 0
    assert bus.published == []
