"""Trusted browsers on fakes: "don't ask again on this browser" spares the code (never
the password) until it expires or is forgotten; what proved each session's second
factor is kept with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from application.commands import ChangePassword, DisableTwoFactor
from application.results import SignedIn, TwoFactorRequired
from application.services import Services
from domain import errors, events
from domain.sessions import SecondFactor
from tests.fakes import FakeClock, FakeState, RecordingBus
from tests.unit.application.helpers import (
    CLIENT,
    NEW_PASSWORD,
    PASSWORD,
    WRONG,
    SignUp,
    acting,
    admin_creation,
    credentials,
)
from tests.unit.application.two_factor_support import (
    Account,
    challenge,
    code_now,
    finishing,
    two_factor_account,
)


async def trusting(services: Services, account: Account, clock: FakeClock) -> SignedIn:
    """Sign in with a code, asking to trust the browser."""
    code = code_now(account.secret, clock)
    return await services.complete_sign_in(
        finishing(await challenge(services), code, trust_browser=True)
    )


async def signing_in_from(services: Services, token: str | None, login: str = "alice") -> object:
    return await services.sign_in(credentials(login).model_copy(update={"trusted_browser": token}))


async def test_a_trusted_browser_skips_the_code_at_the_next_sign_in(
    services: Services, state: FakeState, bus: RecordingBus, account: Account, clock: FakeClock
) -> None:
    first = await trusting(services, account, clock)
    assert first.trusted_browser is not None
    assert first.trusted_until == clock.now() + services.session_policy.trust_lifetime
    (browser,) = state.trusted_browsers.values()
    assert browser.token_hash != first.trusted_browser  # only a digest is kept
    assert [type(e) for e in bus.published].count(events.BrowserTrusted) == 1

    clock.advance(days=3)
    again = await signing_in_from(services, first.trusted_browser)
    assert isinstance(again, SignedIn)
    assert state.sessions[again.session_id].second_factor == SecondFactor.TRUSTED_BROWSER
    assert state.trusted_browsers[browser.id].last_used_at == clock.now()
    assert state.users[account.user.id].last_login_at == clock.now()


async def test_the_password_is_still_asked_on_a_trusted_browser(
    services: Services, account: Account, clock: FakeClock
) -> None:
    token = (await trusting(services, account, clock)).trusted_browser
    with pytest.raises(errors.InvalidCredentials):
        await services.sign_in(
            credentials("alice", WRONG).model_copy(update={"trusted_browser": token})
        )


async def test_without_asking_the_browser_is_not_trusted(
    services: Services, state: FakeState, account: Account, clock: FakeClock
) -> None:
    signed_in = await services.complete_sign_in(
        finishing(await challenge(services), code_now(account.secret, clock))
    )
    assert signed_in.trusted_browser is None
    assert state.trusted_browsers == {}


async def test_an_api_sign_in_never_trusts_a_browser(
    services: Services, state: FakeState, account: Account, clock: FakeClock
) -> None:
    token = await challenge(services, api_token=True)
    signed_in = await services.complete_sign_in(
        finishing(token, code_now(account.secret, clock), trust_browser=True)
    )
    assert signed_in.trusted_browser is None
    assert state.trusted_browsers == {}


async def test_the_trust_ends_after_its_lifetime(
    services: Services, account: Account, clock: FakeClock
) -> None:
    token = (await trusting(services, account, clock)).trusted_browser
    clock.advance(days=30)
    assert isinstance(await signing_in_from(services, token), TwoFactorRequired)


@pytest.mark.parametrize("token", ["", "made-up", "x" * 300, "not a token!", "é" * 10])
async def test_an_unknown_or_malformed_token_asks_for_the_code(
    services: Services, account: Account, token: str
) -> None:
    assert isinstance(await signing_in_from(services, token), TwoFactorRequired)


async def test_a_browser_trusted_by_one_account_spares_no_other_its_code(
    services: Services, account: Account, clock: FakeClock, sign_up: SignUp
) -> None:
    bob = await two_factor_account(services, clock, sign_up, "bob")
    bobs = await services.complete_sign_in(
        finishing(
            await challenge(services, login="bob"), code_now(bob.secret, clock), trust_browser=True
        )
    )
    assert isinstance(await signing_in_from(services, bobs.trusted_browser), TwoFactorRequired)
    assert isinstance(await signing_in_from(services, bobs.trusted_browser, "bob"), SignedIn)


async def test_sessions_say_what_proved_their_second_factor(
    services: Services, state: FakeState, account: Account, clock: FakeClock, sign_up: SignUp
) -> None:
    by_code = await services.complete_sign_in(
        finishing(await challenge(services), code_now(account.secret, clock))
    )
    by_recovery = await services.complete_sign_in(
        finishing(await challenge(services), account.codes.codes[0])
    )
    await sign_up("carol")
    plain = await services.sign_in(credentials("carol"))
    assert isinstance(plain, SignedIn)
    assert state.sessions[by_code.session_id].second_factor == SecondFactor.CODE
    assert state.sessions[by_recovery.session_id].second_factor == SecondFactor.RECOVERY_CODE
    assert state.sessions[plain.session_id].second_factor is None
    views = await services.list_sessions(account.user.id, by_code.session_id)
    assert [view.second_factor for view in views] == ["code", "recovery_code"]


async def test_the_list_marks_this_browser_and_leaves_out_expired_ones(
    services: Services, account: Account, clock: FakeClock
) -> None:
    old = (await trusting(services, account, clock)).trusted_browser
    clock.advance(days=29, seconds=30)
    new = (await trusting(services, account, clock)).trusted_browser
    listed = await services.list_trusted_browsers(account.user.id, new)
    assert [view.current for view in listed] == [True, False]
    assert listed[0].user_agent == CLIENT.user_agent and listed[0].ip == CLIENT.ip
    as_old = await services.list_trusted_browsers(account.user.id, old)
    assert [(view.id, view.current) for view in as_old] == [
        (listed[1].id, True),
        (listed[0].id, False),
    ]
    clock.advance(days=1)  # the old one's 30 days are over
    remaining = await services.list_trusted_browsers(account.user.id, old)
    assert [(view.id, view.current) for view in remaining] == [(listed[0].id, False)]


async def test_trusting_another_browser_clears_the_expired_ones(
    services: Services, state: FakeState, account: Account, clock: FakeClock
) -> None:
    await trusting(services, account, clock)
    clock.advance(days=31)
    await trusting(services, account, clock)
    assert len(state.trusted_browsers) == 1


async def test_forgetting_a_browser_asks_it_for_the_code_again(
    services: Services, state: FakeState, account: Account, clock: FakeClock
) -> None:
    token = (await trusting(services, account, clock)).trusted_browser
    (listed,) = await services.list_trusted_browsers(account.user.id, token)
    await services.forget_trusted_browser(account.user.id, listed.id, CLIENT)
    assert isinstance(await signing_in_from(services, token), TwoFactorRequired)
    assert await services.list_trusted_browsers(account.user.id, token) == []
    forgotten = [e for e in state.audit if e.event_type == "TrustedBrowserForgotten"]
    assert [(e.user_id, e.ip, e.details["reason"]) for e in forgotten] == [
        (account.user.id, CLIENT.ip, "forgotten by the user")
    ]
    with pytest.raises(errors.TrustedBrowserNotFound):  # once only
        await services.forget_trusted_browser(account.user.id, listed.id, CLIENT)


async def test_nobody_forgets_someone_elses_browser(
    services: Services, account: Account, clock: FakeClock, sign_up: SignUp
) -> None:
    token = (await trusting(services, account, clock)).trusted_browser
    (listed,) = await services.list_trusted_browsers(account.user.id, token)
    bob = await sign_up("bob")
    with pytest.raises(errors.TrustedBrowserNotFound):
        await services.forget_trusted_browser(bob.id, listed.id, CLIENT)
    assert isinstance(await signing_in_from(services, token), SignedIn)


Forgetting = Callable[[Services, Account, FakeClock, SignUp, SignedIn], Awaitable[object]]


async def _change_password(
    services: Services, account: Account, clock: FakeClock, sign_up: SignUp, current: SignedIn
) -> object:
    return await services.change_password(
        ChangePassword(
            user_id=account.user.id,
            session_id=current.session_id,
            current_password=PASSWORD,
            new_password=NEW_PASSWORD,
        )
    )


async def _sign_out_everywhere_else(
    services: Services, account: Account, clock: FakeClock, sign_up: SignUp, current: SignedIn
) -> object:
    return await services.revoke_other_sessions(account.user.id, current.session_id, CLIENT)


async def _turn_two_factor_off(
    services: Services, account: Account, clock: FakeClock, sign_up: SignUp, current: SignedIn
) -> object:
    clock.advance(seconds=30)
    code = code_now(account.secret, clock)
    return await services.disable_two_factor(
        DisableTwoFactor(user_id=account.user.id, password=PASSWORD, code=code)
    )


async def _administrator_reset(
    services: Services, account: Account, clock: FakeClock, sign_up: SignUp, current: SignedIn
) -> object:
    boss = await services.create_user(admin_creation("boss"))
    return await services.reset_two_factor(account.user.id, acting(boss))


@pytest.mark.parametrize(
    ("forgetting", "reason"),
    [
        (_change_password, "password changed"),
        (_sign_out_everywhere_else, "signed out everywhere else"),
        (_turn_two_factor_off, "two-factor turned off"),
        (_administrator_reset, "two-factor reset by an administrator"),
    ],
    ids=["password change", "sign out everywhere else", "two-factor off", "admin reset"],
)
async def test_every_trusted_browser_is_forgotten_by(
    services: Services,
    state: FakeState,
    account: Account,
    clock: FakeClock,
    sign_up: SignUp,
    forgetting: Forgetting,
    reason: str,
) -> None:
    current = await trusting(services, account, clock)
    clock.advance(seconds=30)
    await trusting(services, account, clock)
    await forgetting(services, account, clock, sign_up, current)
    assert all(browser.revoked_at is not None for browser in state.trusted_browsers.values())
    forgotten = [e for e in state.audit if e.event_type == "TrustedBrowserForgotten"]
    assert len(forgotten) == 2
    assert {e.details["reason"] for e in forgotten} == {reason}
    assert await services.list_trusted_browsers(account.user.id, current.trusted_browser) == []
