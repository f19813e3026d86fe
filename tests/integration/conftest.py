"""Fixtures of the integration tests: units of work on the real databases, recorded events,
counted SQL statements and a client of the real Redis."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis import asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncEngine

from application.event_bus import EventBus
from domain import events
from infrastructure.db import migrations
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from infrastructure.redis_guard import make_redis

UowFactory = Callable[[], SqlAlchemyUnitOfWork]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_REQUIRED = os.environ.get("GATEHOUSE_REQUIRE_REDIS") == "1"


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


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    """A client of the real Redis; skipped (or failed, when Redis is required) if no
    server answers."""
    client = make_redis(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError, TimeoutError) as error:
        await client.aclose()
        message = f"Redis is not reachable at {REDIS_URL} ({error})"
        if REDIS_REQUIRED:
            pytest.fail(message + " (GATEHOUSE_REQUIRE_REDIS=1)")
        pytest.skip(message)
    yield client
    await client.aclose()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a ``gatehouse`` command on a migrated SQLite file of its own."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "GATEHOUSE_ENV": "test"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    migrations.upgrade(url)
    return env
