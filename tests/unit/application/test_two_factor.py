"""Two-factor use cases on fakes: set-up, the code step of signing in, turning it off,
new recovery codes and an administrator's reset, with a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from application.commands import (
    ConfirmTwoFactor,
    DisableTwoFactor,
    RegenerateRecoveryCodes,
)
from application.results import SignedIn, TwoFactorRequired
from application.services import Services
from domain import errors, events, two_factor
from tests.fakes import FakeClock, FakeLoginThrottle, FakeState, RecordingBus
from tests.unit.application.helpers import (
    CLIENT,
    PASSWORD,
    WRONG,
    SignUp,
    acting,
    credentials,
)
from tests.unit.application.two_factor_support import Account, challenge, code_now, finishing

# Set-up


async def test_setup_gives_a_key_and_the_otpauth_uri_and_keeps_it_encrypted(
    services: Services, state: FakeState, sign_up: SignUp, clock: FakeClock
) -> None:
    user = await sign_up("alice")
    setup = await services.begin_two_factor_setup(user.id)
    assert setup.otpauth_uri == (
        f"otpauth://totp/Gatehouse:alice?secret={setup.secret}&issuer=Gatehouse"
    )
    assert setup.expires_at == clock.now() + two_factor.SETUP_LIFETIME
    stored = state.pending_two_factor[user.id].secret_encrypted
    assert setup.secret not in stored
    assert (await services.two_factor_status(user.id)).enabled is False


async def test_a_right_code_turns_it_on_with_ten_recovery_codes_stored_hashed(
    services: Services, state: FakeState, bus: RecordingBus, account: Account
) -> None:
    assert len(set(account.codes.codes)) == two_factor.RECOVERY_CODE_COUNT
    stored = state.two_factor[account.user.id]
    hashes = {code.code_hash for code in stored.recovery_codes}
    assert not hashes & set(account.codes.codes)
    assert account.secret not in stored.secret_encrypted
    assert account.user.id not in state.pending_two_factor
    status = await services.two_factor_status(account.user.id)
    assert (status.enabled, status.recovery_codes_left) == (True, 10)
    assert [type(e) for e in bus.published if isinstance(e, events.TwoFactorEnabled)] == [
        events.TwoFactorEnabled
    ]
    assert "TwoFactorEnabled" in [entry.event_type for entry in state.audit]


async def test_a_wrong_setup_code_changes_nothing(
    services: Services, state: FakeState, sign_up: SignUp, clock: FakeClock
) -> None:
    user = await sign_up("alice")
    setup = await services.begin_two_factor_setup(user.id)
    wrong = code_now(setup.secret, clock, steps=5)
    with pytest.raises(errors.InvalidCode):
        await services.confirm_two_factor_setup(ConfirmTwoFactor(user_id=user.id, code=wrong))
    assert user.id not in state.two_factor
    assert user.id in state.pending_two_factor


async def test_the_pending_secret_expires_after_ten_minutes(
    services: Services, sign_up: SignUp, clock: FakeClock
) -> None:
    user = await sign_up("alice")
    setup = await services.begin_two_factor_setup(user.id)
    clock.advance(minutes=10)
    with pytest.raises(errors.SetupExpired):
        await services.confirm_two_factor_setup(
            ConfirmTwoFactor(user_id=user.id, code=code_now(setup.secret, clock))
        )


async def test_confirming_without_a_setup_is_an_expired_setup(
    services: Services, sign_up: SignUp
) -> None:
    user = await sign_up("alice")
    with pytest.raises(errors.SetupExpired):
        await services.confirm_two_factor_setup(ConfirmTwoFactor(user_id=user.id, code="123456"))


async def test_a_new_setup_replaces_the_earlier_secret(
    services: Services, sign_up: SignUp, clock: FakeClock
) -> None:
    user = await sign_up("alice")
    first = await services.begin_two_factor_setup(user.id)
    second = await services.begin_two_factor_setup(user.id)
    with pytest.raises(errors.InvalidCode):
        await services.confirm_two_factor_setup(
            ConfirmTwoFactor(user_id=user.id, code=code_now(first.secret, clock))
        )
    await services.confirm_two_factor_setup(
        ConfirmTwoFactor(user_id=user.id, code=code_now(second.secret, clock))
    )


async def test_setup_is_refused_when_it_is_already_on(services: Services, account: Account) -> None:
    with pytest.raises(errors.TwoFactorAlreadyEnabled):
        await services.begin_two_factor_setup(account.user.id)


# Signing in


async def test_without_two_factor_sign_in_opens_a_session_as_before(
    services: Services, sign_up: SignUp
) -> None:
    await sign_up("alice")
    assert isinstance(await services.sign_in(credentials("alice")), SignedIn)


async def test_a_right_password_gives_a_challenge_and_no_session(
    services: Services, state: FakeState, bus: RecordingBus, account: Account, clock: FakeClock
) -> None:
    result = await services.sign_in(credentials("alice"))
    assert isinstance(result, TwoFactorRequired)
    assert result.expires_at == clock.now() + two_factor.CHALLENGE_LIFETIME
    assert state.sessions == {}
    assert not [e for e in bus.published if isinstance(e, events.UserLoggedIn)]
    assert result.challenge not in state.challenges  # only its hash is kept


async def test_a_wrong_password_gives_no_challenge(
    services: Services, state: FakeState, account: Account
) -> None:
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(credentials("alice", WRONG))
    assert state.challenges == {}


async def test_a_current_code_opens_the_session_as_sign_in_does(
    services: Services, state: FakeState, bus: RecordingBus, account: Account, clock: FakeClock
) -> None:
    token = await challenge(services, remember=True)
    signed_in = await services.complete_sign_in(finishing(token, code_now(account.secret, clock)))
    session = state.sessions[signed_in.session_id]
    assert (signed_in.user.id, signed_in.persistent, session.persistent) == (
        account.user.id,
        True,
        True,
    )
    assert (session.ip, session.api_token) == (CLIENT.ip, False)
    logged_in = [e for e in bus.published if isinstance(e, events.UserLoggedIn)]
    assert [e.user_id for e in logged_in] == [account.user.id]


async def test_an_api_sign_in_finishes_as_an_api_token(
    services: Services, state: FakeState, account: Account, clock: FakeClock
) -> None:
    cmd = credentials("alice").model_copy(update={"api_token": True})
    result = await services.sign_in(cmd)
    assert isinstance(result, TwoFactorRequired)
    signed_in = await services.complete_sign_in(
        finishing(result.challenge, code_now(account.secret, clock))
    )
    assert state.sessions[signed_in.session_id].api_token


async def test_a_code_from_the_step_before_or_after_is_accepted(
    services: Services, account: Account, clock: FakeClock
) -> None:
    for steps in (-1, 1):
        clock.advance(seconds=90)
        token = await challenge(services)
        code = code_now(account.secret, clock, steps=steps)
        await services.complete_sign_in(finishing(token, code))


async def test_a_code_two_steps_off_is_refused(
    services: Services, account: Account, clock: FakeClock
) -> None:
    token = await challenge(services)
    with pytest.raises(errors.InvalidCode):
        await services.complete_sign_in(finishing(token, code_now(account.secret, clock, steps=2)))


async def test_a_code_is_accepted_once_even_with_a_new_challenge(
    services: Services, account: Account, clock: FakeClock
) -> None:
    code = code_now(account.secret, clock)
    await services.complete_sign_in(finishing(await challenge(services), code))
    clock.advance(seconds=10)
    with pytest.raises(errors.InvalidCode):
        await services.complete_sign_in(finishing(await challenge(services), code))


async def test_a_challenge_is_used_once(
    services: Services, account: Account, clock: FakeClock
) -> None:
    token = await challenge(services)
    await services.complete_sign_in(finishing(token, code_now(account.secret, clock)))
    clock.advance(seconds=30)
    with pytest.raises(errors.InvalidChallenge):
        await services.complete_sign_in(finishing(token, code_now(account.secret, clock)))


async def test_a_challenge_expires_after_five_minutes(
    services: Services, account: Account, clock: FakeClock
) -> None:
    token = await challenge(services)
    clock.advance(minutes=5)
    with pytest.raises(errors.InvalidChallenge):
        await services.complete_sign_in(finishing(token, code_now(account.secret, clock)))


@pytest.mark.parametrize("token", ["", "made-up", "x" * 300])
async def test_an_unknown_challenge_is_refused(
    services: Services, account: Account, clock: FakeClock, token: str
) -> None:
    with pytest.raises(errors.InvalidChallenge):
        await services.complete_sign_in(finishing(token, code_now(account.secret, clock)))


async def test_the_challenge_survives_a_wrong_code(
    services: Services, account: Account, clock: FakeClock
) -> None:
    token = await challenge(services)
    with pytest.raises(errors.InvalidCode):
        await services.complete_sign_in(finishing(token, "000000"))
    await services.complete_sign_in(finishing(token, code_now(account.secret, clock)))


async def test_a_deactivated_account_cannot_finish_its_sign_in(
    services: Services, state: FakeState, account: Account, clock: FakeClock
) -> None:
    token = await challenge(services)
    state.users[account.user.id].active = False
    with pytest.raises(errors.InvalidChallenge):
        await services.complete_sign_in(finishing(token, code_now(account.secret, clock)))


async def test_a_recovery_code_works_once_and_says_how_many_remain(
    services: Services, bus: RecordingBus, account: Account
) -> None:
    spent = account.codes.codes[3]
    await services.complete_sign_in(finishing(await challenge(services), spent.upper()))
    used = [e for e in bus.published if isinstance(e, events.RecoveryCodeUsed)]
    assert [e.remaining for e in used] == [9]
    with pytest.raises(errors.InvalidCode):
        await services.complete_sign_in(finishing(await challenge(services), spent))
    assert (await services.two_factor_status(account.user.id)).recovery_codes_left == 9


# Wrong codes and the account's lock


@pytest.fixture
def throttle(services: Services) -> FakeLoginThrottle:
    assert isinstance(services.throttle, FakeLoginThrottle)
    return services.throttle


async def test_wrong_codes_fill_the_same_window_as_wrong_passwords(
    services: Services, state: FakeState, throttle: FakeLoginThrottle, account: Account
) -> None:
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(credentials("alice", WRONG))
    token = await challenge(services)
    for _ in range(4):
        with pytest.raises(errors.InvalidCode):
            await services.complete_sign_in(finishing(token, "000000"))
    with pytest.raises(errors.AccountLocked):
        await services.complete_sign_in(finishing(token, "000000"))
    with pytest.raises(errors.AccountLocked):
        await services.sign_in(credentials("alice", PASSWORD))
    failed = [e for e in state.audit if e.event_type == "LoginFailed"]
    assert len(failed) == 5
    assert "SignInThrottled" in [e.event_type for e in state.audit]


async def test_a_right_code_takes_no_place_in_the_window(
    services: Services, throttle: FakeLoginThrottle, account: Account, clock: FakeClock
) -> None:
    await services.complete_sign_in(
        finishing(await challenge(services), code_now(account.secret, clock))
    )
    assert sum(throttle.attempts.values()) == 0


async def test_thirty_wrong_codes_at_once_check_at_most_the_limit(
    services: Services, throttle: FakeLoginThrottle, account: Account
) -> None:
    token = await challenge(services)
    outcomes = await asyncio.gather(
        *(services.complete_sign_in(finishing(token, "000000")) for _ in range(30)),
        return_exceptions=True,
    )
    kinds = [type(outcome) for outcome in outcomes]
    assert kinds.count(errors.InvalidCode) == throttle.limit
    assert kinds.count(errors.AccountLocked) == 30 - throttle.limit


# Turning it off, new codes, and an administrator's reset


async def test_turning_it_off_needs_the_password_and_a_code(
    services: Services, state: FakeState, bus: RecordingBus, account: Account, clock: FakeClock
) -> None:
    user_id = account.user.id
    with pytest.raises(errors.InvalidCredentials):
        await services.disable_two_factor(
            DisableTwoFactor(user_id=user_id, password=WRONG, code=code_now(account.secret, clock))
        )
    with pytest.raises(errors.InvalidCode):
        await services.disable_two_factor(
            DisableTwoFactor(user_id=user_id, password=PASSWORD, code="000000")
        )
    assert user_id in state.two_factor
    await services.disable_two_factor(
        DisableTwoFactor(user_id=user_id, password=PASSWORD, code=code_now(account.secret, clock))
    )
    assert user_id not in state.two_factor
    assert any(isinstance(e, events.TwoFactorDisabled) for e in bus.published)
    assert isinstance(await services.sign_in(credentials("alice")), SignedIn)


async def test_turning_it_off_when_it_is_off_is_refused(
    services: Services, sign_up: SignUp
) -> None:
    user = await sign_up("alice")
    with pytest.raises(errors.TwoFactorNotEnabled):
        await services.disable_two_factor(
            DisableTwoFactor(user_id=user.id, password=PASSWORD, code="123456")
        )


async def test_new_recovery_codes_need_the_password_and_retire_the_old(
    services: Services, bus: RecordingBus, account: Account
) -> None:
    user_id = account.user.id
    with pytest.raises(errors.InvalidCredentials):
        await services.regenerate_recovery_codes(
            RegenerateRecoveryCodes(user_id=user_id, password=WRONG)
        )
    fresh = await services.regenerate_recovery_codes(
        RegenerateRecoveryCodes(user_id=user_id, password=PASSWORD)
    )
    assert not set(fresh.codes) & set(account.codes.codes)
    assert any(isinstance(e, events.RecoveryCodesRegenerated) for e in bus.published)
    with pytest.raises(errors.InvalidCode):
        await services.complete_sign_in(
            finishing(await challenge(services), account.codes.codes[0])
        )
    await services.complete_sign_in(finishing(await challenge(services), fresh.codes[0]))


async def test_an_admin_reset_turns_it_off_and_ends_every_session(
    services: Services,
    state: FakeState,
    account: Account,
    clock: FakeClock,
    make_admin: SignUp,
) -> None:
    boss = await make_admin("boss")
    signed_in = await services.complete_sign_in(
        finishing(await challenge(services), code_now(account.secret, clock))
    )
    await services.reset_two_factor(account.user.id, acting(boss))
    assert account.user.id not in state.two_factor
    assert state.sessions[signed_in.session_id].revoked_at == clock.now()
    reset = [e for e in state.audit if e.event_type == "TwoFactorReset"]
    assert [(e.user_id, e.actor_id) for e in reset] == [(account.user.id, boss.id)]
    assert isinstance(await services.sign_in(credentials("alice")), SignedIn)


async def test_an_admin_may_not_reset_their_own(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp, make_admin: SignUp
) -> None:
    boss = await make_admin("boss")
    setup = await services.begin_two_factor_setup(boss.id)
    await services.confirm_two_factor_setup(
        ConfirmTwoFactor(user_id=boss.id, code=code_now(setup.secret, clock), client=CLIENT)
    )
    with pytest.raises(errors.CannotResetOwnTwoFactor):
        await services.reset_two_factor(boss.id, acting(boss))
    assert boss.id in state.two_factor


async def test_only_an_admin_may_reset_it(
    services: Services, state: FakeState, account: Account, sign_up: SignUp
) -> None:
    bob = await sign_up("bob")
    with pytest.raises(errors.PermissionDenied):
        await services.reset_two_factor(account.user.id, acting(bob))
    assert account.user.id in state.two_factor


async def test_rotating_secrets_keeps_codes_working(
    services: Services, state: FakeState, account: Account, clock: FakeClock
) -> None:
    before = state.two_factor[account.user.id].secret_encrypted
    assert await services.rotate_secrets() == 1
    assert state.two_factor[account.user.id].secret_encrypted == before  # the fake's box is fixed
    await services.complete_sign_in(
        finishing(await challenge(services), code_now(account.secret, clock))
    )


async def test_a_new_challenge_clears_the_accounts_expired_ones(
    services: Services, state: FakeState, account: Account, clock: FakeClock
) -> None:
    await challenge(services)
    clock.advance(minutes=6)
    await challenge(services)
    assert len(state.challenges) == 1
