"""The outbox of cache invalidations over a Core table: written by the unit of work,
read and emptied by the relay."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.outbox import Invalidation, Outbox, PendingInvalidations
from infrastructure.db.errors import translated
from infrastructure.db.tables import cache_outbox


class SqlAlchemyOutbox(Outbox):
    """Messages added in a unit of work, inserted with its other changes."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._new: list[Invalidation] = []

    def add(self, invalidation: Invalidation) -> None:
        self._new.append(invalidation)

    async def flush(self) -> None:
        if self._new:
            rows = [
                {
                    "id": each.id,
                    "created_at": each.created_at,
                    "user_id": each.user_id,
                    "members": each.members,
                }
                for each in self._new
            ]
            await self._connection.execute(insert(cache_outbox), rows)
            self._new.clear()


class SqlAlchemyPendingInvalidations(PendingInvalidations):
    """Each call is one short transaction of its own. Relays of several processes may
    read the same messages; delivering one twice is harmless, removing it twice too."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def oldest(self, limit: int) -> list[Invalidation]:
        query = select(cache_outbox).order_by(cache_outbox.c.created_at).limit(limit)
        async with translated(), self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            Invalidation(
                id=row.id, created_at=row.created_at, user_id=row.user_id, members=row.members
            )
            for row in rows
        ]

    async def remove(self, ids: Sequence[UUID]) -> None:
        async with translated(), self._engine.begin() as connection:
            await connection.execute(delete(cache_outbox).where(cache_outbox.c.id.in_(ids)))
