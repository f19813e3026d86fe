"""The composition root: the one place that picks adapters and wires them to use cases."""

from __future__ import annotations

from dataclasses import dataclass

from quart_rate_limiter.store import RateLimiterStoreABC
from redis import asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from application.event_bus import EventBus
from application.handlers import subscribe_defaults
from application.services import Services
from domain import events
from domain.ports import LoginThrottle
from domain.sessions import SessionPolicy
from infrastructure.clock import SystemClock
from infrastructure.db.engine import make_engine
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from infrastructure.passwords import PasslibPasswordHasher, make_context
from infrastructure.rate_limits import GuardedRedisStore, PruningMemoryStore
from infrastructure.redis_guard import RedisGuard, make_redis
from infrastructure.settings import Settings
from infrastructure.throttle import MemoryLoginThrottle, RedisLoginThrottle


@dataclass(frozen=True)
class Runtime:
    """The wired services and the resources that must be closed when serving stops."""

    services: Services
    rate_limit_store: RateLimiterStoreABC
    engine: AsyncEngine
    redis: aioredis.Redis | None = None

    async def close(self) -> None:
        await self.engine.dispose()
        if self.redis is not None:
            await self.redis.aclose()


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle_timeout=settings.session_idle_timeout, lifetime=settings.session_lifetime
    )


def build_runtime(settings: Settings) -> Runtime:
    engine = make_engine(settings.effective_database_url)
    redis = make_redis(settings.redis_url) if settings.redis_url else None
    guard = RedisGuard(redis) if redis is not None else None
    bus = EventBus()
    subscribe_defaults(bus)
    services = Services(
        uow_factory=lambda: SqlAlchemyUnitOfWork(engine, bus),
        hasher=PasslibPasswordHasher(make_context(fast=settings.env == "test")),
        clock=SystemClock(),
        bus=bus,
        throttle=login_throttle(settings, guard),
        session_policy=session_policy(settings),
    )
    bus.subscribe(events.UserDeactivated, services.end_all_sessions)
    store: RateLimiterStoreABC = PruningMemoryStore()
    if guard is not None:
        store = GuardedRedisStore(guard, PruningMemoryStore())
    return Runtime(services=services, rate_limit_store=store, engine=engine, redis=redis)


def login_throttle(settings: Settings, guard: RedisGuard | None) -> LoginThrottle:
    memory = MemoryLoginThrottle(
        max_failures=settings.signin_failure_limit, window=settings.signin_failure_window
    )
    if guard is None:
        return memory
    return RedisLoginThrottle(
        guard,
        memory,
        max_failures=settings.signin_failure_limit,
        window=settings.signin_failure_window,
    )
