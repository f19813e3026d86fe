"""The outbox: invalidations written with the change, delivered by the relay until the
cache acknowledged them; and the bound on a session copy whose invalidation was lost."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from application.caching import ReadCache
from application.commands import Client, SignIn
from application.outbox import Invalidation, Relay, invalidation_for
from application.results import UserDetail
from application.services import Services
from domain import errors, events
from domain.sessions import hash_session_key
from domain.users import User
from domain.values import EmailAddress, PasswordHash, Username
from tests.fakes import SESSION_POLICY, FakeCache, FakeClock, FakeOutbox, FakeState
from tests.unit.application.helpers import PASSWORD, SignUp

HANG = 5  # seconds: only a relay that never retries would take this long


class FlakyCache(FakeCache):
    """Does not acknowledge the first ``failures`` writes, as a Redis going away."""

    def __init__(self, clock: FakeClock, failures: int) -> None:
        super().__init__(clock)
        self.failures = failures
        self.attempts = 0

    async def write(self, values: Mapping[str, str], *, ttl: float) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise errors.ServiceUnavailable()
        await super().write(values, ttl=ttl)


def quick_relay(outbox: FakeOutbox, cache: ReadCache) -> Relay:
    return Relay(outbox, cache.deliver, poll=0.01, retry_first=0.001, retry_max=0.01)


async def settled(relay: Relay, state: FakeState) -> None:
    relay.start()
    try:
        for _ in range(HANG * 200):
            if not state.outbox:
                break
            await asyncio.sleep(0.005)
    finally:
        await relay.stop()
    assert state.outbox == []


async def test_a_committed_change_writes_its_invalidation_in_the_same_commit(
    services: Services, state: FakeState, sign_up: SignUp
) -> None:
    user = await sign_up("alice")
    [written] = state.outbox
    assert (written.user_id, written.members) == (user.id, True)


async def test_a_change_rolled_back_writes_no_invalidation(
    services: Services, state: FakeState, clock: FakeClock
) -> None:
    async with services.uow_factory() as uow:
        uow.users.add(
            User.register(
                Username("bob"), EmailAddress("bob@example.com"), PasswordHash("h"), now=clock.now()
            )
        )
    assert state.outbox == []


async def test_an_event_no_cached_copy_depends_on_writes_nothing(
    services: Services, state: FakeState, clock: FakeClock
) -> None:
    async with services.uow_factory() as uow:
        uow.record(events.LoginFailed(occurred_at=clock.now(), login_digest="ab12"))
        await uow.commit()
    assert state.outbox == []


async def test_failed_and_throttled_sign_ins_of_an_account_leave_its_cached_copy(
    services: Services, state: FakeState, clock: FakeClock
) -> None:
    """They name the account but change nothing a copy holds: an attacker's guesses
    must not write an outbox row each, nor evict the account's copy on every guess."""
    account = uuid4()
    async with services.uow_factory() as uow:
        uow.record(events.LoginFailed(occurred_at=clock.now(), user_id=account))
        uow.record(events.SignInThrottled(occurred_at=clock.now(), user_id=account, retry_after=9))
        await uow.commit()
    assert state.outbox == []


async def test_the_relay_delivers_what_is_pending_and_then_removes_it(
    state: FakeState, clock: FakeClock
) -> None:
    alice, bob = Invalidation(clock.now(), user_id=uuid4()), Invalidation(clock.now(), members=True)
    state.outbox.extend([alice, bob])
    shared = FakeCache(clock)
    await shared.set(f"user:{alice.user_id}", "a copy", ttl=300)
    relay = quick_relay(FakeOutbox(state.outbox), ReadCache(shared, ttl=300))
    assert await relay.deliver_pending() == 2
    assert await shared.get(f"user:{alice.user_id}") == "-"
    assert await shared.get("members:generation") is not None
    assert state.outbox == []


async def test_a_delivery_the_cache_did_not_acknowledge_stays_pending_and_is_retried(
    state: FakeState, clock: FakeClock
) -> None:
    invalidation = Invalidation(clock.now(), user_id=uuid4())
    state.outbox.append(invalidation)
    flaky = FlakyCache(clock, failures=3)
    relay = quick_relay(FakeOutbox(state.outbox), ReadCache(flaky, ttl=300))
    with pytest.raises(errors.ServiceUnavailable):
        await relay.deliver_pending()
    assert state.outbox == [invalidation]
    await settled(relay, state)
    assert flaky.attempts == 4
    assert await flaky.get(f"user:{invalidation.user_id}") == "-"


async def test_the_relay_outlives_an_outbox_that_does_not_answer(
    state: FakeState, clock: FakeClock
) -> None:
    outbox = FakeOutbox(state.outbox)
    outbox.failing = True
    state.outbox.append(Invalidation(clock.now(), user_id=uuid4()))
    relay = quick_relay(outbox, ReadCache(FakeCache(clock), ttl=300))
    relay.start()
    await asyncio.sleep(0.05)
    outbox.failing = False
    await settled(relay, state)


async def test_a_session_copy_whose_invalidation_was_lost_lives_at_most_the_local_ttl(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp
) -> None:
    """Every write that should have reached the shared cache was lost: the process's
    session copy still goes back to the database within ``local_ttl``."""
    alice = await sign_up("alice")
    here = ReadCache(FakeCache(clock), ttl=300, settle=1, local=FakeCache(clock), local_ttl=5)
    signed = await services.sign_in(SignIn(login="alice", password=PASSWORD, client=Client()))
    clock.advance(seconds=2)
    session, key_hash = state.sessions[signed.session_id], hash_session_key(signed.session_key)
    user = UserDetail.of(state.users[alice.id])
    await here.keep_session(key_hash, session, user, now=clock.now(), policy=SESSION_POLICY)
    assert await here.session(key_hash, now=clock.now(), policy=SESSION_POLICY) is not None
    clock.advance(seconds=4.9)
    assert await here.session(key_hash, now=clock.now(), policy=SESSION_POLICY) is not None
    clock.advance(seconds=0.1)
    assert await here.session(key_hash, now=clock.now(), policy=SESSION_POLICY) is None


NOW = datetime(2026, 1, 1, tzinfo=UTC)
SOMEONE = uuid4()


@pytest.mark.parametrize(
    "event",
    [
        events.UserLoggedOut(occurred_at=NOW, user_id=SOMEONE, session_id=uuid4()),
        events.SessionRevoked(occurred_at=NOW, user_id=SOMEONE, session_id=uuid4(), reason="x"),
        events.PasswordChanged(occurred_at=NOW, user_id=SOMEONE),
        events.UserDeactivated(occurred_at=NOW, user_id=SOMEONE),
        events.RoleRevoked(occurred_at=NOW, user_id=SOMEONE, role="admin"),
    ],
    ids=lambda event: type(event).__name__,
)
def test_every_kind_of_revocation_is_an_invalidation_of_the_account(event: events.Event) -> None:
    invalidation = invalidation_for(event)
    assert invalidation is not None
    assert invalidation.user_id == SOMEONE
