"""Password-reset tokens: signed by itsdangerous, timed by the clock, bound to the account.

The signed value carries the user id and a fingerprint of what the reset is about to
change: the password hash, the address and the last sign-in. Once any of these
changes, the token no longer matches, so it works once and dies with the password,
with no table of issued tokens (the idea of Django's PasswordResetTokenGenerator).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from uuid import UUID

from itsdangerous import BadData, URLSafeSerializer

from domain.ports import ResetTokens
from domain.users import User

SALT = "gatehouse.password-reset"


class SignedResetTokens(ResetTokens):
    def __init__(self, secret: str, *, max_age: timedelta) -> None:
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self._secret = secret.encode()
        self._max_age = max_age

    def make_token(self, user: User, *, now: datetime) -> str:
        issued = int(now.timestamp())
        return str(self._serializer.dumps([user.id.hex, issued, self._fingerprint(user)]))

    def claimed_user(self, token: str) -> UUID | None:
        payload = self._payload(token)
        return None if payload is None else payload[0]

    def check_token(self, user: User, token: str, *, now: datetime) -> bool:
        payload = self._payload(token)
        if payload is None:
            return False
        user_id, issued, fingerprint = payload
        age = now.timestamp() - issued
        return (
            user_id == user.id
            and 0 <= age <= self._max_age.total_seconds()
            and hmac.compare_digest(fingerprint, self._fingerprint(user))
        )

    def _payload(self, token: str) -> tuple[UUID, int, str] | None:
        try:
            user_hex, issued, fingerprint = self._serializer.loads(token)
            return UUID(hex=user_hex), int(issued), str(fingerprint)
        except (BadData, ValueError, TypeError):
            return None

    def _fingerprint(self, user: User) -> str:
        state = "|".join(
            (
                user.password_hash.value,
                user.email.key,
                user.last_login_at.isoformat() if user.last_login_at else "",
            )
        )
        return hmac.new(self._secret, state.encode(), hashlib.sha256).hexdigest()[:32]
