"""Async engines for SQLite (aiosqlite) and PostgreSQL (asyncpg), made from settings."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    pool_timeout: float = 5,
    connect_timeout: float = 5,
    statement_timeout: float = 30,
) -> AsyncEngine:
    """An engine whose every wait is bounded: a lost database answers ServiceUnavailable
    within the timeouts instead of hanging, and pre-ping recovers once it is back."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        pool_timeout=pool_timeout,
        connect_args={"timeout": connect_timeout, "command_timeout": statement_timeout},
    )


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """Foreign keys on; WAL so readers never wait for a writer; wait rather than fail
    when another connection holds the write lock."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
