"""The members area: pages for signed-in people."""

from __future__ import annotations

from uuid import UUID

from quart import (
    Blueprint,
    ResponseReturnValue,
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)

from application.commands import ChangePassword, ListMembers, UpdateProfile
from application.results import UserDetail
from domain import errors
from web import auth, devices, forms
from web.auth import login_required
from web.client import client
from web.rendering import confirmation, render
from web.runtime import services

blueprint = Blueprint("users", __name__, url_prefix="/users")


@blueprint.get("/")
@login_required
async def members() -> ResponseReturnValue:
    per_page = current_app.config["MEMBERS_PER_PAGE"]
    query, _ = forms.build(
        ListMembers, {"page": request.args.get("page", "1"), "per_page": per_page}
    )
    if query is None:
        abort(400)
    page = await services().list_members(query)
    if page.past_the_end:
        abort(404)
    return await render("users/members.html", page=page)


PROFILE_FIELDS = ("first_name", "last_name", "email", "current_password")
PASSWORD_FIELDS = ("current_password", "new_password", "confirm")


@blueprint.get("/me")
@login_required
async def profile() -> ResponseReturnValue:
    me = _me()
    values = {"first_name": me.first_name, "last_name": me.last_name, "email": me.email}
    return await render("users/profile.html", values=values, problems={})


@blueprint.post("/me")
@login_required
async def update_profile() -> ResponseReturnValue:
    values, problems = await forms.read_form(PROFILE_FIELDS)
    cmd, invalid = forms.build(UpdateProfile, {**values, "user_id": _me().id, "client": client()})
    problems = invalid | problems
    if cmd is not None and not problems:
        try:
            await services().update_profile(cmd)
        except (errors.ValidationFailed, errors.Conflict, errors.InvalidCredentials) as error:
            problems = forms.field_error(error)
        else:
            await flash("Your profile is saved.", "success")
            return redirect(url_for("users.profile"), 303)
    page = await render("users/profile.html", values=forms.kept(values), problems=problems)
    return page, 422


@blueprint.get("/me/password")
@login_required
async def change_password() -> ResponseReturnValue:
    return await render("users/password.html", problems={})


@blueprint.post("/me/password")
@login_required
async def save_password() -> ResponseReturnValue:
    values, problems = await forms.read_form(PASSWORD_FIELDS)
    fields = {k: values[k] for k in PASSWORD_FIELDS[:2]}
    cmd, invalid = forms.build(
        ChangePassword,
        {**fields, "user_id": _me().id, "session_id": auth.session_id(), "client": client()},
    )
    problems = invalid | problems
    forms.confirm_matches(values, problems, "new_password")
    if cmd is not None and not problems:
        try:
            ended = await services().change_password(cmd)
        except (errors.ValidationFailed, errors.InvalidCredentials) as error:
            problems = forms.field_error(error)
        else:
            others = "" if not ended else f" {ended} other session{'s' * (ended != 1)} ended."
            await flash(f"Your password is changed.{others}", "success")
            return redirect(url_for("users.profile"), 303)
    return await render("users/password.html", problems=problems), 422


@blueprint.get("/me/sessions")
@login_required
async def sessions() -> ResponseReturnValue:
    user = _me()
    found = await services().list_sessions(user.id, auth.session_id())
    return await render("users/sessions.html", sessions=found, session_name=devices.session_name)


@blueprint.post("/me/sessions/<uuid:session_id>/revoke")
@login_required
async def revoke_session(session_id: UUID) -> ResponseReturnValue:
    try:
        await services().revoke_session(_me().id, session_id, client())
    except errors.SessionNotFound:
        abort(404)
    if session_id == auth.session_id():
        await auth.end()
        await flash("This session has ended; you are signed out.", "info")
        return redirect(url_for("public.home"), 303)
    await flash("The session has been signed out.", "success")
    return redirect(url_for("users.sessions"), 303)


@blueprint.get("/me/sessions/revoke-others")
@login_required
async def confirm_revoke_other_sessions() -> ResponseReturnValue:
    found = await services().list_sessions(_me().id, auth.session_id())
    others = sum(not session.current for session in found)
    if not others:
        return redirect(url_for("users.sessions"), 303)
    noun = "session" if others == 1 else f"{others} sessions"
    return await confirmation(
        title="Sign out everywhere else?",
        message=f"Your other {noun} will end at once; this one stays signed in.",
        button="Sign out everywhere else",
        action=url_for("users.revoke_other_sessions"),
        cancel=url_for("users.sessions"),
    )


@blueprint.post("/me/sessions/revoke-others")
@login_required
async def revoke_other_sessions() -> ResponseReturnValue:
    ended = await services().revoke_other_sessions(_me().id, auth.session_id(), client())
    noun = "session" if ended == 1 else "sessions"
    await flash(f"Signed out {ended} other {noun}.", "success")
    return redirect(url_for("users.sessions"), 303)


def _me() -> UserDetail:
    user = auth.viewer()
    assert user is not None, "login_required lets only signed-in visitors through"
    return user
