"""The composition root: the one place that picks adapters and wires them to use cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from application.event_bus import EventBus
from application.handlers import subscribe_defaults
from application.services import Services
from infrastructure.clock import SystemClock
from infrastructure.db.engine import make_engine
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from infrastructure.passwords import PasslibPasswordHasher, make_context
from infrastructure.settings import Settings


@dataclass(frozen=True)
class Runtime:
    """The wired services and the resources that must be closed when serving stops."""

    services: Services
    engine: AsyncEngine

    async def close(self) -> None:
        await self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    engine = make_engine(settings.effective_database_url)
    bus = EventBus()
    subscribe_defaults(bus)
    services = Services(
        uow_factory=lambda: SqlAlchemyUnitOfWork(engine, bus),
        hasher=PasslibPasswordHasher(make_context(fast=settings.env == "test")),
        clock=SystemClock(),
        bus=bus,
    )
    return Runtime(services=services, engine=engine)
