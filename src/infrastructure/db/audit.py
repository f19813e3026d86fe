"""The audit trail over a Core table: append and read, never update."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.audit import AuditEntry
from domain.repositories import AuditLog
from infrastructure.db.tables import audit_events


class SqlAlchemyAuditLog(AuditLog):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._new: list[AuditEntry] = []

    def add(self, entry: AuditEntry) -> None:
        self._new.append(entry)

    async def list(
        self, *, user_id: UUID | None = None, event_type: str | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        query = select(audit_events).order_by(audit_events.c.occurred_at.desc()).limit(limit)
        if user_id is not None:
            query = query.where(audit_events.c.user_id == user_id)
        if event_type is not None:
            query = query.where(audit_events.c.event_type == event_type)
        rows = (await self._connection.execute(query)).all()
        return [
            AuditEntry(
                id=row.id,
                occurred_at=row.occurred_at,
                event_type=row.event_type,
                user_id=row.user_id,
                actor_id=row.actor_id,
                ip=row.ip,
                details=dict(row.details),
            )
            for row in rows
        ]

    async def flush(self) -> None:
        if self._new:
            rows = [
                {
                    "id": entry.id,
                    "occurred_at": entry.occurred_at,
                    "event_type": entry.event_type,
                    "user_id": entry.user_id,
                    "actor_id": entry.actor_id,
                    "ip": entry.ip,
                    "details": entry.details,
                }
                for entry in self._new
            ]
            await self._connection.execute(insert(audit_events), rows)
            self._new.clear()
