"""Leaving: the page that deletes your own account, after your password (and a code,
with two-factor on)."""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue, flash, redirect, url_for

from application.commands import DeleteAccount
from domain import errors
from web import auth, forms
from web.auth import login_required, viewer
from web.client import client
from web.rendering import render
from web.runtime import services

blueprint = Blueprint("deletion", __name__)
PAGE = "users/delete.html"


@blueprint.get("/users/me/delete")
@login_required
async def confirm() -> ResponseReturnValue:
    return await _page({}, 200)


@blueprint.post("/users/me/delete")
@login_required
async def delete() -> ResponseReturnValue:
    user = viewer()
    assert user is not None  # login_required
    values, problems = await forms.read_form(("password", "code"))
    cmd, invalid = forms.build(DeleteAccount, {**values, "user_id": user.id, "client": client()})
    problems = forms.required(values, ("password",)) | invalid | problems
    if cmd is None or problems:
        return await _page(problems, 422)
    try:
        await services().delete_own_account(cmd)
    except (errors.InvalidCredentials, errors.InvalidCode) as error:
        return await _page(forms.field_error(error), 400)
    except errors.LastAdmin as error:
        return await _page({"form": error.message}, 409)
    await auth.end_locally()
    await flash("Your account is deleted. Thank you for having been here.", "info")
    return redirect(url_for("public.home"), 303)


async def _page(problems: forms.FieldErrors, status: int) -> ResponseReturnValue:
    user = viewer()
    assert user is not None
    two_factor = (await services().two_factor_status(user.id)).enabled
    page = await render(PAGE, problems=problems, two_factor=two_factor)
    return page, status
