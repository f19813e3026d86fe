"""The members area: pages for signed-in people."""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue, abort, current_app, render_template, request

from application.commands import ListMembers
from web import forms
from web.auth import login_required
from web.runtime import services

blueprint = Blueprint("users", __name__, url_prefix="/users")


@blueprint.get("/")
@login_required
async def members() -> ResponseReturnValue:
    query, _ = forms.build(
        ListMembers,
        {"page": request.args.get("page", "1"), "per_page": current_app.config["MEMBERS_PER_PAGE"]},
    )
    if query is None:
        abort(400)
    page = await services().list_members(query)
    return await render_template("users/members.html", page=page)
