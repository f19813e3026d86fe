"""Administration pages: users, roles and the audit trail (the admin role only)."""

from __future__ import annotations

from uuid import UUID

from quart import (
    Blueprint,
    ResponseReturnValue,
    abort,
    flash,
    redirect,
    request,
    url_for,
)

from application.commands import AuditQuery, DefineRole, RoleChange, SearchUsers
from application.results import UserDetail
from domain import errors
from domain.roles import ADMIN
from web import forms
from web.auth import actor, require_role, viewer
from web.rendering import confirmation, render
from web.runtime import services

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = require_role(ADMIN)


@blueprint.get("/")
@admin_only
async def index() -> ResponseReturnValue:
    return redirect(url_for("admin.users"), 303)


@blueprint.get("/users/")
@admin_only
async def users() -> ResponseReturnValue:
    query, _ = forms.build(
        SearchUsers, {"query": request.args.get("q", ""), "after": request.args.get("after")}
    )
    if query is None:
        abort(400)
    page = await services().search_users(query, actor())
    return await render("admin/users.html", page=page, q=query.query)


@blueprint.get("/users/<uuid:user_id>")
@admin_only
async def user(user_id: UUID) -> ResponseReturnValue:
    return await _user_page(user_id, {}, 200)


async def _user_page(
    user_id: UUID, problems: forms.FieldErrors, status: int
) -> ResponseReturnValue:
    found = await services().admin_get_user(user_id, actor())
    roles = await services().list_roles(actor())
    grantable = [role.name for role in roles if role.name not in found.roles]
    page = await render(
        "admin/user.html",
        user=found,
        passkeys=await services().admin_list_passkeys(user_id, actor()),
        grantable=grantable,
        is_me=_is_me(found),
        problems=problems,
    )
    return page, status


def _is_me(user: UserDetail) -> bool:
    me = viewer()
    return me is not None and me.id == user.id


@blueprint.post("/users/<uuid:user_id>/activate")
@admin_only
async def activate(user_id: UUID) -> ResponseReturnValue:
    done = await services().activate_user(user_id, actor())
    return await _back(user_id, f"{done.username} can sign in again.")


@blueprint.get("/users/<uuid:user_id>/deactivate")
@admin_only
async def confirm_deactivate(user_id: UUID) -> ResponseReturnValue:
    found = await services().admin_get_user(user_id, actor())
    back = url_for("admin.user", user_id=user_id)
    if not found.active or _is_me(found):
        return redirect(back, 303)  # nothing to ask: the user page says why
    return await confirmation(
        title="Deactivate this account?",
        message=f"{found.username} will be signed out everywhere and cannot sign in "
        "again until the account is activated.",
        button="Deactivate",
        action=url_for("admin.deactivate", user_id=user_id),
        cancel=back,
    )


@blueprint.post("/users/<uuid:user_id>/deactivate")
@admin_only
async def deactivate(user_id: UUID) -> ResponseReturnValue:
    try:
        done = await services().deactivate_user(user_id, actor())
    except errors.Conflict as error:
        return await _back(user_id, error.message, "error")
    return await _back(user_id, f"{done.username} is deactivated; their sessions have ended.")


@blueprint.get("/users/<uuid:user_id>/two-factor/reset")
@admin_only
async def confirm_reset_two_factor(user_id: UUID) -> ResponseReturnValue:
    found = await services().admin_get_user(user_id, actor())
    back = url_for("admin.user", user_id=user_id)
    if not found.two_factor or _is_me(found):
        return redirect(back, 303)  # nothing to ask: the user page says why
    return await confirmation(
        title="Turn off two-factor sign-in?",
        message=f"For someone who lost their phone and their recovery codes: "
        f"{found.username} will be signed out everywhere, mailed, and asked only for "
        "their password at the next sign-in. Make sure it is really them asking.",
        button="Turn off two-factor",
        action=url_for("admin.reset_two_factor", user_id=user_id),
        cancel=back,
    )


@blueprint.post("/users/<uuid:user_id>/two-factor/reset")
@admin_only
async def reset_two_factor(user_id: UUID) -> ResponseReturnValue:
    try:
        done = await services().reset_two_factor(user_id, actor())
    except errors.Conflict as error:
        return await _back(user_id, error.message, "error")
    return await _back(
        user_id, f"Two-factor sign-in is off for {done.username}; their sessions have ended."
    )


