"""Builders for the two-factor unit tests: an account with two-factor on, its codes."""

from __future__ import annotations

from application.commands import CompleteSignIn, ConfirmTwoFactor
from application.results import RecoveryCodes, TwoFactorRequired, UserDetail
from application.services import Services
from domain import totp, two_factor
from tests.fakes import FakeClock
from tests.unit.application.helpers import CLIENT, SignUp, credentials


def code_now(secret: str, clock: FakeClock, *, steps: int = 0) -> str:
    return totp.code_at(secret, two_factor.step_of(clock.now()) + steps)


class Account:
    """An account with two-factor on: its secret (as the app holds it) and codes."""

    def __init__(self, user: UserDetail, secret: str, codes: RecoveryCodes) -> None:
        self.user, self.secret, self.codes = user, secret, codes


async def two_factor_account(
    services: Services, clock: FakeClock, sign_up: SignUp, username: str = "alice"
) -> Account:
    """``username`` registered with two-factor on; the set-up's code is spent."""
    user = await sign_up(username)
    setup = await services.begin_two_factor_setup(user.id)
    codes = await services.confirm_two_factor_setup(
        ConfirmTwoFactor(user_id=user.id, code=code_now(setup.secret, clock), client=CLIENT)
    )
    clock.advance(seconds=30)  # sign-ins use the next code
    return Account(user, setup.secret, codes)


async def challenge(
    services: Services, *, remember: bool = False, login: str = "alice", **extra: object
) -> str:
    """The challenge a right password gives."""
    result = await services.sign_in(credentials(login, remember=remember).model_copy(update=extra))
    assert isinstance(result, TwoFactorRequired)
    return result.challenge


def finishing(token: str, code: str, *, trust_browser: bool = False) -> CompleteSignIn:
    return CompleteSignIn(challenge=token, code=code, client=CLIENT, trust_browser=trust_browser)
