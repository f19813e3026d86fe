"""HMAC digests of two-factor recovery codes, keyed with the secret key."""

from __future__ import annotations

import hashlib
import hmac

from domain.ports import RecoveryCodeHasher
from domain.two_factor import normalise_recovery_code

PURPOSE = b"gatehouse recovery code\x00"


class HmacRecoveryCodeHasher(RecoveryCodeHasher):
    """HMAC-SHA256 of the normalised code, with a key derived from the secret key for
    this one purpose."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()

    def hash(self, code: str) -> str:
        text = normalise_recovery_code(code).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, text, hashlib.sha256).hexdigest()