@blueprint.get("/users/<uuid:user_id>/passkeys/<uuid:passkey_id>/remove")
@admin_only
async def confirm_remove_passkey(user_id: UUID, passkey_id: UUID) -> ResponseReturnValue:
    found = await services().admin_get_user(user_id, actor())
    passkeys = {each.id: each for each in await services().admin_list_passkeys(user_id, actor())}
    if passkey_id not in passkeys:
        abort(404)
    return await confirmation(
        title="Remove this passkey?",
        message=f"The passkey {passkeys[passkey_id].name!r} will no longer sign "
        f"{found.username} in. They are mailed a notice.",
        button="Remove",
        action=url_for("admin.remove_passkey", user_id=user_id, passkey_id=passkey_id),
        cancel=url_for("admin.user", user_id=user_id),
    )


@blueprint.post("/users/<uuid:user_id>/passkeys/<uuid:passkey_id>/remove")
@admin_only
async def remove_passkey(user_id: UUID, passkey_id: UUID) -> ResponseReturnValue:
    try:
        await services().admin_remove_passkey(user_id, passkey_id, actor())
    except errors.PasskeyNotFound:
        abort(404)
    return await _back(user_id, "The passkey is removed.")


@blueprint.post("/users/<uuid:user_id>/verify-email")
@admin_only
async def mark_verified(user_id: UUID) -> ResponseReturnValue:
    try:
        done = await services().mark_verified(user_id, actor())
    except errors.EmailAlreadyVerified as error:
        return await _back(user_id, error.message, "info")
    return await _back(user_id, f"{done.email} is marked verified.")


@blueprint.post("/users/<uuid:user_id>/verification-link")
@admin_only
async def send_verification_link(user_id: UUID) -> ResponseReturnValue:
    try:
        await services().send_verification_link(user_id, actor())
    except errors.EmailAlreadyVerified as error:
        return await _back(user_id, error.message, "info")
    return await _back(user_id, "A new link is on its way to the address.")


@blueprint.get("/users/<uuid:user_id>/delete")
@admin_only
async def confirm_delete_user(user_id: UUID) -> ResponseReturnValue:
    found = await services().admin_get_user(user_id, actor())
    back = url_for("admin.user", user_id=user_id)
    if _is_me(found):
        return redirect(back, 303)  # the user page says where your own is deleted
    return await confirmation(
        title="Delete this account?",
        message=f"{found.username} will be signed out everywhere and their names, address, "
        "password, second factor and passkeys erased; the username and address become "
        "free. The audit trail keeps the account's id. This cannot be undone.",
        button="Delete",
        action=url_for("admin.delete_user", user_id=user_id),
        cancel=back,
    )


@blueprint.post("/users/<uuid:user_id>/delete")
@admin_only
async def delete_user(user_id: UUID) -> ResponseReturnValue:
    try:
        await services().delete_user(user_id, actor())
    except errors.UserNotFound:
        abort(404)
    except errors.Conflict as error:
        return await _back(user_id, error.message, "error")
    await flash("The account is deleted.", "success")
    return redirect(url_for("admin.users"), 303)


@blueprint.post("/users/<uuid:user_id>/roles")
@admin_only
async def grant(user_id: UUID) -> ResponseReturnValue:
    values, problems = await forms.read_form(("role",))
    cmd, invalid = forms.build(RoleChange, {"user_id": user_id, "role": values["role"]})
    if cmd is None or problems or invalid:
        return await _user_page(user_id, {"role": "Choose a role to grant."}, 422)
    try:
        done = await services().grant_role(cmd, actor())
    except (errors.Conflict, errors.RoleNotFound, errors.ValidationFailed) as error:
        return await _user_page(user_id, {"role": error.message}, 422)
    return await _back(user_id, f"{done.username} now holds {cmd.role.lower()!r}.")


@blueprint.get("/users/<uuid:user_id>/roles/<role>/revoke")
@admin_only
async def confirm_revoke(user_id: UUID, role: str) -> ResponseReturnValue:
    found = await services().admin_get_user(user_id, actor())
    if role not in found.roles:
        return await _back(user_id, f"{found.username} does not hold {role!r}.", "error")
    return await confirmation(
        title="Revoke this role?",
        message=f"{found.username} will no longer hold the role {role!r}.",
        button="Revoke",
        action=url_for("admin.revoke", user_id=user_id, role=role),
        cancel=url_for("admin.user", user_id=user_id),
    )


