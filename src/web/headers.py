"""Response headers every page gets (security policy) and static files' caching and
compression."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from quart import Quart, Response, current_app, request, url_for

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
YEAR = 365 * 24 * 3600
COMPRESSIBLE = frozenset({"text/css", "text/javascript", "application/javascript", "image/svg+xml"})
MIN_COMPRESSED = 512


def register_headers(app: Quart, *, production: bool) -> None:
    async def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if production:
            headers.setdefault("Strict-Transport-Security", f"max-age={YEAR}; includeSubDomains")
        if request.endpoint == "static" and response.status_code == 200:
            if request.args.get("v"):
                headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
            await _compress(response)
        return response

    app.after_request(add_headers)
    app.jinja_env.globals["static_url"] = static_url


async def _compress(response: Response) -> None:
    """gzip text assets for clients that accept it (the compressed bytes are kept, so
    each file is compressed once)."""
    response.headers.add("Vary", "Accept-Encoding")
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    if not accepts_gzip or response.mimetype not in COMPRESSIBLE:
        return
    body = await response.get_data()
    if len(body) < MIN_COMPRESSED:
        return
    response.set_data(_gzipped(body))
    response.headers["Content-Encoding"] = "gzip"
    if etag := response.headers.get("ETag"):
        response.headers["ETag"] = etag.rstrip('"') + '-gzip"'


@lru_cache(maxsize=64)
def _gzipped(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=9, mtime=0)


def static_url(filename: str) -> str:
    """The URL of a static file with a content hash, so it can be cached for a year."""
    path = Path(current_app.static_folder or ".") / filename
    return url_for("static", filename=filename, v=_fingerprint(path, path.stat().st_mtime_ns))


@lru_cache(maxsize=256)
def _fingerprint(path: Path, modified: int) -> str:
    """Keyed by modification time too, so an edited file gets a new URL at once."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
