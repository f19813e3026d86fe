"""Shared fixtures: real databases (a SQLite file and a throwaway PostgreSQL database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import delete, event
from sqlalchemy.ext.asyncio import AsyncEngine

from application.event_bus import EventBus
from infrastructure.db import migrations
from infrastructure.db.engine import make_engine
from infrastructure.db.tables import (
    audit_events,
    cache_outbox,
    invitations,
    recovery_codes,
    roles,
    sessions,
    sign_in_challenges,
    two_factor,
    two_factor_pending,
    user_roles,
    users,
)
from tests.redis_server import RedisServer, throwaway_redis
from web import assets

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
POSTGRES_REQUIRED = os.environ.get("GATEHOUSE_REQUIRE_POSTGRES") == "1"
REDIS_REQUIRED = os.environ.get("GATEHOUSE_REQUIRE_REDIS") == "1"


@pytest.fixture(scope="session", autouse=True)
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The static files built once, as `gatehouse assets` does, into a folder of the test
    session; every app and server the tests start finds them through STATIC_ROOT."""
    root = tmp_path_factory.mktemp("static")
    assets.build(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STATIC_ROOT", str(root))
        yield root


def unique_name(prefix: str = "user") -> str:
    """A fresh username for one test (at most 25 characters)."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


async def _postgres_reachable(url: str) -> bool:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        connection = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


async def _admin_execute(sql: str) -> None:
    dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def throwaway_postgres(prefix: str, options: str = "") -> AsyncIterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; skipped (or failed, when
    PostgreSQL is required) if no server answers. ``options`` end its CREATE DATABASE
    (a template and a collation, say)."""
    if not await _postgres_reachable(POSTGRES_URL):
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}"
        if POSTGRES_REQUIRED:
            pytest.fail(message + " (GATEHOUSE_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin_execute(f'CREATE DATABASE "{name}" {options}')
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def empty_tables(engine: AsyncEngine) -> None:
    """Remove every session, audit entry, outbox message, invitation, user and role but
    the built-in one."""
    async with engine.begin() as connection:
        await connection.execute(delete(invitations))
        await connection.execute(delete(audit_events))
        await connection.execute(delete(cache_outbox))
        await connection.execute(delete(sessions))
        await connection.execute(delete(sign_in_challenges))
        await connection.execute(delete(two_factor_pending))
        await connection.execute(delete(recovery_codes))
        await connection.execute(delete(two_factor))
        await connection.execute(delete(user_roles))
        await connection.execute(delete(users))
        await connection.execute(delete(roles).where(roles.c.name != "admin"))


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A PostgreSQL database for this test session."""
    async with throwaway_postgres("gatehouse_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "gatehouse.db"
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def migrated_url(request: pytest.FixtureRequest) -> str:
    """Each backend in turn, migrated to head once per session.

    Synchronous on purpose: resolving the async ``postgres_url`` fixture, and Alembic's
    own ``asyncio.run``, both need to happen outside the running event loop."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(migrated_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def clean_engine(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The session's engine; every row but the built-in role is removed afterwards."""
    yield engine
    await empty_tables(engine)


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty, unmigrated database of each backend for one test, removed afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    async with throwaway_postgres("gatehouse_fresh") as url:
        yield url


@contextmanager
def statements_on(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements sent through ``engine`` while the block runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, to stop, pause and restart; skipped (or failed,
    when Redis is required) if none is installed."""
    with throwaway_redis(tmp_path) as server:
        yield server


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    """Whatever a test opens (apps, clients), closed in reverse order afterwards."""
    async with AsyncExitStack() as opened:
        yield opened
