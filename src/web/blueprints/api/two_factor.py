"""API: the code step of signing in, and turning two-factor sign-in on and off."""

from __future__ import annotations

from quart import ResponseReturnValue
from quart_schema import security_scheme, validate_request, validate_response

from application.commands import (
    CompleteSignIn,
    ConfirmTwoFactor,
    DisableTwoFactor,
    RegenerateRecoveryCodes,
)
from application.results import TwoFactorStatus
from web.blueprints.api.accounts import SIGNED_IN, me, token_for
from web.blueprints.api.base import blueprint, meaning, no_content, problems
from web.blueprints.api.schemas import (
    ConfirmBody,
    DisableBody,
    PasswordBody,
    RecoveryCodeList,
    Token,
    TwoFactorKey,
    TwoFactorSignInBody,
)
from web.client import client
from web.runtime import services
from web.throttling import limited


@blueprint.post("/sessions/two-factor")
@limited("sign_in")
@validate_request(TwoFactorSignInBody)
@validate_response(Token, 201)
@problems(400, 401, 413, 415, 422, 429)
@meaning(
    401,
    "The challenge is used, expired or unknown "
    "(`/problems/invalid-challenge`): sign in with the password again.",
)
async def complete_sign_in(data: TwoFactorSignInBody) -> tuple[Token, int]:
    """Finish a sign-in with a second factor and get a bearer token.

    `challenge` comes from the 401 `/problems/two-factor-required` of
    `POST /api/v1/sessions`; `code` is the current code of the authenticator app
    (each is accepted once) or an unused recovery code (each works once ever). The
    answer is the same as `POST /api/v1/sessions` gives, `cookie` included.

    A wrong code is a 400 `/problems/invalid-code` and counts toward the account's
    lock like a wrong password; the challenge stays usable until it expires. Once
    locked, a 429 with `Retry-After`. A challenge that is used, expired (after 5
    minutes) or unknown is a 401 `/problems/invalid-challenge`: sign in again."""
    cmd = CompleteSignIn(challenge=data.challenge, code=data.code, client=client())
    signed_in = await services().complete_sign_in(cmd)
    return token_for(signed_in, cookie=data.cookie), 201


@blueprint.get("/users/me/two-factor")
@validate_response(TwoFactorStatus)
@security_scheme(SIGNED_IN)
@problems(401)
async def status() -> TwoFactorStatus:
    """Get whether two-factor sign-in is on.

    `enabled`, since when, and how many unused recovery codes are left (0 when
    off)."""
    return await services().two_factor_status(me().id)


@blueprint.post("/users/me/two-factor/setup")
@validate_response(TwoFactorKey, 201)
@security_scheme(SIGNED_IN)
@problems(400, 401, 409)
async def begin_setup() -> tuple[TwoFactorKey, int]:
    """Start turning two-factor sign-in on: get a new key.

    Add the key to an authenticator app, by its `otpauth_uri` (as a QR code or a
    link on the phone) or by typing `secret`, then send the app's code to
    `POST /api/v1/users/me/two-factor/confirm` before `expires_at` (10 minutes).
    Until then nothing changes; asking again replaces the key. A 409 when two-factor
    is already on."""
    setup = await services().begin_two_factor_setup(me().id)
    key = TwoFactorKey(
        otpauth_uri=setup.otpauth_uri, secret=setup.secret, expires_at=setup.expires_at
    )
    return key, 201


@blueprint.post("/users/me/two-factor/confirm")
@validate_request(ConfirmBody)
@validate_response(RecoveryCodeList)
@security_scheme(SIGNED_IN)
@problems(400, 401, 409, 415, 422)
async def confirm_setup(data: ConfirmBody) -> RecoveryCodeList:
    """Turn two-factor sign-in on with the app's first code.

    The code proves the key from `POST /api/v1/users/me/two-factor/setup` is in the
    app. The answer holds ten recovery codes, shown only this once. A wrong code is a
    400 `/problems/invalid-code`; a key that expired or was never asked for, a 400
    `/problems/setup-expired`; a 409 when two-factor is already on."""
    cmd = ConfirmTwoFactor(user_id=me().id, code=data.code, client=client())
    codes = await services().confirm_two_factor_setup(cmd)
    return RecoveryCodeList(recovery_codes=list(codes.codes))


@blueprint.post("/users/me/two-factor/disable")
@validate_request(DisableBody)
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401, 409, 415, 422)
async def disable(data: DisableBody) -> ResponseReturnValue:
    """Turn two-factor sign-in off.

    Needs the password and a current code from the app or an unused recovery code.
    A wrong password or code is a 400 and counts toward the account's lock (then a
    429); a 409 when two-factor is not on."""
    cmd = DisableTwoFactor(user_id=me().id, password=data.password, code=data.code, client=client())
    await services().disable_two_factor(cmd)
    return "", 204


@blueprint.post("/users/me/two-factor/recovery-codes")
@validate_request(PasswordBody)
@validate_response(RecoveryCodeList)
@security_scheme(SIGNED_IN)
@problems(400, 401, 409, 415, 422)
async def regenerate_recovery_codes(data: PasswordBody) -> RecoveryCodeList:
    """Get new recovery codes.

    Needs the password. Ten new codes, shown only this once; every earlier one stops
    working. A wrong password is a 400 and counts toward the account's lock (then a
    429); a 409 when two-factor is not on."""
    cmd = RegenerateRecoveryCodes(user_id=me().id, password=data.password, client=client())
    codes = await services().regenerate_recovery_codes(cmd)
    return RecoveryCodeList(recovery_codes=list(codes.codes))
