"""Invitations: the administrators' page (invite, resend, revoke) and the registration
form an invitation's link opens, its address filled in and already verified."""

from __future__ import annotations

from uuid import UUID

from quart import Blueprint, ResponseReturnValue, abort, flash, redirect, request, url_for

from application import accounts
from application.commands import RegisterUser
from application.invitations import InvitationList, Invite, ListInvitations
from domain import errors
from domain.invitations import InvalidInvitation
from domain.roles import ADMIN
from web import forms
from web.auth import actor, require_role
from web.errors import error_page
from web.rendering import confirmation, render
from web.runtime import services
from web.throttling import limited, reserved

blueprint = Blueprint("invitations", __name__)
admin_only = require_role(ADMIN)

REGISTER_FIELDS = ("username", "password", "confirm")


@blueprint.get("/admin/invitations/")
@admin_only
async def admin_list() -> ResponseReturnValue:
    return await _list_page({}, {}, 200)


@blueprint.post("/admin/invitations/")
@admin_only
async def create() -> ResponseReturnValue:
    values, problems = await forms.read_form(("email",))
    roles = (await request.form).getlist("roles")
    cmd, invalid = forms.build(Invite, {"email": values["email"], "roles": roles})
    problems = forms.required(values, ("email",)) | invalid | problems
    if cmd is not None and not problems:
        try:
            made = await services().invite(cmd, actor())
        except (errors.ValidationFailed, errors.Conflict, errors.RoleNotFound) as error:
            problems = forms.field_error(error)
        else:
            await flash(f"Invited {made.email}: the link is on its way.", "success")
            return redirect(url_for("invitations.admin_list"), 303)
    return await _list_page(values | {"roles": ",".join(roles)}, problems, 422)


@blueprint.post("/admin/invitations/<uuid:invitation_id>/resend")
@admin_only
async def resend(invitation_id: UUID) -> ResponseReturnValue:
    try:
        sent = await services().resend_invitation(invitation_id, actor())
    except errors.NotFound:
        abort(404)
    except errors.Conflict as error:
        await flash(error.message, "error")
    else:
        await flash(
            f"A new link is on its way to {sent.email}; the old one works no more.", "success"
        )
    return redirect(url_for("invitations.admin_list"), 303)


@blueprint.get("/admin/invitations/<uuid:invitation_id>/revoke")
@admin_only
async def confirm_revoke(invitation_id: UUID) -> ResponseReturnValue:
    try:
        found = await services().get_invitation(invitation_id, actor())
    except errors.NotFound:
        abort(404)
    if found.status in ("accepted", "revoked"):
        await flash(f"The invitation of {found.email} is {found.status} already.", "info")
        return redirect(url_for("invitations.admin_list"), 303)
    return await confirmation(
        title="Revoke this invitation?",
        message=f"The link sent to {found.email} will stop working at once. You can invite "
        "the address again later.",
        button="Revoke",
        action=url_for("invitations.revoke", invitation_id=invitation_id),
        cancel=url_for("invitations.admin_list"),
    )


@blueprint.post("/admin/invitations/<uuid:invitation_id>/revoke")
@admin_only
async def revoke(invitation_id: UUID) -> ResponseReturnValue:
    try:
        revoked = await services().revoke_invitation(invitation_id, actor())
    except errors.NotFound:
        abort(404)
    except errors.Conflict as error:
        await flash(error.message, "error")
    else:
        await flash(f"The invitation of {revoked.email} is revoked.", "success")
    return redirect(url_for("invitations.admin_list"), 303)


async def _list_page(
    values: dict[str, str], problems: forms.FieldErrors, status: int
) -> ResponseReturnValue:
    query, _ = forms.build(ListInvitations, {"page": request.args.get("page", "1")})
    listed: InvitationList = await services().list_invitations(query or ListInvitations(), actor())
    roles = await services().list_roles(actor())
    page = await render(
        "invitations/admin.html", listed=listed, roles=roles, values=values, problems=problems
    )
    return page, status


@blueprint.get("/register/<token>")
async def register_form(token: str) -> ResponseReturnValue:
    try:
        address = await services().invited_address(token)
    except InvalidInvitation as error:
        return await _unusable(error)
    return await render(
        "invitations/register.html", token=token, address=address, values={}, problems={}
    )


@blueprint.post("/register/<token>")
@limited("register_attempt")
async def register(token: str) -> ResponseReturnValue:
    try:
        address = await services().invited_address(token)
    except InvalidInvitation as error:
        return await _unusable(error)
    values, unreadable = await forms.read_form(REGISTER_FIELDS)
    fields = {"username": values["username"], "email": address, "password": values["password"]}
    cmd, invalid = forms.build(RegisterUser, fields)
    broken = accounts.registration_problems(values["username"], address, values["password"])
    problems = forms.field_errors(broken) | invalid | unreadable
    forms.confirm_matches(values, problems, "password")
    if cmd is not None and not problems:
        try:
            async with reserved("register"):  # counts only the accounts made
                await services().register_invited(cmd, token)
        except InvalidInvitation as error:
            return await _unusable(error)
        except (errors.ValidationFailed, errors.Conflict) as error:
            problems = forms.field_error(error)
        else:
            await flash("Welcome! Your account is ready: sign in.", "success")
            return redirect(url_for("public.home"), 303)
    page = await render(
        "invitations/register.html",
        token=token,
        address=address,
        values=forms.kept(values),
        problems=problems,
    )
    return page, 422


BY_INVITATION = (
    "New accounts here are made by invitation only. If you were invited, open the link "
    "in the mail we sent you; if not, ask an administrator to invite your address."
)


async def by_invitation_only() -> ResponseReturnValue:
    """What the open registration form answers with REGISTRATION=invite."""
    return await error_page(403, BY_INVITATION, title="Registration is by invitation")


async def _unusable(error: errors.DomainError) -> ResponseReturnValue:
    return await error_page(400, error.message, title="This invitation cannot be used")
