"""The two-factor repository over Core tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain import errors
from domain.repositories import StoredSecret, TwoFactorRepository
from domain.two_factor import PendingTwoFactor, RecoveryCode, SignInChallenge, TwoFactor
from infrastructure.db.tables import (
    recovery_codes,
    sign_in_challenges,
    two_factor,
    two_factor_pending,
)


class SqlAlchemyTwoFactorRepository(TwoFactorRepository):
    """Writes on flush what changed since a second factor or challenge was read, each
    change conditional on the row still being as read (see the port)."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__()
        self._connection = connection
        self._new: list[TwoFactor] = []
        self._new_challenges: list[SignInChallenge] = []
        self._stored: dict[UUID, tuple[int | None, dict[str, RecoveryCode]]] = {}
        self._used_challenges: set[str] = set()

    def _add(self, state: TwoFactor) -> None:
        self._new.append(state)

    async def _get(self, user_id: UUID) -> TwoFactor | None:
        row = (
            await self._connection.execute(
                select(two_factor).where(two_factor.c.user_id == user_id)
            )
        ).first()
        if row is None:
            return None
        code_rows = await self._connection.execute(
            select(recovery_codes.c.code_hash, recovery_codes.c.used_at)
            .where(recovery_codes.c.user_id == user_id)
            .order_by(recovery_codes.c.code_hash)
        )
        codes = [RecoveryCode(code.code_hash, code.used_at) for code in code_rows]
        found = TwoFactor(
            user_id=row.user_id,
            secret_encrypted=row.secret_encrypted,
            enabled_at=row.enabled_at,
            last_step=row.last_step,
            recovery_codes=codes,
        )
        self._loaded(found)
        return found

    async def enabled_among(self, user_ids: Iterable[UUID]) -> set[UUID]:
        wanted = list(user_ids)
        if not wanted:
            return set()
        query = select(two_factor.c.user_id).where(two_factor.c.user_id.in_(wanted))
        return set((await self._connection.execute(query)).scalars())

    async def get_pending(self, user_id: UUID) -> PendingTwoFactor | None:
        query = select(two_factor_pending).where(two_factor_pending.c.user_id == user_id)
        row = (await self._connection.execute(query)).first()
        return None if row is None else PendingTwoFactor(**row._mapping)

    async def put_pending(self, pending: PendingTwoFactor) -> None:
        await self.remove_pending(pending.user_id)
        await self._connection.execute(
            insert(two_factor_pending).values(
                user_id=pending.user_id,
                secret_encrypted=pending.secret_encrypted,
                expires_at=pending.expires_at,
            )
        )

    async def remove_pending(self, user_id: UUID) -> None:
        await self._connection.execute(
            delete(two_factor_pending).where(two_factor_pending.c.user_id == user_id)
        )

    async def encrypted_secrets(self) -> list[StoredSecret]:
        enabled = select(two_factor.c.user_id, two_factor.c.secret_encrypted)
        pending = select(two_factor_pending.c.user_id, two_factor_pending.c.secret_encrypted)
        found = [
            StoredSecret(row.user_id, row.secret_encrypted) for row in await self._rows(enabled)
        ]
        found += [
            StoredSecret(row.user_id, row.secret_encrypted, pending=True)
            for row in await self._rows(pending)
        ]
        return found

    async def replace_secret(self, stored: StoredSecret, secret_encrypted: str) -> None:
        table = two_factor_pending if stored.pending else two_factor
        await self._connection.execute(
            update(table)
            .where(
                table.c.user_id == stored.user_id,
                table.c.secret_encrypted == stored.secret_encrypted,
            )
            .values(secret_encrypted=secret_encrypted)
        )

    async def _rows(self, query: Select[Any]) -> Sequence[Row[Any]]:
        rows: Sequence[Row[Any]] = (await self._connection.execute(query)).all()
        return rows

    async def remove_expired_challenges(self, user_id: UUID, *, now: datetime) -> None:
        await self._connection.execute(
            delete(sign_in_challenges).where(
                sign_in_challenges.c.user_id == user_id, sign_in_challenges.c.expires_at < now
            )
        )

    def add_challenge(self, challenge: SignInChallenge) -> None:
        self._new_challenges.append(challenge)

    async def _get_challenge(self, token_hash: str) -> SignInChallenge | None:
        query = select(sign_in_challenges).where(sign_in_challenges.c.token_hash == token_hash)
        row = (await self._connection.execute(query)).first()
        if row is None:
            return None
        if row.used_at is not None:
            self._used_challenges.add(row.token_hash)
        return SignInChallenge(**row._mapping)

    async def flush(self) -> None:
        for state in self._new:
            await self._insert(state)
        self._new.clear()
        for state in self.seen.values():
            await self._write(state)
        for challenge in self._new_challenges:
            await self._connection.execute(insert(sign_in_challenges).values(**_values(challenge)))
            self.challenges_seen[challenge.token_hash] = challenge
        self._new_challenges.clear()
        for challenge in self.challenges_seen.values():
            if challenge.used_at is not None and challenge.token_hash not in self._used_challenges:
                await self._spend(challenge)

    async def _insert(self, state: TwoFactor) -> None:
        await self._connection.execute(
            insert(two_factor).values(
                user_id=state.user_id,
                secret_encrypted=state.secret_encrypted,
                enabled_at=state.enabled_at,
                last_step=state.last_step,
            )
        )
        await self._insert_codes(state)
        self._loaded(state)

    async def _insert_codes(self, state: TwoFactor) -> None:
        if state.recovery_codes:
            rows = [_code_values(state.user_id, code) for code in state.recovery_codes]
            await self._connection.execute(insert(recovery_codes), rows)

    async def _write(self, state: TwoFactor) -> None:
        if state.user_id not in self._stored:
            return  # turned off and deleted already
        if not state.enabled:
            await self._connection.execute(
                delete(two_factor).where(two_factor.c.user_id == state.user_id)
            )
            del self._stored[state.user_id]
            return
        last_step, codes = self._stored[state.user_id]
        if state.last_step != last_step:
            await self._accept_step(state, last_step)
        now_codes = {code.code_hash: code for code in state.recovery_codes}
        if now_codes.keys() != codes.keys():
            await self._replace_codes(state)
        else:
            for code in state.recovery_codes:
                if code.used_at is not None and codes[code.code_hash].used_at is None:
                    await self._spend_code(state.user_id, code)
        self._loaded(state)

    async def _accept_step(self, state: TwoFactor, read: int | None) -> None:
        column = two_factor.c.last_step
        unchanged = column.is_(None) if read is None else column == read
        query = (
            update(two_factor)
            .where(two_factor.c.user_id == state.user_id, unchanged)
            .values(last_step=state.last_step)
        )
        if (await self._connection.execute(query)).rowcount != 1:
            raise errors.InvalidCode()

    async def _replace_codes(self, state: TwoFactor) -> None:
        await self._connection.execute(
            delete(recovery_codes).where(recovery_codes.c.user_id == state.user_id)
        )
        await self._insert_codes(state)

    async def _spend_code(self, user_id: UUID, code: RecoveryCode) -> None:
        query = (
            update(recovery_codes)
            .where(
                recovery_codes.c.user_id == user_id,
                recovery_codes.c.code_hash == code.code_hash,
                recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=code.used_at)
        )
        if (await self._connection.execute(query)).rowcount != 1:
            raise errors.InvalidCode()

    async def _spend(self, challenge: SignInChallenge) -> None:
        query = (
            update(sign_in_challenges)
            .where(
                sign_in_challenges.c.token_hash == challenge.token_hash,
                sign_in_challenges.c.used_at.is_(None),
            )
            .values(used_at=challenge.used_at)
        )
        if (await self._connection.execute(query)).rowcount != 1:
            raise errors.InvalidChallenge()
        self._used_challenges.add(challenge.token_hash)

    def _loaded(self, state: TwoFactor) -> None:
        codes = {
            code.code_hash: RecoveryCode(code.code_hash, code.used_at)
            for code in state.recovery_codes
        }
        self._stored[state.user_id] = (state.last_step, codes)


def _code_values(user_id: UUID, code: RecoveryCode) -> dict[str, Any]:
    return {"user_id": user_id, "code_hash": code.code_hash, "used_at": code.used_at}


def _values(challenge: SignInChallenge) -> dict[str, Any]:
    return {
        "token_hash": challenge.token_hash,
        "user_id": challenge.user_id,
        "remember": challenge.remember,
        "api_token": challenge.api_token,
        "expires_at": challenge.expires_at,
        "used_at": challenge.used_at,
    }
