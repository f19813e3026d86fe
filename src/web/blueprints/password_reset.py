"""Forgotten passwords: ask for a link by e-mail, then set a new password with it."""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue, flash, redirect, url_for

from application.commands import RequestPasswordReset, ResetPassword
from domain import errors
from web import auth, forms
from web.client import client
from web.rendering import render
from web.runtime import services
from web.throttling import limited

blueprint = Blueprint("password_reset", __name__, url_prefix="/reset-password")

NEW_PASSWORD_FIELDS = ("new_password", "confirm")


@blueprint.get("/")
async def request_form() -> ResponseReturnValue:
    return await render("password_reset/request.html", values={}, problems={})


@blueprint.post("/")
@limited("reset_request")
async def request_link() -> ResponseReturnValue:
    values, problems = await forms.read_form(("email",))
    cmd, invalid = forms.build(RequestPasswordReset, {**values, "client": client()})
    problems = invalid | problems
    if cmd is not None and not problems:
        try:
            await services().request_password_reset(cmd)
        except errors.ValidationFailed as error:
            problems = forms.field_error(error)
        else:
            await flash(
                "If an account uses that address, a link to choose a new password is on its "
                "way. It works once, for a limited time.",
                "success",
            )
            return redirect(url_for("password_reset.request_form"), 303)
    page = await render("password_reset/request.html", values=values, problems=problems)
    return page, 422


@blueprint.get("/<token>")
async def new_password_form(token: str) -> ResponseReturnValue:
    return await _new_password_page(token, {}, 200)


@blueprint.post("/<token>")
async def set_new_password(token: str) -> ResponseReturnValue:
    values, problems = await forms.read_form(NEW_PASSWORD_FIELDS)
    cmd, invalid = forms.build(
        ResetPassword, {"token": token, "new_password": values["new_password"], "client": client()}
    )
    problems = invalid | problems
    forms.confirm_matches(values, problems, "new_password")
    if cmd is not None and not problems:
        try:
            await services().reset_password(cmd)
        except errors.InvalidResetToken as error:
            return await _unusable(error)
        except errors.ValidationFailed as error:
            problems = {"new_password": error.message}
        else:
            await auth.end_locally()
            await flash("Your new password is set. Sign in with it.", "success")
            return redirect(url_for("public.home"), 303)
    if "token" in problems:
        return await _unusable(errors.InvalidResetToken())
    return await _new_password_page(token, problems, 422)


async def _new_password_page(
    token: str, problems: forms.FieldErrors, status: int
) -> ResponseReturnValue:
    """The form, naming the token's account for password managers; or, when the token
    cannot be used (any more), the page that says so."""
    try:
        username = await services().check_reset_token(token)
    except errors.InvalidResetToken as error:
        return await _unusable(error)
    page = await render(
        "password_reset/new_password.html", token=token, username=username, problems=problems
    )
    return page, status


async def _unusable(error: errors.InvalidResetToken) -> ResponseReturnValue:
    page = await render("password_reset/unusable.html", message=error.message)
    return page, 400
