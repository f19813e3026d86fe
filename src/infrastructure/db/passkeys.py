"""The passkey repository over Core tables."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain import errors
from domain.passkeys import Ceremony, Passkey, PasskeyChallenge
from domain.repositories import PasskeyRepository
from infrastructure.db.tables import passkey_challenges, passkeys
from infrastructure.db.tracking import Snapshots


class SqlAlchemyPasskeyRepository(PasskeyRepository):
    """Writes on flush what changed since a passkey or challenge was read: a use only
    if the stored count is still the one read, a spend only if nobody spent it first
    (see the port); a removed passkey's row is deleted."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__()
        self._connection = connection
        self._new: list[Passkey] = []
        self._new_challenges: list[PasskeyChallenge] = []
        self._snapshots: Snapshots[UUID] = Snapshots()
        self._spent: set[str] = set()

    def _add(self, passkey: Passkey) -> None:
        self._new.append(passkey)

    async def _get(self, passkey_id: UUID) -> Passkey | None:
        return await self._one(select(passkeys).where(passkeys.c.id == passkey_id))

    async def _get_by_credential(self, credential_id: bytes) -> Passkey | None:
        return await self._one(select(passkeys).where(passkeys.c.credential_id == credential_id))

    async def _list_for_user(self, user_id: UUID) -> list[Passkey]:
        query = (
            select(passkeys)
            .where(passkeys.c.user_id == user_id)
            .order_by(passkeys.c.created_at, passkeys.c.id)
        )
        rows = (await self._connection.execute(query)).all()
        return [self._loaded(_passkey_from(row._mapping)) for row in rows]

    async def _one(self, query: Select[Any]) -> Passkey | None:
        row = (await self._connection.execute(query)).first()
        return None if row is None else self._loaded(_passkey_from(row._mapping))

    def _add_challenge(self, challenge: PasskeyChallenge) -> None:
        self._new_challenges.append(challenge)

    async def _get_challenge(self, digest: str) -> PasskeyChallenge | None:
        query = select(passkey_challenges).where(passkey_challenges.c.digest == digest)
        row = (await self._connection.execute(query)).first()
        if row is None:
            return None
        if row.used_at is not None:
            self._spent.add(digest)
        values = dict(row._mapping)
        return PasskeyChallenge(**{**values, "ceremony": Ceremony(values["ceremony"])})

    async def remove_expired_challenges(self, *, now: datetime) -> None:
        await self._connection.execute(
            delete(passkey_challenges).where(passkey_challenges.c.expires_at < now)
        )

    async def flush(self) -> None:
        for challenge in self._new_challenges:
            values = {c.name: getattr(challenge, c.name) for c in passkey_challenges.c}
            await self._connection.execute(insert(passkey_challenges).values(**values))
            if challenge.used_at is not None:
                self._spent.add(challenge.digest)
        self._new_challenges.clear()
        for challenge in self.challenges_seen.values():
            if challenge.used_at is not None and challenge.digest not in self._spent:
                await self._spend(challenge)
        for passkey in self._new:
            await self._connection.execute(insert(passkeys).values(**_values(passkey)))
            self._loaded(passkey)
        self._new.clear()
        for passkey in list(self.seen.values()):
            await self._write(passkey)

    async def _write(self, passkey: Passkey) -> None:
        stored = self._snapshots.stored(passkey.id)
        if stored.get("removed"):
            return  # deleted already
        if passkey.removed:
            await self._connection.execute(delete(passkeys).where(passkeys.c.id == passkey.id))
            self._snapshots.written(passkey.id, removed=True)
            return
        changed = self._snapshots.changes(passkey.id, _mutable(passkey))
        if not changed:
            return
        query = update(passkeys).where(passkeys.c.id == passkey.id).values(**changed)
        if "sign_count" in changed:
            query = query.where(passkeys.c.sign_count == stored["sign_count"])
        if (await self._connection.execute(query)).rowcount != 1:
            raise errors.InvalidPasskey()  # used elsewhere since it was read
        self._loaded(passkey)

    async def _spend(self, challenge: PasskeyChallenge) -> None:
        query = (
            update(passkey_challenges)
            .where(
                passkey_challenges.c.digest == challenge.digest,
                passkey_challenges.c.used_at.is_(None),
            )
            .values(used_at=challenge.used_at)
        )
        if (await self._connection.execute(query)).rowcount != 1:
            raise errors.InvalidChallenge()
        self._spent.add(challenge.digest)

    def _loaded(self, passkey: Passkey) -> Passkey:
        self._snapshots.keep(passkey.id, _mutable(passkey))
        return passkey


def _passkey_from(values: Mapping[Any, Any]) -> Passkey:
    found = dict(values)
    found["transports"] = tuple(t for t in found["transports"].split(",") if t)
    found["credential_id"], found["public_key"] = (
        bytes(found["credential_id"]),
        bytes(found["public_key"]),
    )
    return Passkey(**found)


def _mutable(passkey: Passkey) -> dict[str, Any]:
    return {
        "sign_count": passkey.sign_count,
        "last_used_at": passkey.last_used_at,
        "name": passkey.name,
        "removed": passkey.removed,
    }


def _values(passkey: Passkey) -> dict[str, Any]:
    return {
        "id": passkey.id,
        "user_id": passkey.user_id,
        "credential_id": passkey.credential_id,
        "public_key": passkey.public_key,
        "sign_count": passkey.sign_count,
        "name": passkey.name,
        "created_at": passkey.created_at,
        "transports": ",".join(passkey.transports),
        "authenticator": passkey.authenticator,
        "last_used_at": passkey.last_used_at,
    }
