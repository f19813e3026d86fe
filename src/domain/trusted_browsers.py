"""Trusted browsers: a browser that proved a second factor may skip the code step for a
while. Its cookie carries a random token, the server keeps only its hash, and the
password is always asked all the same."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from domain import events
from domain.sessions import USER_AGENT_MAX

TOKEN_BYTES = 32
TOKEN_MAX = 128


def new_trust_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_trust_token(token: str) -> str:
    """The stored form of a token: a leaked table skips nobody's code step."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(eq=False)
class TrustedBrowser:
    user_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime
    user_agent: str = ""
    ip: str | None = None
    revoked_at: datetime | None = None
    id: UUID = field(default_factory=uuid.uuid4)
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def trust(
        cls,
        user_id: UUID,
        token: str,
        *,
        now: datetime,
        lifetime: timedelta,
        user_agent: str = "",
        ip: str | None = None,
    ) -> TrustedBrowser:
        browser = cls(
            user_id=user_id,
            token_hash=hash_trust_token(token),
            created_at=now,
            expires_at=now + lifetime,
            last_used_at=now,
            user_agent=user_agent[:USER_AGENT_MAX],
            ip=ip,
        )
        browser.events.append(
            events.BrowserTrusted(occurred_at=now, user_id=user_id, browser_id=browser.id)
        )
        return browser

    def is_live(self, *, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def vouches_for(self, user_id: UUID, *, now: datetime) -> bool:
        """Whether this browser may skip the code step of ``user_id``'s sign-in now."""
        return self.user_id == user_id and self.is_live(now=now)

    def use(self, *, now: datetime) -> None:
        self.last_used_at = now

    def forget(self, *, now: datetime, reason: str) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
            self.events.append(
                events.TrustedBrowserForgotten(
                    occurred_at=now, user_id=self.user_id, browser_id=self.id, reason=reason
                )
            )
