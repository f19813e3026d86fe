"""Response headers every page gets: security policy and static-file caching."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from quart import Quart, Response, current_app, request, url_for

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
YEAR = 365 * 24 * 3600


def register_headers(app: Quart, *, production: bool) -> None:
    async def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if production:
            headers.setdefault("Strict-Transport-Security", f"max-age={YEAR}; includeSubDomains")
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response

    app.after_request(add_headers)
    app.jinja_env.globals["static_url"] = static_url


def static_url(filename: str) -> str:
    """The URL of a static file with a content hash, so it can be cached for a year."""
    return url_for("static", filename=filename, v=_fingerprint(current_app.static_folder, filename))


@cache
def _fingerprint(folder: str | None, filename: str) -> str:
    path = Path(folder or ".") / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
