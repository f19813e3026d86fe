"""Two administrators deactivating each other at the same moment leave one standing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from application import admin
from application.commands import Actor
from application.event_bus import EventBus
from domain import errors
from domain.roles import ADMIN
from infrastructure.clock import SystemClock
from infrastructure.db import migrations
from infrastructure.db.engine import make_engine
from infrastructure.db.tables import users
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from tests.conftest import empty_tables
from tests.integration.builders import a_user

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    await asyncio.to_thread(migrations.upgrade, postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    await empty_tables(engine)
    await engine.dispose()


async def test_racing_deactivations_of_the_last_two_admins_keep_one(
    pg_engine: AsyncEngine,
) -> None:
    first, second = a_user(), a_user()
    async with SqlAlchemyUnitOfWork(pg_engine, EventBus()) as uow:
        for user in (first, second):
            user.grant_role(ADMIN, now=user.created_at)
            uow.users.add(user)
        await uow.commit()

    async def deactivate(target: object, by: object) -> BaseException | None:
        try:
            await admin.deactivate_user(
                target.id,  # type: ignore[attr-defined]
                Actor(user_id=by.id, name="admin"),  # type: ignore[attr-defined]
                uow=SqlAlchemyUnitOfWork(pg_engine, EventBus()),
                clock=SystemClock(),
            )
        except errors.DomainError as error:
            return error
        return None

    outcomes = await asyncio.gather(deactivate(first, second), deactivate(second, first))

    refused = [o for o in outcomes if o is not None]
    assert len(refused) == 1
    assert isinstance(refused[0], errors.LastAdmin | errors.PermissionDenied)
    query = select(func.count()).select_from(users).where(users.c.active.is_(True))
    async with pg_engine.connect() as connection:
        assert (await connection.execute(query)).scalar_one() == 1
