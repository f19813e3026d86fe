"""Who is signed in: quart-auth's signed cookie carries a server-side session's random key,
resolved to a live session and its active account once per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps
from typing import ParamSpec, TypeVar
from uuid import UUID

from quart import Quart, ResponseReturnValue, abort, flash, g, redirect, request, url_for
from quart_auth import AuthUser, QuartAuth, current_user, login_user, logout_user

from application.commands import Actor
from application.results import SignedIn, UserDetail
from web import csrf
from web.client import client
from web.problems import wants_problem
from web.runtime import services

# Endpoints that never show or need the account: a probe costs no session lookup (static
# files never reach Quart at all, see web.assets).
NO_VIEWER = frozenset({"health.alive", "health.ready"})
SIGNED_OUT = "You were signed out."
SIGN_IN_FIRST = "Please sign in to see that page."
P = ParamSpec("P")
R = TypeVar("R")


def register_auth(app: Quart, *, secure_cookies: bool, lifetime: timedelta) -> None:
    app.config.update(
        QUART_AUTH_COOKIE_NAME="gatehouse_auth",
        QUART_AUTH_COOKIE_SECURE=secure_cookies,
        QUART_AUTH_COOKIE_HTTP_ONLY=True,
        QUART_AUTH_COOKIE_SAMESITE="Lax",
        QUART_AUTH_DURATION=int(lifetime.total_seconds()),
    )
    QuartAuth(app)
    app.before_request(load_viewer)
    app.context_processor(lambda: {"viewer": viewer()})


async def load_viewer() -> None:
    """Resolve the session key once: from ``Authorization: Bearer`` (programs) or the
    cookie (browsers). A revoked, expired or unknown key, or an account that is no
    longer active, is treated as signed out (and a page drops a cookie carrying it)."""
    g.viewer, g.session_id = None, None
    g.bearer = bearer_token()
    key = g.bearer or current_user.auth_id
    if key is None or request.endpoint in NO_VIEWER:
        return
    current = await services().resolve_session(key)
    if current is None:
        if g.bearer is None and request.endpoint is not None and not wants_problem():
            await _signed_out_elsewhere()  # on a page: API calls and 404s leave it for one
        return
    g.viewer, g.session_id = current.user, current.session_id


async def _signed_out_elsewhere() -> None:
    """Drop the cookie of a session that ended without this browser (signed out on
    another device, a password changed, an account deactivated) and say so once. The
    cookie's signature proves this server issued it, so the words tell its holder
    nothing about any account; a cookie that fails the check never gets here."""
    logout_user()
    await flash(SIGNED_OUT, "info")
    g.told_signed_out = True


def told_signed_out() -> bool:
    """True when this request found its session ended elsewhere and said so."""
    return getattr(g, "told_signed_out", False)


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def by_bearer() -> bool:
    """True when this request authenticated (or tried to) with a bearer token."""
    return getattr(g, "bearer", None) is not None


def viewer() -> UserDetail | None:
    """The signed-in account of this request, or None."""
    return getattr(g, "viewer", None)


def session_id() -> UUID | None:
    """The id of this request's session, or None when signed out."""
    return getattr(g, "session_id", None)


def start(signed_in: SignedIn) -> None:
    """Put the new session's key in the cookie (persistent only when asked to be) and
    start a new CSRF secret, so a token planted before sign-in is worth nothing after."""
    login_user(AuthUser(signed_in.session_key), remember=signed_in.persistent)
    csrf.new_secret()
    g.viewer, g.session_id = signed_in.user, signed_in.session_id


async def end() -> None:
    """End this request's session on the server and drop the cookie."""
    key = current_user.auth_id
    if key is not None:
        await services().sign_out(key, client())
    logout_user()
    g.viewer, g.session_id = None, None


async def end_locally() -> None:
    """Drop the cookie of a session that has already ended on the server."""
    logout_user()
    g.viewer, g.session_id = None, None


View = Callable[P, Awaitable[R]]
Guarded = Callable[P, Awaitable[R | ResponseReturnValue]]


def require_role(role: str | None) -> Callable[[View[P, R]], Guarded[P, R]]:
    """Signed out: to the sign-in form, saying why, coming back afterwards. Signed in
    without ``role``: a 403 page before the view runs (the use cases check again, so
    nothing relies on this alone). ``None`` asks for sign-in only."""

    def decorate(view: View[P, R]) -> Guarded[P, R]:
        @wraps(view)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> R | ResponseReturnValue:
            user = viewer()
            if user is None:
                if not told_signed_out():
                    await flash(SIGN_IN_FIRST, "info")
                return redirect(url_for("public.home", next=request.full_path.rstrip("?")), 303)
            if role is not None and role not in user.roles:
                abort(403)
            return await view(*args, **kwargs)

        return guarded

    return decorate


login_required = require_role(None)


def actor() -> Actor:
    """The signed-in account as the actor of an administrative use case."""
    user = viewer()
    if user is None:
        abort(401)
    return Actor(user_id=user.id, name=user.username, client=client())
