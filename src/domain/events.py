"""Domain events: facts recorded by aggregates and published after a commit."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    occurred_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRegistered(Event):
    user_id: UUID
    username: str
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserLoggedIn(Event):
    user_id: UUID
    username: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginFailed(Event):
    """A sign-in attempt failed: for the account the login named (``user_id``), or, when
    it named none, for ``login_digest``, a keyed digest of it. What was typed is never
    kept: it may be a password typed into the wrong box."""

    user_id: UUID | None = None
    login_digest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordChanged(Event):
    """The password was replaced; ``via`` is ``change`` (knowing the old one) or ``reset``."""

    user_id: UUID
    via: str = "change"


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordResetRequested(Event):
    """Someone asked for a reset link for ``email``; ``user_id`` is None when no active
    account has that address (recorded all the same, so both cases cost the same)."""

    email: str
    user_id: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleGranted(Event):
    user_id: UUID
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleRevoked(Event):
    user_id: UUID
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDeactivated(Event):
    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class UserActivated(Event):
    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class UserLoggedOut(Event):
    user_id: UUID
    session_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRevoked(Event):
    """A session ended by someone's decision rather than by signing out of it."""

    user_id: UUID
    session_id: UUID
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInThrottled(Event):
    """Sign-in refused because of too many recent failures for this login; who is named
    as in LoginFailed (the account, else the login's digest)."""

    retry_after: int
    user_id: UUID | None = None
    login_digest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestsThrottled(Event):
    """A client went over a per-address rate limit on ``endpoint``."""

    endpoint: str
    user_id: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileUpdated(Event):
    user_id: UUID
    changed: str  # the names of the fields that changed, comma-separated


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleCreated(Event):
    role: str
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleDescribed(Event):
    role: str
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleDeleted(Event):
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TwoFactorEnabled(Event):
    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class TwoFactorDisabled(Event):
    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class TwoFactorReset(Event):
    """An administrator turned two-factor off for the account (a lost phone, say)."""

    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryCodeUsed(Event):
    user_id: UUID
    remaining: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryCodesRegenerated(Event):
    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class BrowserTrusted(Event):
    """The account holder asked this browser to skip the code step for a while."""

    user_id: UUID
    browser_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustedBrowserForgotten(Event):
    """A trusted browser must give the code again: forgotten by the holder's decision,
    or because of a password change, sign-out everywhere else or two-factor off."""

    user_id: UUID
    browser_id: UUID
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PasskeyAdded(Event):
    user_id: UUID
    passkey_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class PasskeyUsed(Event):
    user_id: UUID
    passkey_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class PasskeyRemoved(Event):
    user_id: UUID
    passkey_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailVerified(Event):
    user_id: UUID
    email: str
    by: str  # "link", or who vouched (an administrator, the command line)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailChanged(Event):
    """A new address took effect once its holder used the link sent to it."""

    user_id: UUID
    old_email: str
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailVerificationRequested(Event):
    """A link proving ``email`` is to be mailed to it (again)."""

    user_id: UUID
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailChangeRequested(Event):
    """The holder asked for a new address: a link goes to it, a notice to the old one;
    the address changes only when the link is used."""

    user_id: UUID
    old_email: str
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationTriedWithAddress(Event):
    """Someone tried to register with the address of this account; with verification
    required they were told what a new address is told, and its holder is mailed."""

    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountExported(Event):
    """The holder took a copy of everything Gatehouse holds about the account."""

    user_id: UUID


# A field with this metadata reaches the handlers (a mail) but is never stored or logged.
PRIVATE = {"private": True}


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountDeleted(Event):
    """The account and its personal data are gone; its id stays in the trail. The
    address and name are kept only for the notice mail (private: never stored)."""

    user_id: UUID
    by: str  # "themselves", "an administrator" or "the command line"
    email: str = field(default="", metadata=PRIVATE)
    name: str = field(default="", metadata=PRIVATE)


def public_fields(event: Event) -> dict[str, object]:
    """The event's fields fit for the audit trail and the log: all but the private."""
    return {
        each.name: getattr(event, each.name)
        for each in fields(event)
        if not each.metadata.get("private")
    }
