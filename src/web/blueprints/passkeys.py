"""Passkey pages: signing in with one (alone, or as the second step), and the account's
own list, where they are added, renamed and removed. The browser's dialog is driven by
static/js/passkeys.js: it asks an ``options`` endpoint here, then posts its answer in an
ordinary form, so every answer comes back as a page."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from quart import (
    Blueprint,
    ResponseReturnValue,
    abort,
    flash,
    redirect,
    request,
    session,
    url_for,
)

from application.commands import (
    AddPasskey,
    PasskeySecondFactor,
    PasskeySignIn,
    RemovePasskey,
    RenamePasskey,
)
from application.results import PasskeyOptions
from domain import errors
from web import forms
from web.auth import login_required, viewer
from web.blueprints import verification
from web.blueprints.public import (
    CHALLENGE_KEY,
    second_step_done,
    sign_in_again,
    sign_in_form_page,
    signed_in_page,
    two_factor_form_page,
)
from web.client import client
from web.rendering import render
from web.runtime import services
from web.throttling import limited

blueprint = Blueprint("passkeys", __name__)

ANSWER_MAX = 16_384  # a browser's answer is a few kilobytes at most
UNREADABLE = "The browser's answer could not be read. Try again."


def read_answer(text: str) -> dict[str, Any]:
    """The JSON object the page's script put in the ``answer`` field.

    Raises: InvalidPasskey (missing, too long, not a JSON object)
    """
    if not text or len(text) > ANSWER_MAX:
        raise errors.InvalidPasskey(UNREADABLE)
    try:
        found = json.loads(text)
    except ValueError:
        raise errors.InvalidPasskey(UNREADABLE) from None
    if not isinstance(found, dict):
        raise errors.InvalidPasskey(UNREADABLE)
    return found


async def _answer() -> dict[str, Any]:
    return read_answer((await request.form).get("answer", ""))


def _options(options: PasskeyOptions) -> dict[str, Any]:
    return options.model_dump(by_alias=True)


# Signing in with a passkey alone


@blueprint.post("/sign-in/passkey/options")
@limited("sign_in")
async def sign_in_options() -> ResponseReturnValue:
    return _options(await services().begin_passkey_sign_in())


@blueprint.post("/sign-in/passkey")
@limited("sign_in")
async def sign_in() -> ResponseReturnValue:
    remember = (await request.form).get("remember") == "on"
    try:
        cmd = PasskeySignIn(answer=await _answer(), remember=remember, client=client())
        signed_in = await services().sign_in_with_passkey(cmd)
    except (errors.InvalidPasskey, errors.InvalidChallenge) as error:
        return await sign_in_form_page({}, {"form": _said(error)}, 400)
    except errors.EmailNotVerified as error:
        return await verification.pending_page(error)
    return await signed_in_page(signed_in)


# The second step of a password sign-in


@blueprint.post("/sign-in/two-factor/passkey/options")
@limited("sign_in")
async def second_factor_options() -> ResponseReturnValue:
    challenge = session.get(CHALLENGE_KEY)
    if not isinstance(challenge, str):
        raise errors.InvalidChallenge()
    return _options(await services().begin_passkey_second_factor(challenge))


@blueprint.post("/sign-in/two-factor/passkey")
@limited("sign_in")
async def second_factor() -> ResponseReturnValue:
    challenge = session.get(CHALLENGE_KEY)
    trust = (await request.form).get("trust") == "on"
    try:
        if not isinstance(challenge, str):
            raise errors.InvalidChallenge()
        cmd = PasskeySecondFactor(
            challenge=challenge, answer=await _answer(), client=client(), trust_browser=trust
        )
        signed_in = await services().complete_sign_in_with_passkey(cmd)
    except errors.InvalidPasskey as error:
        return await two_factor_form_page({"form": error.message}, 400)
    except errors.InvalidChallenge:
        return await sign_in_again()
    return await second_step_done(signed_in)


def _said(error: errors.DomainError) -> str:
    if isinstance(error, errors.InvalidChallenge):
        return "That took too long or was sent twice. Try the passkey again."
    return error.message


# The account's passkeys


@blueprint.get("/users/me/passkeys/")
@login_required
async def passkeys() -> ResponseReturnValue:
    return await _passkeys_page({}, {}, 200)


@blueprint.post("/users/me/passkeys/options")
@login_required
async def registration_options() -> ResponseReturnValue:
    return _options(await services().begin_passkey_registration(_me()))


@blueprint.post("/users/me/passkeys/")
@login_required
async def add() -> ResponseReturnValue:
    values, problems = await forms.read_form(("name",))
    try:
        answer = await _answer()
    except errors.InvalidPasskey as error:
        return await _passkeys_page(values, {"form": error.message}, 400)
    cmd, invalid = forms.build(
        AddPasskey, {"user_id": _me(), "name": values["name"], "answer": answer, "client": client()}
    )
    if cmd is None or problems or invalid:
        return await _passkeys_page(values, problems | invalid, 422)
    try:
        added = await services().add_passkey(cmd)
    except errors.InvalidPasskeyName as error:
        return await _passkeys_page(values, forms.field_error(error), 422)
    except (errors.InvalidPasskey, errors.InvalidChallenge) as error:
        return await _passkeys_page(values, {"form": _said(error)}, 400)
    await flash(f"Added the passkey {added.name!r}.", "success")
    return redirect(url_for("passkeys.passkeys"), 303)


@blueprint.post("/users/me/passkeys/<uuid:passkey_id>/rename")
@login_required
async def rename(passkey_id: UUID) -> ResponseReturnValue:
    values, problems = await forms.read_form(("name",))
    cmd, invalid = forms.build(
        RenamePasskey, {"user_id": _me(), "passkey_id": passkey_id, "name": values["name"]}
    )
    if cmd is None or problems or invalid:
        await flash(errors.InvalidPasskeyName.default_message, "error")
        return redirect(url_for("passkeys.passkeys"), 303)
    try:
        renamed = await services().rename_passkey(cmd)
    except errors.PasskeyNotFound:
        abort(404)
    await flash(f"Renamed the passkey to {renamed.name!r}.", "success")
    return redirect(url_for("passkeys.passkeys"), 303)


@blueprint.get("/users/me/passkeys/<uuid:passkey_id>/remove")
@login_required
async def confirm_remove(passkey_id: UUID) -> ResponseReturnValue:
    return await _remove_page(passkey_id, {}, 200)


@blueprint.post("/users/me/passkeys/confirm-options")
@login_required
async def confirmation_options() -> ResponseReturnValue:
    return _options(await services().begin_passkey_confirmation(_me()))


@blueprint.post("/users/me/passkeys/<uuid:passkey_id>/remove")
@login_required
async def remove(passkey_id: UUID) -> ResponseReturnValue:
    """Removal confirmed by the password, or by one of the holder's passkeys (the
    second form of the page, whose script sends an ``answer`` instead)."""
    extra = {"user_id": _me(), "passkey_id": passkey_id, "client": client()}
    try:
        cmd: RemovePasskey | None
        if "answer" in await request.form:
            cmd, problems = forms.build(RemovePasskey, {**extra, "answer": await _answer()})
        else:
            cmd, problems = await forms.read_command(RemovePasskey, ("password",), **extra)
        if problems or cmd is None:
            return await _remove_page(passkey_id, problems, 422)
        await services().remove_passkey(cmd)
    except errors.InvalidCredentials as error:
        return await _remove_page(passkey_id, forms.field_error(error), 400)
    except (errors.InvalidPasskey, errors.InvalidChallenge) as error:
        return await _remove_page(passkey_id, {"form": _said(error)}, 400)
    except errors.PasskeyNotFound:
        abort(404)
    await flash("The passkey is removed: it can no longer sign you in.", "success")
    return redirect(url_for("passkeys.passkeys"), 303)


async def _remove_page(
    passkey_id: UUID, problems: forms.FieldErrors, status: int
) -> ResponseReturnValue:
    found = {each.id: each for each in await services().list_passkeys(_me())}
    if passkey_id not in found:
        abort(404)
    page = await render("users/passkey_remove.html", passkey=found[passkey_id], problems=problems)
    return page, status


async def _passkeys_page(
    values: dict[str, str], problems: forms.FieldErrors, status: int
) -> ResponseReturnValue:
    found = await services().list_passkeys(_me())
    page = await render(
        "users/passkeys.html", passkeys=found, values=forms.kept(values), problems=problems
    )
    return page, status


def _me() -> UUID:
    user = viewer()
    assert user is not None  # login_required
    return user.id
