"""Verified addresses: the page a mailed link opens (it asks before anything changes,
since mail scanners open links too), and asking for a new link."""

from __future__ import annotations

from uuid import UUID

from quart import Blueprint, ResponseReturnValue, flash, redirect, session, url_for

from domain import errors
from web.auth import login_required, viewer
from web.client import client
from web.rendering import render
from web.runtime import services
from web.throttling import limited

blueprint = Blueprint("verification", __name__)

# With EMAIL_VERIFICATION=required, a right password for an unverified account keeps
# the account's id here (the signed session cookie), so the page it sees can send the
# link again; nothing else is told or opened.
UNVERIFIED_KEY = "unverified_account"


async def pending_page(error: errors.EmailNotVerified) -> ResponseReturnValue:
    """What a right password for an unverified account sees when verification is
    required: no session, a link sent, and a button to send it again."""
    session[UNVERIFIED_KEY] = str(error.user_id)
    return await render("verification/pending.html"), 403


@blueprint.post("/verify-email/again")
@limited("verification")
async def send_again_signed_out() -> ResponseReturnValue:
    try:
        user_id = UUID(str(session.get(UNVERIFIED_KEY)))
    except ValueError:
        return redirect(url_for("public.home"), 303)
    try:
        await services().request_verification(user_id, client())
    except (errors.EmailAlreadyVerified, errors.UserNotFound):
        session.pop(UNVERIFIED_KEY, None)
        await flash("Your address is verified: sign in.", "info")
        return redirect(url_for("public.home"), 303)
    except errors.TooManyAttempts as error:
        await flash(error.message + " Try again later.", "error")
    else:
        await flash("We sent a new link. It works for three days.", "success")
    return await render("verification/pending.html"), 403


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
    except (errors.InvalidAddressLink, errors.EmailTaken) as error:
        return await _unusable(error)
    session.pop(UNVERIFIED_KEY, None)
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
