"""The role repository over Core tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.repositories import RoleRepository
from domain.roles import Role
from infrastructure.db.tables import roles, user_roles
from infrastructure.db.tracking import Snapshots


def _role_from(row: Any) -> Role:
    return Role(name=row.name, description=row.description, created_at=row.created_at, id=row.id)


class SqlAlchemyRoleRepository(RoleRepository):
    """Inserts new roles, updates changed descriptions and deletes removed roles."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__()
        self._connection = connection
        self._new: list[Role] = []
        self._removed: list[Role] = []
        self._snapshots: Snapshots[str] = Snapshots()

    def _add(self, role: Role) -> None:
        self._new.append(role)

    async def _get(self, name: str) -> Role | None:
        row = (await self._connection.execute(select(roles).where(roles.c.name == name))).first()
        return None if row is None else self._loaded(_role_from(row))

    def remove(self, role: Role) -> None:
        self._removed.append(role)

    async def list_with_members(self) -> list[tuple[Role, int]]:
        members = func.count(user_roles.c.user_id).label("members")
        query = (
            select(roles, members)
            .outerjoin(user_roles, user_roles.c.role_id == roles.c.id)
            .group_by(*roles.c)
            .order_by(roles.c.name)
        )
        rows = (await self._connection.execute(query)).all()
        return [(self._loaded(_role_from(row)), int(row.members)) for row in rows]

    async def count_members(self, name: str) -> int:
        query = (
            select(func.count())
            .select_from(user_roles.join(roles, roles.c.id == user_roles.c.role_id))
            .where(roles.c.name == name)
        )
        return int((await self._connection.execute(query)).scalar_one())

    async def flush(self) -> None:
        for role in self._new:
            values = {"id": role.id, "name": role.name, "created_at": role.created_at}
            await self._connection.execute(insert(roles).values(**values, **_mutable(role)))
            self._loaded(role)
        self._new.clear()
        for role in self.seen.values():
            if changed := self._snapshots.changes(role.name, _mutable(role)):
                query = update(roles).where(roles.c.id == role.id).values(**changed)
                await self._connection.execute(query)
                self._loaded(role)
        for role in self._removed:
            await self._connection.execute(delete(roles).where(roles.c.id == role.id))
        self._removed.clear()

    def _loaded(self, role: Role) -> Role:
        self._snapshots.keep(role.name, _mutable(role))
        return role


def _mutable(role: Role) -> dict[str, Any]:
    return {"description": role.description}
