"""The session repository over Core tables."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.repositories import SessionRepository
from domain.sessions import SecondFactor, Session
from domain.users import User
from infrastructure.db.repositories import user_from_row
from infrastructure.db.tables import roles, sessions, user_roles, users
from infrastructure.db.tracking import Snapshots


def _session_from(values: Mapping[Any, Any], prefix: str = "") -> Session:
    found = {column.name: values[prefix + column.name] for column in sessions.c}
    if found["second_factor"] is not None:
        found["second_factor"] = SecondFactor(found["second_factor"])
    return Session(**found)


class SqlAlchemySessionRepository(SessionRepository):
    """Inserts new sessions and writes the idle clock and revocation of changed ones."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__()
        self._connection = connection
        self._new: list[Session] = []
        self._snapshots: Snapshots[UUID] = Snapshots()

    def _add(self, session: Session) -> None:
        self._new.append(session)

    async def _get(self, session_id: UUID) -> Session | None:
        row = (
            await self._connection.execute(select(sessions).where(sessions.c.id == session_id))
        ).first()
        return None if row is None else self._loaded(_session_from(row._mapping))

    async def _get_with_user(self, key_hash: str) -> tuple[Session, User] | None:
        session_columns = [column.label(f"s_{column.name}") for column in sessions.c]
        query = (
            select(*session_columns, users, roles.c.name.label("role_name"))
            .join(users, users.c.id == sessions.c.user_id)
            .outerjoin(user_roles, user_roles.c.user_id == users.c.id)
            .outerjoin(roles, roles.c.id == user_roles.c.role_id)
            .where(sessions.c.key_hash == key_hash)
        )
        rows = (await self._connection.execute(query)).all()
        if not rows:
            return None
        session = self._loaded(_session_from(rows[0]._mapping, prefix="s_"))
        names = [row.role_name for row in rows if row.role_name is not None]
        return session, user_from_row(rows[0], names)

    async def _list_for_user(self, user_id: UUID) -> list[Session]:
        query = (
            select(sessions)
            .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
            .order_by(sessions.c.last_seen_at.desc())
        )
        rows = (await self._connection.execute(query)).all()
        return [self._loaded(_session_from(row._mapping)) for row in rows]

    async def revoke_all(
        self, user_id: UUID, *, now: datetime, except_id: UUID | None = None
    ) -> list[UUID]:
        conditions = [sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)]
        if except_id is not None:
            conditions.append(sessions.c.id != except_id)
        query = update(sessions).where(*conditions).values(revoked_at=now).returning(sessions.c.id)
        revoked = [row.id for row in (await self._connection.execute(query)).all()]
        for session in self.seen.values():
            if session.id in revoked:
                session.revoked_at = now
                # Only revoked_at is now stored: an unsaved touch must still be written.
                self._snapshots.written(session.id, revoked_at=now)
        return revoked

    async def flush(self) -> None:
        for session in self._new:
            await self._connection.execute(insert(sessions).values(**_values(session)))
            self._loaded(session)
        self._new.clear()
        for session in self.seen.values():
            if changed := self._snapshots.changes(session.id, _mutable(session)):
                query = update(sessions).where(sessions.c.id == session.id).values(**changed)
                await self._connection.execute(query)
                self._loaded(session)

    def _loaded(self, session: Session) -> Session:
        self._snapshots.keep(session.id, _mutable(session))
        return session


def _mutable(session: Session) -> dict[str, Any]:
    return {"last_seen_at": session.last_seen_at, "revoked_at": session.revoked_at}


def _values(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "key_hash": session.key_hash,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        "expires_at": session.expires_at,
        "persistent": session.persistent,
        "user_agent": session.user_agent,
        "ip": session.ip,
        "revoked_at": session.revoked_at,
        "api_token": session.api_token,
        "second_factor": session.second_factor,
    }
