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
    render_template,
    request,
    url_for,
)

from application.commands import ListMembers
from application.results import UserDetail
from domain import errors
from web import auth, forms
from web.auth import login_required
from web.client import client
from web.devices import describe
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
    return await render_template("users/members.html", page=page)


@blueprint.get("/me/sessions")
@login_required
async def sessions() -> ResponseReturnValue:
    user = _me()
    found = await services().list_sessions(user.id, auth.session_id())
    return await render_template("users/sessions.html", sessions=found, describe=describe)


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
