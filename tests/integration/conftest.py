"""Fixtures of the integration tests: units of work on the real databases, recorded events."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from application.event_bus import EventBus
from domain import events
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture
def new_uow(clean_engine: AsyncEngine, bus: EventBus) -> UowFactory:
    """Makes a fresh unit of work on the test's database, publishing to ``bus``."""
    return lambda: SqlAlchemyUnitOfWork(clean_engine, bus)


@pytest.fixture
def published(bus: EventBus) -> list[events.Event]:
    """Every event ``bus`` publishes during the test, in order."""
    received: list[events.Event] = []

    async def record(event: events.Event) -> None:
        received.append(event)

    bus.subscribe(events.Event, record)
    return received
