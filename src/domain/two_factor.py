"""Two-factor sign-in: the account's second factor, its set-up, and the half-signed-in state."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode
from uuid import UUID

from domain import errors, events, totp

SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends for HMAC-SHA-1
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
# No 0/o, 1/l/i: a recovery code is read off paper and typed by hand.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SETUP_LIFETIME = timedelta(minutes=10)
CHALLENGE_LIFETIME = timedelta(minutes=5)
ISSUER = "Gatehouse"
# Inside the aggregates ``events`` names their list of recorded events.
_Event = events.Event


def new_secret() -> str:
    """A fresh TOTP secret in base32 without padding, as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def otpauth_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app adds the account from."""
    label = quote(f"{ISSUER}:{username}", safe=":@")
    return f"otpauth://totp/{label}?{urlencode({'secret': secret, 'issuer': ISSUER})}"


def new_recovery_codes() -> list[str]:
    """Ten fresh single-use codes, shown once as ``xxxxx-xxxxx``."""
    return [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]


def _recovery_code() -> str:
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{chars[:5]}-{chars[5:]}"


def normalise_recovery_code(text: str) -> str:
    """The form a recovery code is hashed in: no spaces or dashes, lower case."""
    return "".join(ch for ch in text if ch not in " -\t").lower()


def looks_like_totp(code: str) -> bool:
    """True for six ASCII digits (anything else can only be a recovery code)."""
    return len(code) == totp.DIGITS and code.isascii() and code.isdigit()


def step_of(now: datetime) -> int:
    return totp.time_step(now.timestamp())


@dataclass
class RecoveryCode:
    code_hash: str
    used_at: datetime | None = None


@dataclass(eq=False)
class TwoFactor:
    """An account's second factor; exists only while two-factor is on. The secret is
    held encrypted: the domain never needs it but to check a code, given decrypted."""

    user_id: UUID
    secret_encrypted: str
    enabled_at: datetime
    last_step: int | None = None
    recovery_codes: list[RecoveryCode] = field(default_factory=list)
    enabled: bool = True
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def enable(
        cls, pending: PendingTwoFactor, *, step: int, code_hashes: list[str], now: datetime
    ) -> TwoFactor:
        """Two-factor on, from a set-up whose code (of ``step``) proved right."""
        two_factor = cls(
            user_id=pending.user_id,
            secret_encrypted=pending.secret_encrypted,
            enabled_at=now,
            last_step=step,
            recovery_codes=[RecoveryCode(code_hash) for code_hash in code_hashes],
        )
        two_factor.events.append(events.TwoFactorEnabled(occurred_at=now, user_id=pending.user_id))
        return two_factor

    @property
    def recovery_codes_left(self) -> int:
        return sum(1 for code in self.recovery_codes if code.used_at is None)

    def accept_totp(self, secret: str, code: str, *, now: datetime) -> None:
        """Take a current code once: a code of a step already accepted is refused.

        Raises: InvalidCode
        """
        step = totp.matching_step(secret, code, step=step_of(now), after=self.last_step)
        if step is None:
            raise errors.InvalidCode()
        self.last_step = step

    def use_recovery_code(self, code_hash: str, *, now: datetime) -> None:
        """Spend the unused recovery code with this hash.

        Raises: InvalidCode (unknown or already used)
        """
        found = None
        for code in self.recovery_codes:
            if hmac.compare_digest(code.code_hash, code_hash) and code.used_at is None:
                found = code
        if found is None:
            raise errors.InvalidCode()
        found.used_at = now
        self.events.append(
            events.RecoveryCodeUsed(
                occurred_at=now, user_id=self.user_id, remaining=self.recovery_codes_left
            )
        )

    def replace_recovery_codes(self, code_hashes: list[str], *, now: datetime) -> None:
        """New codes; every old one stops working."""
        self.recovery_codes = [RecoveryCode(code_hash) for code_hash in code_hashes]
        self.events.append(events.RecoveryCodesRegenerated(occurred_at=now, user_id=self.user_id))

    def disable(self, *, now: datetime) -> None:
        """Turned off by the account holder; the repository then forgets it."""
        self._off(events.TwoFactorDisabled(occurred_at=now, user_id=self.user_id))

    def reset(self, *, now: datetime) -> None:
        """Turned off by an administrator for someone who lost their phone."""
        self._off(events.TwoFactorReset(occurred_at=now, user_id=self.user_id))

    def _off(self, event: _Event) -> None:
        if not self.enabled:
            raise errors.TwoFactorNotEnabled()
        self.enabled = False
        self.events.append(event)


@dataclass(eq=False)
class PendingTwoFactor:
    """A secret shown to the account holder but not yet proved: it lives 10 minutes."""

    user_id: UUID
    secret_encrypted: str
    expires_at: datetime

    @classmethod
    def begin(cls, user_id: UUID, secret_encrypted: str, *, now: datetime) -> PendingTwoFactor:
        return cls(
            user_id=user_id, secret_encrypted=secret_encrypted, expires_at=now + SETUP_LIFETIME
        )

    def is_expired(self, *, now: datetime) -> bool:
        return now >= self.expires_at

    def confirm(self, secret: str, code: str, *, now: datetime) -> int:
        """The step of ``code`` when it is right for this (decrypted) secret.

        Raises: SetupExpired, InvalidCode
        """
        if self.is_expired(now=now):
            raise errors.SetupExpired()
        step = totp.matching_step(secret, code, step=step_of(now))
        if step is None:
            raise errors.InvalidCode()
        return step


def new_challenge_token() -> str:
    return secrets.token_urlsafe(32)


def hash_challenge_token(token: str) -> str:
    """Stored form of a challenge's token: a leaked table finishes no sign-ins."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(eq=False)
class SignInChallenge:
    """The half-signed-in state: the password was right, the second factor is owed. It
    is no session; it lives 5 minutes, server-side, and is used at most once."""

    token_hash: str
    user_id: UUID
    remember: bool
    expires_at: datetime
    api_token: bool = False
    used_at: datetime | None = None

    @classmethod
    def issue(
        cls, user_id: UUID, token: str, *, remember: bool, api_token: bool, now: datetime
    ) -> SignInChallenge:
        return cls(
            token_hash=hash_challenge_token(token),
            user_id=user_id,
            remember=remember,
            api_token=api_token,
            expires_at=now + CHALLENGE_LIFETIME,
        )

    def is_open(self, *, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at

    def use(self, *, now: datetime) -> None:
        """Spend the challenge.

        Raises: InvalidChallenge (expired or already used)
        """
        if not self.is_open(now=now):
            raise errors.InvalidChallenge()
        self.used_at = now
