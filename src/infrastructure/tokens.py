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

from domain.ports import AddressTokens, ResetTokens
from domain.users import User
from domain.values import EmailAddress

SALT = "gatehouse.password-reset"
ADDRESS_SALT = "gatehouse.address"


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


class SignedAddressTokens(AddressTokens):
    """Address links: the signed value carries the user id, the address to verify, when
    it was issued and a fingerprint of the account's address and verified state, so
    using the link (which changes that state) spends it."""

    def __init__(self, secret: str, *, max_age: timedelta) -> None:
        self._serializer = URLSafeSerializer(secret, salt=ADDRESS_SALT)
        self._secret = secret.encode()
        self._max_age = max_age

    def make_token(self, user: User, address: EmailAddress, *, now: datetime) -> str:
        issued = int(now.timestamp())
        fingerprint = self._fingerprint(user, address)
        return str(self._serializer.dumps([user.id.hex, str(address), issued, fingerprint]))

    def claimed(self, token: str) -> tuple[UUID, str] | None:
        payload = self._payload(token)
        return None if payload is None else (payload[0], payload[1])

    def check_token(self, user: User, address: EmailAddress, token: str, *, now: datetime) -> bool:
        payload = self._payload(token)
        if payload is None:
            return False
        user_id, _, issued, fingerprint = payload
        age = now.timestamp() - issued
        return (
            user_id == user.id
            and 0 <= age <= self._max_age.total_seconds()
            and hmac.compare_digest(fingerprint, self._fingerprint(user, address))
        )

    def _payload(self, token: str) -> tuple[UUID, str, int, str] | None:
        try:
            user_hex, address, issued, fingerprint = self._serializer.loads(token)
            return UUID(hex=user_hex), str(address), int(issued), str(fingerprint)
        except (BadData, ValueError, TypeError):
            return None

    def _fingerprint(self, user: User, address: EmailAddress) -> str:
        verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
        state = "|".join((user.email.key, verified, address.key))
        return hmac.new(self._secret, state.encode(), hashlib.sha256).hexdigest()[:32]
