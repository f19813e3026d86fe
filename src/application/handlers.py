"""Event handlers that every deployment wants: security events go to the log."""

from __future__ import annotations

import logging

from application.event_bus import EventBus
from domain import events, invitations

security_log = logging.getLogger("gatehouse.security")

SECURITY_EVENTS: tuple[type[events.Event], ...] = (
    events.UserRegistered,
    events.UserLoggedIn,
    events.LoginFailed,
    events.PasswordChanged,
    events.PasswordResetRequested,
    events.RoleGranted,
    events.RoleRevoked,
    events.UserActivated,
    events.UserDeactivated,
    events.UserLoggedOut,
    events.SessionRevoked,
    events.SignInThrottled,
    events.RequestsThrottled,
    events.TwoFactorEnabled,
    events.TwoFactorDisabled,
    events.TwoFactorReset,
    events.RecoveryCodeUsed,
    events.RecoveryCodesRegenerated,
    events.BrowserTrusted,
    events.TrustedBrowserForgotten,
    events.PasskeyAdded,
    events.PasskeyUsed,
    events.PasskeyRemoved,
    events.EmailVerified,
    events.EmailChanged,
    events.EmailVerificationRequested,
    events.EmailChangeRequested,
    events.RegistrationTriedWithAddress,
    events.AccountExported,
    events.AccountDeleted,
    invitations.InvitationCreated,
    invitations.InvitationResent,
    invitations.InvitationRevoked,
    invitations.InvitationAccepted,
)


async def log_security_event(event: events.Event) -> None:
    fields = {
        key: str(value)
        for key, value in events.public_fields(event).items()
        if key != "occurred_at" and value is not None
    }
    security_log.info(
        "%s %s",
        type(event).__name__,
        " ".join(f"{key}={value}" for key, value in fields.items()),
        extra={"event": type(event).__name__, **fields},
    )


def subscribe_defaults(bus: EventBus) -> None:
    for event_type in SECURITY_EVENTS:
        bus.subscribe(event_type, log_security_event)
