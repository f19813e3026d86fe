"""Who is signed in: quart-auth's signed cookie, resolved to an account once per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from uuid import UUID

from quart import Quart, ResponseReturnValue, g, redirect, request, url_for
from quart_auth import AuthUser, QuartAuth, current_user, login_user, logout_user

from application.results import UserDetail
from web.runtime import services

P = ParamSpec("P")
R = TypeVar("R")
REMEMBER_SECONDS = 30 * 24 * 3600


def register_auth(app: Quart, *, secure_cookies: bool) -> None:
    app.config.update(
        QUART_AUTH_COOKIE_NAME="gatehouse_auth",
        QUART_AUTH_COOKIE_SECURE=secure_cookies,
        QUART_AUTH_COOKIE_HTTP_ONLY=True,
        QUART_AUTH_COOKIE_SAMESITE="Lax",
        QUART_AUTH_DURATION=REMEMBER_SECONDS,
    )
    QuartAuth(app)
    app.before_request(load_viewer)
    app.context_processor(lambda: {"viewer": viewer()})


async def load_viewer() -> None:
    """Resolve the cookie to an active account, once; anything else is signed out."""
    g.viewer = None
    auth_id = current_user.auth_id
    if auth_id is None:
        return
    user = await _active_user(auth_id)
    if user is None:
        logout_user()
        return
    g.viewer = user


async def _active_user(auth_id: str) -> UserDetail | None:
    try:
        user_id = UUID(auth_id)
    except ValueError:
        return None
    user = await services().get_user(user_id)
    return user if user is not None and user.active else None


def viewer() -> UserDetail | None:
    """The signed-in account of this request, or None."""
    return getattr(g, "viewer", None)


def sign_in(user: UserDetail, *, remember: bool) -> None:
    login_user(AuthUser(str(user.id)), remember=remember)
    g.viewer = user


def sign_out() -> None:
    logout_user()
    g.viewer = None


def login_required(
    view: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R | ResponseReturnValue]]:
    """Send a signed-out visitor to the sign-in form, coming back here afterwards."""

    @wraps(view)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R | ResponseReturnValue:
        if viewer() is None:
            return redirect(url_for("public.home", next=request.full_path.rstrip("?")), 303)
        return await view(*args, **kwargs)

    return guarded
