"""The outbox table on both backends: written in the change's own transaction, read
oldest first and emptied by the relay; two relays at once are harmless."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.caching import ReadCache
from application.outbox import Relay
from infrastructure.cache import MemoryCache
from infrastructure.db.outbox import SqlAlchemyPendingInvalidations
from infrastructure.db.tables import cache_outbox
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory


class Boom(Exception):
    """Raised inside a unit of work by the tests."""


async def messages(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            (await connection.execute(select(func.count()).select_from(cache_outbox))).scalar_one()
        )


async def test_a_committed_change_and_its_invalidation_are_stored_together(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    user = a_user()
    async with new_uow() as uow:
        uow.users.add(user)
        await uow.commit()
    [pending] = await SqlAlchemyPendingInvalidations(clean_engine).oldest(10)
    assert (pending.user_id, pending.members) == (user.id, True)


async def test_a_change_rolled_back_leaves_no_invalidation(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    try:
        async with new_uow() as uow:
            uow.users.add(a_user())
            await uow.users.flush()
            raise Boom
    except Boom:
        pass
    assert await messages(clean_engine) == 0


class CountingCache(MemoryCache):
    def __init__(self) -> None:
        super().__init__(100)
        self.writes = 0

    async def write(self, values: Mapping[str, str], *, ttl: float) -> None:
        self.writes += 1
        await super().write(values, ttl=ttl)


async def test_relays_of_two_processes_deliver_everything_and_leave_nothing_behind(
    new_uow: UowFactory, clean_engine: AsyncEngine
) -> None:
    users = [a_user() for _ in range(30)]
    for user in users:
        async with new_uow() as uow:
            uow.users.add(user)
            await uow.commit()
    caches = [CountingCache(), CountingCache()]
    relays = [
        Relay(SqlAlchemyPendingInvalidations(clean_engine), ReadCache(cache, ttl=60).deliver)
        for cache in caches
    ]
    delivered = await asyncio.gather(*(relay.deliver_pending() for relay in relays))
    assert sum(delivered) >= len(users)
    assert await messages(clean_engine) == 0
    for user in users:
        assert any([await cache.get(f"user:{user.id}") == "-" for cache in caches])
