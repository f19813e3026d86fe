"""Sign-in attempts are counted per login before the password is checked; past the
limit, sign-in is refused unchecked, however many attempts arrive at once."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from application.services import Services
from domain import errors, events
from domain.ports import Verification
from domain.values import PasswordHash
from tests.fakes import FakeClock, FakeLoginThrottle, FakePasswordHasher, FakeState, RecordingBus
from tests.unit.application.helpers import CLIENT, PASSWORD, WRONG, SignUp, credentials

LIMIT = 5


@pytest.fixture
def throttle(services: Services) -> FakeLoginThrottle:
    assert isinstance(services.throttle, FakeLoginThrottle)
    assert (services.throttle.limit, services.throttle.wait) == (LIMIT, 900)
    return services.throttle


async def fail(services: Services, login: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(errors.InvalidCredentials):
            await services.sign_in(credentials(login, WRONG))


@pytest.mark.parametrize("login", ["alice", "nobody"], ids=["existing-account", "unknown-login"])
async def test_after_five_failures_the_sixth_attempt_is_refused_without_hashing(
    services: Services,
    hasher: FakePasswordHasher,
    throttle: FakeLoginThrottle,
    sign_up: SignUp,
    login: str,
) -> None:
    await sign_up("alice")
    await fail(services, login, LIMIT)
    work_before = hasher.work_done
    with pytest.raises(errors.AccountLocked) as refused:
        await services.sign_in(credentials(login, WRONG))
    assert refused.value.retry_after == 900
    assert hasher.work_done == work_before


async def test_the_correct_password_is_refused_too_while_locked(
    services: Services, state: FakeState, throttle: FakeLoginThrottle, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    await fail(services, "alice", LIMIT)
    with pytest.raises(errors.TooManyAttempts):
        await services.sign_in(credentials("alice", PASSWORD))
    assert state.sessions == {}
    assert state.users[alice.id].last_login_at is None


async def test_a_right_password_takes_no_place_but_leaves_the_wrong_ones_counted(
    services: Services, throttle: FakeLoginThrottle, sign_up: SignUp
) -> None:
    """A success gives its own place back and forgets nothing else: with guesses in
    flight, it must not open the window to more of them."""
    await sign_up("alice")
    await fail(services, "alice", LIMIT - 1)
    for _ in range(LIMIT + 1):
        await services.sign_in(credentials("alice"))
    await fail(services, "alice", 1)
    with pytest.raises(errors.TooManyAttempts):
        await services.sign_in(credentials("alice"))


async def test_the_lock_ignores_letter_case_and_surrounding_spaces_of_the_login(
    services: Services, throttle: FakeLoginThrottle, sign_up: SignUp
) -> None:
    await sign_up("alice")
    for typed in ["Alice", "ALICE", "  alice", "aLiCe  ", "alice"]:
        await fail(services, typed)
    with pytest.raises(errors.TooManyAttempts):
        await services.sign_in(credentials(" ALICE "))


async def test_a_locked_login_does_not_lock_anyone_else(
    services: Services, throttle: FakeLoginThrottle, sign_up: SignUp
) -> None:
    await sign_up("alice")
    bob = await sign_up("bob")
    await fail(services, "alice", LIMIT)
    signed = await services.sign_in(credentials("bob"))
    assert signed.user.id == bob.id


async def test_a_throttled_attempt_is_published_and_audited_with_the_clients_ip(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    clock: FakeClock,
    throttle: FakeLoginThrottle,
    sign_up: SignUp,
) -> None:
    alice = await sign_up("alice")
    await fail(services, "alice", LIMIT)
    bus.published.clear()
    audited = len(state.audit)

    with pytest.raises(errors.TooManyAttempts):
        await services.sign_in(credentials("Alice"))

    assert bus.published == [
        events.SignInThrottled(occurred_at=clock.now(), user_id=alice.id, retry_after=900)
    ]
    assert len(state.audit) == audited + 1
    entry = state.audit[-1]
    assert (entry.event_type, entry.user_id, entry.ip) == ("SignInThrottled", alice.id, CLIENT.ip)
    assert entry.details == {"retry_after": "900"}


@pytest.mark.parametrize("login", ["alice", "nobody"], ids=["existing-account", "unknown-login"])
async def test_forty_attempts_at_once_check_at_most_the_limits_worth_of_passwords(
    services: Services,
    hasher: FakePasswordHasher,
    throttle: FakeLoginThrottle,
    sign_up: SignUp,
    login: str,
) -> None:
    await sign_up("alice")
    work_before = hasher.work_done
    attempts = [credentials(login, f"guess {n}") for n in range(39)]
    attempts.append(credentials(login, PASSWORD))

    outcomes = await asyncio.gather(
        *(services.sign_in(each) for each in reversed(attempts)), return_exceptions=True
    )

    refused = [o for o in outcomes if isinstance(o, errors.TooManyAttempts)]
    assert hasher.work_done - work_before == LIMIT
    assert len(refused) == len(attempts) - LIMIT


async def test_a_throttled_login_that_names_no_account_is_recorded_by_its_digest(
    services: Services, state: FakeState, bus: RecordingBus
) -> None:
    typed = "my secret pass phrase"
    await fail(services, typed, LIMIT)
    with pytest.raises(errors.TooManyAttempts):
        await services.sign_in(credentials(typed))
    throttled = bus.published[-1]
    assert isinstance(throttled, events.SignInThrottled)
    assert throttled.user_id is None
    assert throttled.login_digest == services.login_digest.digest(typed)
    assert typed not in repr(state.audit)


class StalledHasher(FakePasswordHasher):
    """A check that never ends, as when the client goes away while its hash runs."""

    async def verify(self, password: str, password_hash: PasswordHash) -> Verification:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def dummy_verify(self, password: str) -> None:
        await asyncio.Event().wait()


@pytest.mark.parametrize("login", ["alice", "nobody"], ids=["existing-account", "unknown-login"])
async def test_a_sign_in_cut_short_gives_its_place_back(
    services: Services, throttle: FakeLoginThrottle, sign_up: SignUp, login: str
) -> None:
    """Clients that hang up mid-check told nobody anything: they must not use up the
    account's window and lock it out."""
    await sign_up("alice")
    stalled = dataclasses.replace(services, hasher=StalledHasher())
    for _ in range(LIMIT * 2):
        attempt = asyncio.create_task(stalled.sign_in(credentials(login, WRONG)))
        await asyncio.sleep(0.01)
        attempt.cancel()
        with pytest.raises(asyncio.CancelledError):
            await attempt
    assert sum(throttle.attempts.values()) == 0
    await fail(services, login, LIMIT)
    with pytest.raises(errors.TooManyAttempts):
        await services.sign_in(credentials(login, WRONG))
