"""The audit trail over a Core table: append and read; the only update erases a deleted
account's personal details."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.audit import AuditEntry, impersonal
from domain.repositories import AuditLog
from infrastructure.db.tables import audit_events


class SqlAlchemyAuditLog(AuditLog):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._new: list[AuditEntry] = []

    def add(self, entry: AuditEntry) -> None:
        self._new.append(entry)

    async def list(
        self,
        *,
        user_id: UUID | None = None,
        event_type: str | None = None,
        before: tuple[datetime, UUID] | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:
        newest_first = (audit_events.c.occurred_at.desc(), audit_events.c.id.desc())
        query = select(audit_events).order_by(*newest_first).limit(limit)
        if before is not None:
            at, entry_id = before
            query = query.where(
                or_(
                    audit_events.c.occurred_at < at,
                    and_(audit_events.c.occurred_at == at, audit_events.c.id < entry_id),
                )
            )
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

    async def forget_personal(self, user_id: UUID) -> None:
        query = select(audit_events.c.id, audit_events.c.details).where(
            audit_events.c.user_id == user_id
        )
        for row in (await self._connection.execute(query)).all():
            details = dict(row.details)
            kept = impersonal(details)
            if kept != details:
                await self._connection.execute(
                    update(audit_events).where(audit_events.c.id == row.id).values(details=kept)
                )
        self._new = [
            replace(entry, details=impersonal(entry.details)) if entry.user_id == user_id else entry
            for entry in self._new
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
