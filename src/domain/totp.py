"""Time-based one-time passwords (RFC 6238 over RFC 4226): SHA-1, 6 digits, 30 s steps."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

DIGITS = 6
STEP_SECONDS = 30
# A phone's clock may be a little off, and a person takes a while to type: the step
# before and the step after the current one are accepted too.
DRIFT_STEPS = 1


def time_step(unix_seconds: float) -> int:
    """The number of the 30-second step ``unix_seconds`` falls in."""
    return int(unix_seconds // STEP_SECONDS)


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret, as authenticator apps show it (spaces, lower
    case and missing padding allowed)."""
    cleaned = "".join(secret.split()).upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: the code for ``counter``, dynamically truncated to ``digits`` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def code_at(secret: str, step: int) -> str:
    """The code an authenticator app shows during ``step`` for the base32 ``secret``."""
    return hotp(decode_secret(secret), step)


def matching_step(secret: str, code: str, *, step: int, after: int | None = None) -> int | None:
    """The step within the drift window around ``step`` whose code is ``code``, or None.

    Steps at or before ``after`` (the last one accepted) never match, so a code works
    once. Every candidate is compared in constant time, whether or not one matched.
    """
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    key = decode_secret(secret)
    found = None
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        fresh = after is None or candidate > after
        if hmac.compare_digest(hotp(key, candidate), code) and fresh and found is None:
            found = candidate
    return found
