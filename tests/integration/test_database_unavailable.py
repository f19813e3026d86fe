"""An unreachable database is ServiceUnavailable, promptly, never a driver error."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from application.event_bus import EventBus
from domain import errors
from infrastructure.db.engine import make_engine
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.builders import a_user
from tests.integration.conftest import UowFactory

PROMPTLY_S = 10
UNREACHABLE = {
    # Nothing listens on port 1: the connection is refused at once.
    "postgres": "postgresql+asyncpg://postgres@127.0.0.1:1/x",
    # A file in a folder that does not exist cannot be opened.
    "sqlite": "sqlite+aiosqlite:////nonexistent-gatehouse-folder/missing/gatehouse.db",
}


@pytest.fixture(params=sorted(UNREACHABLE))
async def unreachable_engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(UNREACHABLE[request.param])
    yield engine
    await engine.dispose()


async def test_entering_a_unit_of_work_on_an_unreachable_database_is_service_unavailable(
    unreachable_engine: AsyncEngine,
) -> None:
    started = time.monotonic()

    with pytest.raises(errors.ServiceUnavailable):
        async with SqlAlchemyUnitOfWork(unreachable_engine, EventBus()):
            pytest.fail("the block must not run without a database")

    assert time.monotonic() - started < PROMPTLY_S


async def test_a_unit_of_work_can_be_tried_again_after_the_database_was_unreachable(
    unreachable_engine: AsyncEngine,
) -> None:
    uow = SqlAlchemyUnitOfWork(unreachable_engine, EventBus())
    for _ in range(2):
        with pytest.raises(errors.ServiceUnavailable):
            async with uow:
                uow.users.add(a_user())


@contextmanager
def checked_out_connections(engine: AsyncEngine) -> Iterator[list[Any]]:
    """The driver connections (asyncpg's or aiosqlite's) handed out while the block runs."""
    handed_out: list[Any] = []

    def record(dbapi_connection: Any, *_: Any) -> None:
        handed_out.append(dbapi_connection.driver_connection)

    event.listen(engine.sync_engine, "checkout", record)
    try:
        yield handed_out
    finally:
        event.remove(engine.sync_engine, "checkout", record)


@pytest.mark.parametrize("step", ["read", "commit"])
async def test_a_connection_lost_mid_transaction_is_service_unavailable_then_recovers(
    new_uow: UowFactory, clean_engine: AsyncEngine, step: str
) -> None:
    user = a_user()
    with (
        pytest.raises(errors.ServiceUnavailable),
        checked_out_connections(clean_engine) as handed_out,
    ):
        async with new_uow() as uow:
            [driver_connection] = handed_out
            await driver_connection.close()
            if step == "read":
                await uow.users.get(user.id)
            uow.users.add(user)
            await uow.commit()

    async with new_uow() as uow:
        assert await uow.users.get(user.id) is None
        uow.users.add(user)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.users.get(user.id) is not None
