"""The CSRF token a page shows, signed once per session secret instead of once per request.

quart-wtf signs the session's random secret on every request that renders a form (a key
derivation, a JSON dump and an HMAC). Tokens never expire here (``WTF_CSRF_TIME_LIMIT``
is None, see ``web.app.register_csrf``), so one signature of a secret is as good as any
later one: each process keeps the signed form of the secrets it has seen in a bounded
cache. Checking a posted token stays quart-wtf's own ``validate_csrf``, as strict as before.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from itsdangerous import URLSafeTimedSerializer
from quart import Quart, current_app, session

FIELD = "csrf_token"  # quart-wtf's name: the form field and the session key of the secret
SALT = "wtf-csrf-token"  # quart-wtf's, so its validate_csrf accepts these tokens
EXTENSION = "gatehouse.csrf_tokens"
REMEMBERED = 4096  # sessions whose signed token each process keeps


class CsrfTokens:
    """Signed tokens by session secret, at most ``size`` of them (least recently used go)."""

    def __init__(self, secret_key: str | bytes, size: int = REMEMBERED) -> None:
        serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self.signed = lru_cache(maxsize=size)(serializer.dumps)


def register_csrf_tokens(app: Quart) -> None:
    """Serve ``csrf_token()`` in templates from the cache (in place of quart-wtf's)."""
    if app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        raise RuntimeError("cached CSRF tokens need tokens that never expire")
    key = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    if key is None:
        raise RuntimeError("CSRF tokens need a secret key")
    app.extensions[EXTENSION] = CsrfTokens(key)
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    """This session's signed token; the first call of a session makes its secret."""
    secret = session.get(FIELD)
    if not isinstance(secret, str):
        secret = secrets.token_hex(20)
        session[FIELD] = secret
    tokens: CsrfTokens = current_app.extensions[EXTENSION]
    signed: str = tokens.signed(secret)
    return signed


def new_secret() -> None:
    """Forget this session's secret: the next token is a new one (at sign-in)."""
    session.pop(FIELD, None)
