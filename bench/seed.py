"""Benchmark databases: created empty, migrated, and filled with users in bulk.

Rows go straight into the project's own ``users`` table, in batches, all sharing one
password hash made once by the project's hasher (hashing 100 000 passwords would take
hours). The first ``SIGN_IN_ACCOUNTS`` users are the ones the benchmark signs in as.

    python -m bench.seed --database-url sqlite+aiosqlite:///bench.db --users 1000
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from passlib.context import CryptContext
from sqlalchemy import func, insert, select, text

from infrastructure.db import migrations
from infrastructure.db.engine import make_engine
from infrastructure.db.tables import users
from infrastructure.passwords import make_context

PASSWORD = "gatehouse bench 2026"  # noqa: S105 (the seeded accounts' known password)
SIGN_IN_ACCOUNTS = 16
REVOCATION_FIRST = SIGN_IN_ACCOUNTS + 2  # after the member and the program of the scenarios
BATCH = 5_000
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def username(number: int) -> str:
    return f"bench{number:06d}"


def sign_in_logins(count: int = SIGN_IN_ACCOUNTS) -> list[str]:
    """The usernames the benchmark signs in with (seeded first, so always present)."""
    return [username(number) for number in range(count)]


def revocation_logins(users: int, count: int) -> list[str]:
    """The usernames the revocation samples sign in and out with: up to ``count`` of the
    ``users`` seeded, none of those the other scenarios use."""
    return [
        username(number) for number in range(REVOCATION_FIRST, min(users, REVOCATION_FIRST + count))
    ]


def password_hash(context: CryptContext | None = None) -> str:
    """``PASSWORD`` hashed once by the production hasher (or by ``context``)."""
    return str((context or make_context()).hash(PASSWORD))


def user_row(number: int, hashed: str) -> dict[str, Any]:
    """One active member; later numbers joined later, so the last page shows the newest."""
    name = username(number)
    return {
        "id": uuid.uuid4(),
        "username": name,
        "username_key": name,
        "email": f"{name}@example.com",
        "email_key": f"{name}@example.com",
        "password_hash": hashed,
        "first_name": "Bench",
        "last_name": f"Member {number}",
        "active": True,
        "created_at": EPOCH + timedelta(seconds=number),
        "last_login_at": None,
    }


async def seed_users(url: str, *, first: int, count: int, hashed: str) -> None:
    """Insert users ``first`` .. ``first + count - 1`` in batches of ``BATCH`` rows, then
    refresh the planner's statistics, as a database in service would have them."""
    engine = make_engine(url)
    try:
        for start in range(first, first + count, BATCH):
            stop = min(start + BATCH, first + count)
            async with engine.begin() as connection:
                await connection.execute(
                    insert(users), [user_row(n, hashed) for n in range(start, stop)]
                )
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def count_users(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(users))).one()[0])
    finally:
        await engine.dispose()


def fresh_sqlite(path: Path) -> str:
    """A new, migrated SQLite file at ``path`` (an old one is removed)."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite+aiosqlite:///{path.resolve()}"
    migrations.upgrade(url)
    return url


def fresh_postgres(url: str) -> str:
    """Drop and recreate the database ``url`` names (through the server's ``postgres``
    database), then migrate it."""
    asyncio.run(_recreate_postgres(url))
    migrations.upgrade(url)
    return url


async def _recreate_postgres(url: str) -> None:
    base, _, name = url.rpartition("/")
    if not name.replace("_", "").isalnum():
        raise ValueError(f"use a plain database name, not {name!r}")
    engine = make_engine(f"{base}/postgres")
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


async def server_answers(url: str) -> None:
    """Raise unless the PostgreSQL server of ``url`` accepts a connection."""
    base, _, _ = url.rpartition("/")
    engine = make_engine(f"{base}/postgres", connect_timeout=5)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Seed a migrated database with users.")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--first", type=int, default=0, help="number of the first new user")
    args = parser.parse_args(argv)
    migrations.upgrade(args.database_url)
    asyncio.run(
        seed_users(args.database_url, first=args.first, count=args.users, hashed=password_hash())
    )
    print(f"{args.users} users seeded; sign in as {username(0)} / {PASSWORD!r}")


if __name__ == "__main__":
    main()
