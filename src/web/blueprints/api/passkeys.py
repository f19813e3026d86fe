"""API: passkeys for native clients and browser scripts: the options of each ceremony,
signing in with a passkey alone or as the second step, and managing the account's."""

from __future__ import annotations

from uuid import UUID

from quart import ResponseReturnValue
from quart_schema import security_scheme, validate_request, validate_response

from application.commands import (
    AddPasskey,
    PasskeySecondFactor,
    PasskeySignIn,
    RemovePasskey,
    RenamePasskey,
)
from application.results import PasskeyOptions, PasskeyView
from web.auth import actor
from web.blueprints.api.accounts import SIGNED_IN, me, token_for
from web.blueprints.api.base import administrators_only, blueprint, meaning, no_content, problems
from web.blueprints.api.schemas import (
    ChallengeBody,
    NewPasskeyBody,
    PasskeyDialog,
    PasskeyNameBody,
    PasskeySecondFactorBody,
    PasskeySignInBody,
    RemovePasskeyBody,
    Token,
)
from web.client import client
from web.runtime import services
from web.throttling import limited

CHALLENGE_GONE = (
    "The challenge is used, expired or unknown (`/problems/invalid-challenge`): ask for "
    "new options."
)


def dialog(options: PasskeyOptions) -> PasskeyDialog:
    return PasskeyDialog(publicKey=options.public_key)


@blueprint.post("/sessions/passkey/options")
@limited("sign_in")
@validate_response(PasskeyDialog)
@problems(400)
async def passkey_sign_in_options() -> PasskeyDialog:
    """Start signing in with a passkey.

    The options of a sign-in that names nobody: the device offers this site's
    passkeys and the one chosen says whose account it is. Their challenge is good for
    one answer within 5 minutes; send it to `POST /api/v1/sessions/passkey`."""
    return dialog(await services().begin_passkey_sign_in())


@blueprint.post("/sessions/passkey")
@limited("sign_in")
@validate_request(PasskeySignInBody)
@validate_response(Token, 201)
@problems(400, 401, 413, 415, 422)
@meaning(401, CHALLENGE_GONE)
async def passkey_sign_in(data: PasskeySignInBody) -> tuple[Token, int]:
    """Sign in with a passkey and get a bearer token.

    `answer` is the device's answer to the options of
    `POST /api/v1/sessions/passkey/options`. A passkey stands for both the password and
    a second factor, so no code is asked even with two-factor on. The answer is the
    same as `POST /api/v1/sessions` gives, `cookie` included. An unknown or removed
    passkey, a bad signature, another site or origin, or a signature counter that went
    backwards is a 400 `/problems/invalid-passkey`."""
    cmd = PasskeySignIn(answer=data.answer, remember=data.remember, client=client(), api_token=True)
    signed_in = await services().sign_in_with_passkey(cmd)
    return token_for(signed_in, cookie=data.cookie), 201


@blueprint.post("/sessions/two-factor/passkey/options")
@limited("sign_in")
@validate_request(ChallengeBody)
@validate_response(PasskeyDialog)
@problems(400, 401, 413, 415, 422)
@meaning(401, CHALLENGE_GONE.replace("ask for new options", "sign in with the password again"))
async def passkey_second_factor_options(data: ChallengeBody) -> PasskeyDialog:
    """Start the second step of a sign-in with a passkey.

    `challenge` is the one the 401 `/problems/two-factor-required` of
    `POST /api/v1/sessions` carried. The options offer the account's passkeys; an
    account without any is a 400 `/problems/invalid-passkey` (send a code instead)."""
    return dialog(await services().begin_passkey_second_factor(data.challenge))


@blueprint.post("/sessions/two-factor/passkey")
@limited("sign_in")
@validate_request(PasskeySecondFactorBody)
@validate_response(Token, 201)
@problems(400, 401, 413, 415, 422)
@meaning(401, CHALLENGE_GONE)
async def passkey_complete_sign_in(data: PasskeySecondFactorBody) -> tuple[Token, int]:
    """Finish a sign-in with a passkey in place of a code.

    `challenge` as for the options, `answer` the device's answer to them. The answer
    is the same as `POST /api/v1/sessions/two-factor` gives."""
    cmd = PasskeySecondFactor(challenge=data.challenge, answer=data.answer, client=client())
    signed_in = await services().complete_sign_in_with_passkey(cmd)
    return token_for(signed_in, cookie=data.cookie), 201


