"""Server-side sign-in sessions: what a cookie's random key stands for, and when it ends."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from domain import events

KEY_BYTES = 32
USER_AGENT_MAX = 512


def new_session_key() -> str:
    """A fresh, unguessable key; only its hash is ever stored."""
    return secrets.token_urlsafe(KEY_BYTES)


def hash_session_key(key: str) -> str:
    """The stored form of a key: a leaked table then opens no sessions."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class SecondFactor(StrEnum):
    """What proved the second factor when a session of a two-factor account began."""

    CODE = "code"
    RECOVERY_CODE = "recovery_code"
    TRUSTED_BROWSER = "trusted_browser"
    PASSKEY = "passkey"


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a session lives: ``idle_timeout`` without use, ``lifetime`` at most;
    how long a trusted browser may skip the two-factor code; and who may open one."""

    idle_timeout: timedelta
    lifetime: timedelta
    trust_lifetime: timedelta = timedelta(days=30)
    # A session opens only for an account whose address is verified
    # (EMAIL_VERIFICATION=required).
    verified_only: bool = False
    # Writing last_seen on every request would cost a write per page; this is the
    # granularity at which the idle clock is kept.
    touch_every: timedelta = timedelta(minutes=1)


@dataclass(eq=False)
class Session:
    user_id: UUID
    key_hash: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    persistent: bool
    user_agent: str = ""
    ip: str | None = None
    revoked_at: datetime | None = None
    # The key went to a program as an API token rather than into a browser's cookie.
    api_token: bool = False
    # None for an account without two-factor (or a session from before it existed).
    second_factor: SecondFactor | None = None
    id: UUID = field(default_factory=uuid.uuid4)
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def start(
        cls,
        user_id: UUID,
        key: str,
        *,
        now: datetime,
        policy: SessionPolicy,
        persistent: bool,
        user_agent: str = "",
        ip: str | None = None,
        api_token: bool = False,
        second_factor: SecondFactor | None = None,
    ) -> Session:
        return cls(
            user_id=user_id,
            key_hash=hash_session_key(key),
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.lifetime,
            persistent=persistent,
            user_agent=user_agent[:USER_AGENT_MAX],
            ip=ip,
            api_token=api_token,
            second_factor=second_factor,
        )

    def is_active(self, *, now: datetime, policy: SessionPolicy) -> bool:
        return (
            self.revoked_at is None
            and now < self.expires_at
            and now < self.last_seen_at + policy.idle_timeout
        )

    def touch(self, *, now: datetime, policy: SessionPolicy) -> bool:
        """Note a use of the session; True when that changed what is stored."""
        if now - self.last_seen_at < policy.touch_every:
            return False
        self.last_seen_at = now
        return True

    def sign_out(self, *, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
            self.events.append(
                events.UserLoggedOut(occurred_at=now, user_id=self.user_id, session_id=self.id)
            )

    def revoke(self, *, now: datetime, reason: str) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
            self.events.append(
                events.SessionRevoked(
                    occurred_at=now, user_id=self.user_id, session_id=self.id, reason=reason
                )
            )
