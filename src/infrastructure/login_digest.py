"""HMAC digests of sign-in names, keyed with the secret key."""

from __future__ import annotations

import hashlib
import hmac

from domain.ports import LoginDigest
from domain.values import login_key

DIGEST_CHARS = 32  # 128 bits: no two logins in any trail share one by chance
PURPOSE = b"gatehouse login digest\x00"


class HmacLoginDigest(LoginDigest):
    """HMAC-SHA256 of the login's lookup key; the key is derived from the secret key
    for this one purpose, so these digests say nothing about other uses of it."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()

    def digest(self, login: str) -> str:
        text = login_key(login).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, text, hashlib.sha256).hexdigest()[:DIGEST_CHARS]
