"""The trusted-browser cookie: a random token that spares this browser the two-factor
code, apart from the session cookie so that signing out keeps it."""

from __future__ import annotations

from quart import current_app, request
from quart.typing import ResponseTypes as Response

from application.results import SignedIn

COOKIE = "gatehouse_trusted"


def token() -> str | None:
    """The token this browser sent, if any (the use cases ignore one that is no token)."""
    return request.cookies.get(COOKIE) or None


def keep(response: Response, signed_in: SignedIn) -> None:
    """Set the cookie when the sign-in trusted this browser; it lives as long as the
    trust, and goes only where the session cookie goes."""
    if signed_in.trusted_browser is None or signed_in.trusted_until is None:
        return
    response.set_cookie(
        COOKIE,
        signed_in.trusted_browser,
        expires=signed_in.trusted_until,
        secure=current_app.config["QUART_AUTH_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
