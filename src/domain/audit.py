"""The audit trail: one entry per security-relevant event, with who, whom and from where."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain import events, invitations

DETAIL_MAX = 200
# The details that name a person: erased from the trail of a deleted account.
PERSONAL_DETAILS = frozenset({"username", "email", "old_email"})

# What each event is called in the trail, in words a person reads; one entry per event.
EVENT_LABELS: dict[type[events.Event], str] = {
    events.UserRegistered: "Account created",
    events.UserLoggedIn: "Signed in",
    events.LoginFailed: "Sign-in failed",
    events.SignInThrottled: "Sign-in locked",
    events.UserLoggedOut: "Signed out",
    events.SessionRevoked: "Session ended",
    events.PasswordChanged: "Password changed",
    events.PasswordResetRequested: "Password reset requested",
    events.ProfileUpdated: "Profile updated",
    events.UserDeactivated: "Account deactivated",
    events.UserActivated: "Account activated",
    events.RoleGranted: "Role granted",
    events.RoleRevoked: "Role revoked",
    events.RoleCreated: "Role created",
    events.RoleDescribed: "Role description changed",
    events.RoleDeleted: "Role deleted",
    events.RequestsThrottled: "Too many requests",
    events.TwoFactorEnabled: "Two-factor turned on",
    events.TwoFactorDisabled: "Two-factor turned off",
    events.TwoFactorReset: "Two-factor reset by an administrator",
    events.RecoveryCodeUsed: "Recovery code used",
    events.RecoveryCodesRegenerated: "New recovery codes",
    events.BrowserTrusted: "Browser trusted",
    events.TrustedBrowserForgotten: "Trusted browser forgotten",
    events.PasskeyAdded: "Passkey added",
    events.PasskeyUsed: "Passkey used",
    events.PasskeyRemoved: "Passkey removed",
    events.EmailVerified: "Address verified",
    events.EmailChanged: "Address changed",
    events.EmailVerificationRequested: "Verification link sent",
    events.EmailChangeRequested: "Address change asked for",
    events.RegistrationTriedWithAddress: "Registration tried with this address",
    events.AccountExported: "Data exported",
    events.AccountDeleted: "Account deleted",
    invitations.InvitationCreated: "Invitation sent",
    invitations.InvitationResent: "Invitation sent again",
    invitations.InvitationRevoked: "Invitation revoked",
    invitations.InvitationAccepted: "Invitation accepted",
}
_LABELS_BY_TYPE = {kind.__name__: label for kind, label in EVENT_LABELS.items()}

# Events a visitor causes before anyone is signed in: the account they name did not act.
VISITOR_EVENTS = frozenset(
    {
        events.LoginFailed,
        events.SignInThrottled,
        events.PasswordResetRequested,
        events.RegistrationTriedWithAddress,
    }
)
_VISITOR_TYPES = frozenset(kind.__name__ for kind in VISITOR_EVENTS)


def label_of(event_type: str) -> str:
    """The words for a stored event type ("RoleGranted" is "Role granted"); a type this
    version does not know is shown as stored."""
    return _LABELS_BY_TYPE.get(event_type, event_type)


def event_type_named(text: str) -> str | None:
    """The event type ``text`` names, by type or by label, in any letter case and
    spacing ("rolegranted", "Role granted"); None when it names none."""
    wanted = _squeezed(text)
    for event_type, label in _LABELS_BY_TYPE.items():
        if wanted in {_squeezed(event_type), _squeezed(label)}:
            return event_type
    return None


def _squeezed(text: str) -> str:
    return "".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    occurred_at: datetime
    event_type: str
    user_id: UUID | None
    actor_id: UUID | None
    ip: str | None
    details: dict[str, str]
    id: UUID = field(default_factory=uuid.uuid4)

    @property
    def acted_by(self) -> UUID | None:
        """Who acted: None for a visitor. Entries written before visitor events stopped
        naming their subject as the actor still carry it, so it is dropped here."""
        if self.event_type in _VISITOR_TYPES and self.actor_id == self.user_id:
            return None
        return self.actor_id

    @classmethod
    def of(
        cls,
        event: events.Event,
        *,
        actor_id: UUID | None = None,
        ip: str | None = None,
        by: str | None = None,
    ) -> AuditEntry:
        """The entry for ``event``; the subject is its ``user_id`` and, unless someone
        else acted, the subject acted on itself (a visitor's event has no actor). ``by``
        names an actor with no account (the command line), so with it the actor id stays
        None."""
        values = events.public_fields(event)
        values.pop("occurred_at")
        subject = values.pop("user_id", None)
        user_id = subject if isinstance(subject, UUID) else None
        visitor = type(event) in VISITOR_EVENTS
        details = {k: str(v)[:DETAIL_MAX] for k, v in values.items() if v is not None}
        if by is not None:
            details["by"] = by
        return cls(
            occurred_at=event.occurred_at,
            event_type=type(event).__name__,
            user_id=user_id,
            actor_id=actor_id or (user_id if by is None and not visitor else None),
            ip=ip,
            details=details,
        )


def impersonal(details: dict[str, str]) -> dict[str, str]:
    """``details`` without what names a person."""
    return {key: value for key, value in details.items() if key not in PERSONAL_DETAILS}
