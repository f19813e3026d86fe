"""The security headers every response gets, pages and static files alike."""

from __future__ import annotations

from quart import Quart, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
YEAR = 365 * 24 * 3600
# Every response Quart makes shows or depends on who is asking (the nav, a CSRF token, the
# account itself): no shared cache may keep it, and the back button after sign-out must
# fetch it again. Static files never reach Quart and keep their own caching.
PRIVATE = "no-store, private"


def security_headers(*, production: bool) -> dict[str, str]:
    """The policy: no framing, no sniffing, no inline script; HSTS in production."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if production:
        headers["Strict-Transport-Security"] = f"max-age={YEAR}; includeSubDomains"
    return headers


def register_headers(app: Quart, *, production: bool) -> None:
    """Add the policy to every response Quart makes, unless a view chose its own."""
    wanted = security_headers(production=production) | {"Cache-Control": PRIVATE}

    async def add_headers(response: Response) -> Response:
        for name, value in wanted.items():
            response.headers.setdefault(name, value)
        return response

    app.after_request(add_headers)