@blueprint.post("/users/<uuid:user_id>/roles/<role>/revoke")
@admin_only
async def revoke(user_id: UUID, role: str) -> ResponseReturnValue:
    cmd, _ = forms.build(RoleChange, {"user_id": user_id, "role": role})
    if cmd is None:
        abort(404)
    try:
        done = await services().revoke_role(cmd, actor())
    except (errors.Conflict, errors.ValidationFailed) as error:
        return await _back(user_id, error.message, "error")
    return await _back(user_id, f"{done.username} no longer holds {role!r}.")


async def _back(user_id: UUID, message: str, category: str = "success") -> ResponseReturnValue:
    await flash(message, category)
    return redirect(url_for("admin.user", user_id=user_id), 303)


@blueprint.get("/roles/")
@admin_only
async def roles() -> ResponseReturnValue:
    return await _roles_page({}, {}, 200)


@blueprint.post("/roles/")
@admin_only
async def create_role() -> ResponseReturnValue:
    values, problems = await forms.read_form(("name", "description"))
    cmd, invalid = forms.build(DefineRole, values)
    problems = invalid | problems
    if cmd is not None and not problems:
        try:
            role = await services().create_role(cmd, actor())
        except (errors.ValidationFailed, errors.Conflict) as error:
            problems = {error.field or "name": error.message}
        else:
            await flash(f"Created the role {role.name!r}.", "success")
            return redirect(url_for("admin.roles"), 303)
    return await _roles_page(values, problems, 422)


@blueprint.post("/roles/<name>/describe")
@admin_only
async def describe_role(name: str) -> ResponseReturnValue:
    values, problems = await forms.read_form(("description",))
    cmd, invalid = forms.build(DefineRole, {"name": name, **values})
    if cmd is None or problems or invalid:
        await flash("Descriptions are at most 200 characters of ordinary text.", "error")
        return redirect(url_for("admin.roles"), 303)
    try:
        await services().describe_role(cmd, actor())
    except errors.ValidationFailed as error:
        await flash(error.message, "error")
    except errors.RoleNotFound:
        abort(404)
    else:
        await flash(f"Saved the description of {cmd.name.lower()!r}.", "success")
    return redirect(url_for("admin.roles"), 303)


@blueprint.get("/roles/<name>/delete")
@admin_only
async def confirm_delete_role(name: str) -> ResponseReturnValue:
    found = {role.name: role for role in await services().list_roles(actor())}
    role = found.get(name.lower())
    if role is None:
        abort(404)
    if role.built_in or role.members:
        await flash(errors.RoleInUse().message, "error")
        return redirect(url_for("admin.roles"), 303)
    return await confirmation(
        title="Delete this role?",
        message=f"The role {role.name!r} will be deleted. Nobody holds it now.",
        button="Delete",
        action=url_for("admin.delete_role", name=role.name),
        cancel=url_for("admin.roles"),
    )


@blueprint.post("/roles/<name>/delete")
@admin_only
async def delete_role(name: str) -> ResponseReturnValue:
    try:
        await services().delete_role(name, actor())
    except errors.RoleInUse as error:
        await flash(error.message, "error")
    except (errors.RoleNotFound, errors.InvalidRoleName):
        abort(404)
    else:
        await flash(f"Deleted the role {name.lower()!r}.", "success")
    return redirect(url_for("admin.roles"), 303)


async def _roles_page(
    values: dict[str, str], problems: forms.FieldErrors, status: int
) -> ResponseReturnValue:
    found = await services().list_roles(actor())
    page = await render("admin/roles.html", roles=found, values=values, problems=problems)
    return page, status


@blueprint.get("/audit/")
@admin_only
async def audit() -> ResponseReturnValue:
    args = request.args
    query, _ = forms.build(
        AuditQuery,
        {
            "user_id": args.get("user") or None,
            "event_type": args.get("type") or None,
            "before": args.get("before") or None,
        },
    )
    if query is None:
        abort(400)
    page = await services().list_audit(query, actor())
    return await render("admin/audit.html", page=page, query=query)
