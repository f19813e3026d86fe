"""Ending an account's sessions in bulk: the one way every use case does it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.trusted_browsers import forget_browsers
from application.unit_of_work import UnitOfWork
from domain import events


async def end_sessions(
    uow: UnitOfWork, user_id: UUID, *, now: datetime, reason: str, keep: UUID | None = None
) -> int:
    """Inside ``uow``'s transaction: revoke every live session of the account but
    ``keep``, each recorded as SessionRevoked with ``reason``, and forget every trusted
    browser (this one's too: whoever else might hold a copy of its cookie); how many
    sessions ended."""
    await forget_browsers(uow, user_id, now=now, reason=reason)
    revoked = await uow.sessions.revoke_all(user_id, now=now, except_id=keep)
    for session_id in revoked:
        uow.record(
            events.SessionRevoked(
                occurred_at=now, user_id=user_id, session_id=session_id, reason=reason
            )
        )
    return len(revoked)
