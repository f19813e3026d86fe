"""ADMIN_REQUIRES_TWO_FACTOR: an administrator without two-factor is sent to turn it on
before any admin page works, and every admin API call answers 403 until then."""

from __future__ import annotations

from quart import Quart, ResponseReturnValue, current_app, flash, redirect, request, url_for

from domain import errors
from web.auth import viewer
from web.blueprints.api.base import ADMINISTRATORS_ONLY
from web.problems import wants_problem
from web.runtime import services

SET_UP_FIRST = "Turn on two-factor sign-in first: the administration pages need it."


def register_admin_gate(app: Quart, *, required: bool) -> None:
    """After ``register_auth`` (it needs the viewer), when the setting asks for it."""
    if required:
        app.before_request(require_two_factor)


async def require_two_factor() -> ResponseReturnValue | None:
    user = viewer()
    if user is None or not user.is_admin or not administrative():
        return None  # signed out or no administrator: the usual 303 or 403 follows
    if (await services().two_factor_status(user.id)).enabled:
        return None
    if wants_problem():
        raise errors.TwoFactorSetupRequired()
    await flash(SET_UP_FIRST, "info")
    return redirect(url_for("users.two_factor"), 303)


def administrative() -> bool:
    """Whether this request is for an admin page (every feature's are under /admin/) or
    an administrators' API operation."""
    if request.path.startswith("/admin/"):
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, ADMINISTRATORS_ONLY, False))
