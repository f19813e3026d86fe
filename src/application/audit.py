"""Use cases that write to the audit trail directly, for events no aggregate records."""

from __future__ import annotations

from uuid import UUID

from application.commands import Client
from application.unit_of_work import UnitOfWork
from domain import events
from domain.ports import Clock


async def record_throttled_request(
    endpoint: str, client: Client, user_id: UUID | None, *, uow: UnitOfWork, clock: Clock
) -> None:
    """Note that a client went over a rate limit (callers keep this to once a window)."""
    async with uow:
        uow.client_ip = client.ip
        uow.record(
            events.RequestsThrottled(
                occurred_at=clock.now(), endpoint=endpoint[:100], user_id=user_id
            )
        )
        await uow.commit()