@blueprint.get("/users/me/passkeys")
@validate_response(list[PasskeyView])
@security_scheme(SIGNED_IN)
@problems(401)
async def my_passkeys() -> list[PasskeyView]:
    """List your passkeys.

    Oldest first, each with its name, when it was added and last used, and what kind
    of authenticator holds it where it said."""
    return await services().list_passkeys(me().id)


@blueprint.post("/users/me/passkeys/options")
@validate_response(PasskeyDialog)
@security_scheme(SIGNED_IN)
@problems(400, 401)
async def passkey_registration_options() -> PasskeyDialog:
    """Start adding a passkey.

    The options of the dialog that makes a discoverable passkey for your account (user
    verification preferred; your passkeys are excluded). Send the device's answer with
    a name to `POST /api/v1/users/me/passkeys` within 5 minutes."""
    return dialog(await services().begin_passkey_registration(me().id))


@blueprint.post("/users/me/passkeys")
@validate_request(NewPasskeyBody)
@validate_response(PasskeyView, 201)
@security_scheme(SIGNED_IN)
@problems(400, 401, 413, 415, 422)
@meaning(401, CHALLENGE_GONE)
async def add_passkey(data: NewPasskeyBody) -> tuple[PasskeyView, int]:
    """Add a passkey.

    `answer` is the device's answer to `POST /api/v1/users/me/passkeys/options`. A
    passkey added already, a bad attestation, or another site or origin is a 400
    `/problems/invalid-passkey`. You are mailed a notice."""
    cmd = AddPasskey(user_id=me().id, name=data.name, answer=data.answer, client=client())
    return await services().add_passkey(cmd), 201


@blueprint.patch("/users/me/passkeys/<uuid:passkey_id>")
@validate_request(PasskeyNameBody)
@validate_response(PasskeyView)
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 415, 422)
async def rename_passkey(data: PasskeyNameBody, passkey_id: UUID) -> PasskeyView:
    """Rename a passkey.

    A blank name is `Passkey`; one longer than 60 characters is a 422. Someone else's
    passkey is a 404."""
    cmd = RenamePasskey(user_id=me().id, passkey_id=passkey_id, name=data.name)
    return await services().rename_passkey(cmd)


@blueprint.post("/users/me/passkeys/confirm-options")
@validate_response(PasskeyDialog)
@security_scheme(SIGNED_IN)
@problems(400, 401)
async def passkey_confirmation_options() -> PasskeyDialog:
    """Start confirming it is you with a passkey.

    The options of a dialog offering your passkeys; the answer stands in for your
    password when removing a passkey (within 5 minutes, once)."""
    return dialog(await services().begin_passkey_confirmation(me().id))


@blueprint.post("/users/me/passkeys/<uuid:passkey_id>/remove")
@validate_request(RemovePasskeyBody)
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401, 404, 415, 422)
@meaning(401, CHALLENGE_GONE)
async def remove_passkey(data: RemovePasskeyBody, passkey_id: UUID) -> ResponseReturnValue:
    """Remove a passkey.

    Needs the password, or `answer` from one of your passkeys to
    `POST /api/v1/users/me/passkeys/confirm-options`. A wrong password is a 400 and
    counts toward the account's lock (then a 429); a failing answer is a 400
    `/problems/invalid-passkey`. The passkey signs nobody in from then on, and you are
    mailed a notice."""
    cmd = RemovePasskey(
        user_id=me().id,
        passkey_id=passkey_id,
        password=data.password,
        answer=data.answer,
        client=client(),
    )
    await services().remove_passkey(cmd)
    return "", 204


@blueprint.get("/admin/users/<uuid:user_id>/passkeys")
@validate_response(list[PasskeyView])
@security_scheme(SIGNED_IN)
@problems(401, 404)
@administrators_only
async def user_passkeys(user_id: UUID) -> list[PasskeyView]:
    """List a user's passkeys.

    Each with its name, when it was added and last used, and its kind of
    authenticator; never its keys."""
    me()
    return await services().admin_list_passkeys(user_id, actor())


@blueprint.delete("/admin/users/<uuid:user_id>/passkeys/<uuid:passkey_id>")
@no_content
@security_scheme(SIGNED_IN)
@problems(400, 401, 404)
@administrators_only
async def remove_user_passkey(user_id: UUID, passkey_id: UUID) -> ResponseReturnValue:
    """Remove a user's passkey.

    For a lost or stolen device: the passkey signs nobody in from then on; the user is
    mailed a notice, and the audit trail records who removed it."""
    me()
    await services().admin_remove_passkey(user_id, passkey_id, actor())
    return "", 204
