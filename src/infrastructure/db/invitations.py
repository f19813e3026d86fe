"""The invitation repository over Core tables."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.invitations import (
    InvalidInvitation,
    Invitation,
    InvitationClosed,
    InvitationPage,
    InvitationRepository,
)
from domain.values import EmailAddress
from infrastructure.db.tables import invitations
from infrastructure.db.tracking import Snapshots


class SqlAlchemyInvitationRepository(InvitationRepository):
    """Inserts new invitations and writes what resending, revoking and accepting change."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__()
        self._connection = connection
        self._new: list[Invitation] = []
        self._snapshots: Snapshots[UUID] = Snapshots()

    def _add(self, invitation: Invitation) -> None:
        self._new.append(invitation)

    async def _get(self, invitation_id: UUID) -> Invitation | None:
        return await self._one(select(invitations).where(invitations.c.id == invitation_id))

    async def _get_by_token(self, token_hash: str) -> Invitation | None:
        return await self._one(select(invitations).where(invitations.c.token_hash == token_hash))

    async def _open_for(self, email_key: str) -> list[Invitation]:
        query = select(invitations).where(
            invitations.c.email_key == email_key,
            invitations.c.accepted_at.is_(None),
            invitations.c.revoked_at.is_(None),
        )
        return [self._loaded(_invitation(row)) for row in await self._rows(query)]

    async def page(self, *, offset: int, limit: int) -> InvitationPage:
        query = (
            select(invitations, func.count().over().label("total"))
            .order_by(invitations.c.created_at.desc(), invitations.c.id)
            .offset(offset)
            .limit(limit)
        )
        rows = await self._rows(query)
        total = rows[0].total if rows else await self._count()
        return InvitationPage([_invitation(row) for row in rows], total)

    async def _count(self) -> int:
        counted = await self._connection.scalar(select(func.count()).select_from(invitations))
        return int(counted or 0)

    async def _one(self, query: Select[Any]) -> Invitation | None:
        rows = await self._rows(query)
        return self._loaded(_invitation(rows[0])) if rows else None

    async def _rows(self, query: Select[Any]) -> list[Any]:
        return list((await self._connection.execute(query)).all())

    async def flush(self) -> None:
        for invitation in self._new:
            await self._connection.execute(insert(invitations).values(**_values(invitation)))
            self._loaded(invitation)
        self._new.clear()
        for invitation in self.seen.values():
            if changed := self._snapshots.changes(invitation.id, _mutable(invitation)):
                await self._write(invitation, changed)

    async def _write(self, invitation: Invitation, changed: dict[str, Any]) -> None:
        """Every change (a new link, revoking, accepting) needs the invitation still
        open: of a revocation and a registration racing, or two registrations, the
        one that writes second finds it closed and fails."""
        query = (
            update(invitations)
            .where(
                invitations.c.id == invitation.id,
                invitations.c.accepted_at.is_(None),
                invitations.c.revoked_at.is_(None),
            )
            .values(**changed)
        )
        if (await self._connection.execute(query)).rowcount != 1:
            raise InvalidInvitation() if "accepted_at" in changed else InvitationClosed()
        self._loaded(invitation)

    def _loaded(self, invitation: Invitation) -> Invitation:
        self._snapshots.keep(invitation.id, _mutable(invitation))
        return invitation


def _invitation(row: Any) -> Invitation:
    found = row._mapping
    return Invitation(
        id=found["id"],
        email=EmailAddress.stored(found["email"], found["email_key"]),
        roles=frozenset(name for name in found["roles"].split(",") if name),
        token_hash=found["token_hash"],
        created_at=found["created_at"],
        expires_at=found["expires_at"],
        invited_by=found["invited_by"],
        accepted_at=found["accepted_at"],
        accepted_by=found["accepted_by"],
        revoked_at=found["revoked_at"],
    )


def _mutable(invitation: Invitation) -> dict[str, Any]:
    return {
        "token_hash": invitation.token_hash,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
        "accepted_by": invitation.accepted_by,
        "revoked_at": invitation.revoked_at,
    }


def _values(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "email": str(invitation.email),
        "email_key": invitation.email.key,
        "roles": ",".join(sorted(invitation.roles)),
        "token_hash": invitation.token_hash,
        "created_at": invitation.created_at,
        "invited_by": invitation.invited_by,
        **_mutable(invitation),
    }
