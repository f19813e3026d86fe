"""The trusted-browser repository over Core tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.repositories import TrustedBrowserRepository
from domain.trusted_browsers import TrustedBrowser
from infrastructure.db.tables import trusted_browsers
from infrastructure.db.tracking import Snapshots


class SqlAlchemyTrustedBrowserRepository(TrustedBrowserRepository):
    """Inserts new browsers and writes the last use and forgetting of changed ones."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__()
        self._connection = connection
        self._new: list[TrustedBrowser] = []
        self._snapshots: Snapshots[UUID] = Snapshots()

    def _add(self, browser: TrustedBrowser) -> None:
        self._new.append(browser)

    async def _get(self, browser_id: UUID) -> TrustedBrowser | None:
        return await self._one(select(trusted_browsers).where(trusted_browsers.c.id == browser_id))

    async def _get_by_token(self, token_hash: str) -> TrustedBrowser | None:
        query = select(trusted_browsers).where(trusted_browsers.c.token_hash == token_hash)
        return await self._one(query)

    async def _list_for_user(self, user_id: UUID) -> list[TrustedBrowser]:
        query = (
            select(trusted_browsers)
            .where(trusted_browsers.c.user_id == user_id, trusted_browsers.c.revoked_at.is_(None))
            .order_by(trusted_browsers.c.created_at.desc())
        )
        rows = (await self._connection.execute(query)).all()
        return [self._loaded(TrustedBrowser(**row._mapping)) for row in rows]

    async def remove_stale(self, user_id: UUID, *, now: datetime) -> None:
        await self._connection.execute(
            delete(trusted_browsers).where(
                trusted_browsers.c.user_id == user_id,
                or_(trusted_browsers.c.expires_at < now, trusted_browsers.c.revoked_at < now),
            )
        )

    async def _one(self, query: Select[Any]) -> TrustedBrowser | None:
        row = (await self._connection.execute(query)).first()
        return None if row is None else self._loaded(TrustedBrowser(**row._mapping))

    async def flush(self) -> None:
        for browser in self._new:
            await self._connection.execute(insert(trusted_browsers).values(**_values(browser)))
            self._loaded(browser)
        self._new.clear()
        for browser in self.seen.values():
            if changed := self._snapshots.changes(browser.id, _mutable(browser)):
                query = (
                    update(trusted_browsers)
                    .where(trusted_browsers.c.id == browser.id)
                    .values(**changed)
                )
                await self._connection.execute(query)
                self._loaded(browser)

    def _loaded(self, browser: TrustedBrowser) -> TrustedBrowser:
        self._snapshots.keep(browser.id, _mutable(browser))
        return browser


def _mutable(browser: TrustedBrowser) -> dict[str, Any]:
    return {"last_used_at": browser.last_used_at, "revoked_at": browser.revoked_at}


def _values(browser: TrustedBrowser) -> dict[str, Any]:
    return {column.name: getattr(browser, column.name) for column in trusted_browsers.c}
