"""Repositories over Core tables: rows mapped to plain domain objects by hand."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, insert, literal, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.ports import Clock
from domain.repositories import Member, MemberPage, UserRepository
from domain.users import User
from domain.values import EmailAddress, PasswordHash, Username
from infrastructure.db.tables import roles, user_roles, users
from infrastructure.db.tracking import Snapshots


def _user_values(user: User) -> dict[str, Any]:
    """The user's stored columns, and the set of role names it holds under ``roles``."""
    return {
        "username": str(user.username),
        "username_key": user.username.key,
        "email": str(user.email),
        "email_key": user.email.key,
        "password_hash": user.password_hash.value,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "active": user.active,
        "last_login_at": user.last_login_at,
        "email_verified_at": user.email_verified_at,
        "roles": frozenset(user.roles),
    }


def user_from_row(row: Any, role_names: Iterable[str]) -> User:
    """A User from a row holding the users columns (by attribute) and its role names."""
    return User(
        id=row.id,
        username=Username(row.username),
        email=EmailAddress.stored(row.email, row.email_key),
        password_hash=PasswordHash(row.password_hash),
        first_name=row.first_name,
        last_name=row.last_name,
        active=row.active,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        email_verified_at=row.email_verified_at,
        roles=set(role_names),
    )


class SqlAlchemyUserRepository(UserRepository):
    """Writes nothing until ``flush``; then inserts new users and updates changed ones."""

    def __init__(self, connection: AsyncConnection, clock: Clock) -> None:
        super().__init__()
        self._connection = connection
        self._clock = clock
        self._new: list[User] = []
        self._snapshots: Snapshots[UUID] = Snapshots()

    def _add(self, user: User) -> None:
        self._new.append(user)

    async def _get(self, user_id: UUID) -> User | None:
        return await self._one(users.c.id == user_id)

    async def _get_by_login(self, key: str) -> User | None:
        return await self._one(or_(users.c.username_key == key, users.c.email_key == key))

    async def _exists(self, column: str, key: str) -> bool:
        query = select(literal(1)).where(users.c[f"{column}_key"] == key)
        return (await self._connection.execute(query)).first() is not None

    async def list_members(self, *, offset: int, limit: int) -> MemberPage:
        query = (
            select(
                users.c.id,
                users.c.username,
                users.c.first_name,
                users.c.last_name,
                users.c.created_at,
                func.count().over().label("total"),
            )
            .where(users.c.active.is_(True))
            .order_by(users.c.created_at, users.c.id)
            .offset(offset)
            .limit(limit)
        )
        rows = (await self._connection.execute(query)).all()
        total = rows[0].total if rows else await self._count_active()
        members = [
            Member(row.id, row.username, row.first_name, row.last_name, row.created_at)
            for row in rows
        ]
        return MemberPage(members=members, total=total)

    async def _search(self, prefix: str, after: str | None, limit: int) -> list[User]:
        later = [] if after is None else [users.c.username_key > after]
        if prefix:
            # Whole rows from each half rather than ids joined back to users: when its
            # statistics guess many matches, PostgreSQL makes that join a full scan.
            found = union(
                select(users).where(self._starts_with(users.c.username_key, prefix), *later),
                select(users).where(self._starts_with(users.c.email_key, prefix), *later),
            ).subquery()
            query = select(found).order_by(found.c.username_key).limit(limit)
        else:
            query = select(users).where(*later).order_by(users.c.username_key).limit(limit)
        rows = (await self._connection.execute(query)).all()
        held = await self._roles_of([row.id for row in rows])
        return [self._track(user_from_row(row, held.get(row.id, ()))) for row in rows]

    async def usernames(self, user_ids: Iterable[UUID]) -> dict[UUID, str]:
        wanted = set(user_ids)
        if not wanted:
            return {}
        query = select(users.c.id, users.c.username).where(users.c.id.in_(wanted))
        return {row.id: row.username for row in (await self._connection.execute(query)).all()}

    async def count_active_holding(self, role: str) -> int:
        """Counted by locking the holders' rows (PostgreSQL; SQLite has one writer at a
        time anyway): two administrators removing each other at the same moment then
        take turns, and the second sees the first's change."""
        query = (
            select(users.c.id)
            .select_from(users.join(user_roles, user_roles.c.user_id == users.c.id))
            .join(roles, roles.c.id == user_roles.c.role_id)
            .where(roles.c.name == role, users.c.active.is_(True))
            .order_by(users.c.id)
            .with_for_update(of=users)
        )
        return len((await self._connection.execute(query)).all())

    def _starts_with(self, column: Any, prefix: str) -> Any:
        """A prefix match that reads the prefix literally and can use an index: a range
        on SQLite (byte order), LIKE with escaped wildcards on PostgreSQL, where the
        pattern_ops indexes serve it whatever the database's collation."""
        if self._connection.dialect.name == "sqlite":
            return and_(column >= prefix, column < prefix + "\U0010ffff")
        return column.startswith(prefix, autoescape=True)

    async def flush(self) -> None:
        """Write new users, then whatever changed on the users handed out."""
        for user in self._new:
            await self._insert(user)
        self._new.clear()
        for user in self.seen.values():
            if not user.deleted:
                await self._update_if_changed(user)

    async def flush_deleted(self) -> None:
        """Delete the accounts marked deleted, everything they hold with them (ON DELETE
        CASCADE): last, after every other repository wrote what it had of them."""
        for user in self.seen.values():
            if user.deleted:
                await self._connection.execute(delete(users).where(users.c.id == user.id))

    async def _count_active(self) -> int:
        query = select(func.count()).select_from(users).where(users.c.active.is_(True))
        return int((await self._connection.execute(query)).scalar_one())

    async def _one(self, condition: Any) -> User | None:
        query = (
            select(users, roles.c.name.label("role_name"))
            .outerjoin(user_roles, user_roles.c.user_id == users.c.id)
            .outerjoin(roles, roles.c.id == user_roles.c.role_id)
            .where(condition)
        )
        rows = (await self._connection.execute(query)).all()
        if not rows:
            return None
        names = [row.role_name for row in rows if row.role_name is not None]
        return self._loaded(user_from_row(rows[0], names))

    async def _roles_of(self, user_ids: Sequence[UUID]) -> dict[UUID, list[str]]:
        if not user_ids:
            return {}
        query = (
            select(user_roles.c.user_id, roles.c.name)
            .join(roles, roles.c.id == user_roles.c.role_id)
            .where(user_roles.c.user_id.in_(user_ids))
        )
        held: dict[UUID, list[str]] = {}
        for user_id, name in (await self._connection.execute(query)).all():
            held.setdefault(user_id, []).append(name)
        return held

    def _track(self, user: User) -> User:
        """Hand a loaded user out: in ``seen`` for commit and events, its state kept to diff."""
        self._remember(user)
        return self._loaded(user)

    def _loaded(self, user: User) -> User:
        self._snapshots.keep(user.id, _user_values(user))
        return user

    async def _insert(self, user: User) -> None:
        values = _user_values(user)
        del values["roles"]
        values |= {"id": user.id, "created_at": user.created_at}
        await self._connection.execute(insert(users).values(**values))
        await self._grant(user, user.roles)
        self._loaded(user)

    async def _update_if_changed(self, user: User) -> None:
        changed = self._snapshots.changes(user.id, _user_values(user))
        held: frozenset[str] = self._snapshots.stored(user.id)["roles"]
        if changed.pop("roles", None) is not None:
            await self._grant(user, user.roles - held)
            await self._revoke(user, held - user.roles)
        if changed:
            query = update(users).where(users.c.id == user.id).values(**changed)
            await self._connection.execute(query)
        self._loaded(user)

    async def _grant(self, user: User, names: Iterable[str]) -> None:
        granted_at = self._clock.now()
        for name in sorted(names):
            chosen = select(
                literal(user.id, users.c.id.type),
                roles.c.id,
                literal(granted_at, user_roles.c.granted_at.type),
            ).where(roles.c.name == name)
            await self._connection.execute(
                insert(user_roles).from_select(["user_id", "role_id", "granted_at"], chosen)
            )

    async def _revoke(self, user: User, names: Iterable[str]) -> None:
        names = sorted(names)
        if names:
            role_ids = select(roles.c.id).where(roles.c.name.in_(names))
            await self._connection.execute(
                delete(user_roles).where(
                    user_roles.c.user_id == user.id, user_roles.c.role_id.in_(role_ids)
                )
            )
