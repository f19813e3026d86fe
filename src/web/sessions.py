"""The session cookie, verified and decoded once per value instead of on every request."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from quart import Quart
from quart.sessions import SecureCookieSession, SecureCookieSessionInterface
from quart.wrappers import BaseRequestWebsocket

REMEMBERED = 4096  # cookie values each process keeps the contents of


class RememberingCookieSessions(SecureCookieSessionInterface):
    """Quart's signed-cookie sessions, with the signing serializer made once (Quart makes
    one per request) and the contents of the cookies seen last remembered, so a returning
    visitor's unchanged cookie is not verified and decoded again on every page. Only a
    value whose signature was checked is remembered, only while every item in it is plain
    text (so no request can change another's copy: each gets a session of its own), and
    its age is checked against the session lifetime on every use, as before."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._opened: OrderedDict[str, tuple[dict[str, str], float]] = OrderedDict()
        self._serializer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Quart) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer is None or self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
        return self._serializer[1]

    async def open_session(
        self, app: Quart, request: BaseRequestWebsocket
    ) -> SecureCookieSession | None:
        cookie = request.cookies.get(self.get_cookie_name(app))
        max_age = app.permanent_session_lifetime.total_seconds()
        known = self._opened.get(cookie) if cookie else None
        if known is not None and 0 <= time.time() - known[1] <= max_age:
            self._opened.move_to_end(cookie)  # type: ignore[arg-type]
            return self.session_class(known[0])
        signer = self.get_signing_serializer(app)
        if signer is None or cookie is None:
            return None if signer is None else self.session_class()
        try:
            data, signed_at = signer.loads(cookie, max_age=int(max_age), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        self._remember(cookie, data, signed_at.timestamp())
        return self.session_class(data)

    def _remember(self, cookie: str, data: object, signed_at: float) -> None:
        if not isinstance(data, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in data.items()
        ):
            return
        self._opened[cookie] = (dict(data), signed_at)
        if len(self._opened) > self._size:
            self._opened.popitem(last=False)


def register_sessions(app: Quart) -> None:
    app.session_interface = RememberingCookieSessions()
