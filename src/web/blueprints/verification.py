"""Verified addresses: the page a mailed link opens (it asks before anything changes,
since mail scanners open links too), and asking for a new link."""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue, flash, redirect, url_for

from domain import errors
from web.auth import login_required, viewer
from web.client import client
from web.rendering import render
from web.runtime import services
from web.throttling import limited

blueprint = Blueprint("verification", __name__)


@blueprint.get("/verify-email/<token>")
async def confirm_form(token: str) -> ResponseReturnValue:
    try:
        address = await services().address_of(token)
    except errors.InvalidAddressLink as error:
        return await _unusable(error)
    return await render("verification/confirm.html", token=token, address=address)


@blueprint.post("/verify-email/<token>")
async def confirm(token: str) -> ResponseReturnValue:
    try:
        user = await services().verify_address(token, client())
    except errors.InvalidAddressLink as error:
        return await _unusable(error)
    except errors.EmailTaken as error:
        return await _unusable(error)
    await flash(f"Thank you: {user.email} is verified.", "success")
    return redirect(url_for("users.profile" if viewer() else "public.home"), 303)


@blueprint.post("/users/me/verify-email")
@login_required
@limited("verification")
async def send_again() -> ResponseReturnValue:
    user = viewer()
    assert user is not None  # login_required
    try:
        address = await services().request_verification(user.id, client())
    except errors.EmailAlreadyVerified as error:
        await flash(error.message, "info")
    except errors.TooManyAttempts as error:
        await flash(error.message + " Try again later.", "error")
    else:
        await flash(f"We sent a new link to {address}. It works for three days.", "success")
    return redirect(url_for("users.profile"), 303)


async def _unusable(error: errors.DomainError) -> ResponseReturnValue:
    page = await render("verification/unusable.html", message=error.message)
    return page, 400
