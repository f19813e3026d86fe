"""Taking your data with you: everything Gatehouse holds about an account, as one
document, without any secret (keys, hashes, codes)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from application.admin import audit_record
from application.commands import Client
from application.profile import active_user
from application.results import (
    AuditRecord,
    PasskeyView,
    SessionView,
    TrustedBrowserView,
    TwoFactorStatus,
    UserDetail,
)
from application.unit_of_work import UnitOfWork
from domain import errors, events
from domain.audit import AuditEntry
from domain.ports import Clock, LoginThrottle

AUDIT_PAGE = 500
TOO_MANY_EXPORTS = "Too many exports have been asked for this account."


class AccountExport(BaseModel):
    """What Gatehouse holds about one account, secrets left out."""

    model_config = ConfigDict(frozen=True)

    exported_at: datetime
    account: UserDetail
    two_factor: TwoFactorStatus
    passkeys: tuple[PasskeyView, ...]
    sessions: tuple[SessionView, ...]
    trusted_browsers: tuple[TrustedBrowserView, ...]
    audit_events: tuple[AuditRecord, ...]


async def export_account(
    user_id: UUID, client: Client, *, uow: UnitOfWork, clock: Clock, throttle: LoginThrottle
) -> AccountExport:
    """The whole document (the export itself recorded in the trail, after the copy was
    taken); a few an hour per account, since each reads the whole trail.

    Raises: UserNotFound, TooManyAttempts
    """
    if (wait := await throttle.reserve(f"export:{user_id}")) is not None:
        raise errors.TooManyAttempts(wait, TOO_MANY_EXPORTS)
    now = clock.now()
    async with uow:
        user = await active_user(uow, user_id)
        state = await uow.two_factor.get(user_id)
        passkeys = await uow.passkeys.list_for_user(user_id)
        sessions = await uow.sessions.list_for_user(user_id)
        browsers = await uow.trusted_browsers.list_for_user(user_id)
        entries = await _trail(uow, user_id)
        ids = {e.user_id for e in entries} | {e.acted_by for e in entries}
        names = await uow.users.usernames(i for i in ids if i is not None)
        uow.client_ip = client.ip
        uow.record(events.AccountExported(occurred_at=now, user_id=user_id))
        await uow.commit()
    return AccountExport(
        exported_at=now,
        account=UserDetail.of(user),
        two_factor=TwoFactorStatus.of(state),
        passkeys=tuple(PasskeyView.of(passkey) for passkey in passkeys),
        sessions=tuple(SessionView.of(session, current=False) for session in sessions),
        trusted_browsers=tuple(
            TrustedBrowserView.of(browser, current=False)
            for browser in browsers
            if browser.is_live(now=now)
        ),
        audit_events=tuple(audit_record(entry, names) for entry in entries),
    )


async def _trail(uow: UnitOfWork, user_id: UUID) -> list[AuditEntry]:
    """Every audit entry about the account, newest first, a page at a time."""
    found: list[AuditEntry] = []
    before: tuple[datetime, UUID] | None = None
    while True:
        page = await uow.audit.list(user_id=user_id, before=before, limit=AUDIT_PAGE)
        found.extend(page)
        if len(page) < AUDIT_PAGE:
            return found
        before = (page[-1].occurred_at, page[-1].id)
