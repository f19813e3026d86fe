"""The admin user search at scale: the exact SQL the repository sends is explained, and
every page and every prefix search must read users through an index, never a full scan.
PostgreSQL with 100 000 users, SQLite with 20 000."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from application.event_bus import EventBus
from infrastructure.db import migrations
from infrastructure.db.engine import make_engine
from infrastructure.db.tables import users
from infrastructure.db.unit_of_work import SqlAlchemyUnitOfWork
from tests.conftest import POSTGRES_URL, throwaway_postgres
from tests.integration.builders import PLACEHOLDER_HASH

PAGE = 26  # the use case asks for one more than the 25 it shows
CHUNK = 5_000
# (prefix, after): what an administrator's search can send, as casefolded keys; every
# one finds someone among the first 20 000 users.
SEARCHES = {
    "first page": ("", None),
    "a later page": ("", "member012345"),
    "a username prefix": ("member0121", None),
    # One user in ten (half of SQLite's): a guess that large once made PostgreSQL join
    # the matching ids back to a full scan of users.
    "a broad username prefix": ("member01", None),
    "an e-mail prefix": ("person.01217", None),
    "a later page of a username prefix": ("member0121", "member012104"),
}
PATTERN_INDEXES = {"ix_users_username_key_pattern", "ix_users_email_key_pattern"}
KEY_INDEXES = {"uq_users_username_key", "uq_users_email_key", *PATTERN_INDEXES}
INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
FILL_POSTGRES = text(
    """
    INSERT INTO users (id, username, username_key, email, email_key, password_hash,
                       first_name, last_name, active, created_at)
    SELECT gen_random_uuid(),
           'Member' || lpad(n::text, 6, '0'),
           'member' || lpad(n::text, 6, '0'),
           'Person.' || lpad(n::text, 6, '0') || '@example.com',
           'person.' || lpad(n::text, 6, '0') || '@example.com',
           :password_hash, '', '', n % 10 <> 0,
           now() - n * interval '1 second'
    FROM generate_series(1, :count) AS n
    """
)


async def captured_search(engine: AsyncEngine, prefix: str, after: str | None) -> tuple[str, Any]:
    """The statement and parameters of the users query ``search`` sends (a second one
    loads the roles of the users found)."""
    sent: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        sent.append((args[2], args[3]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with SqlAlchemyUnitOfWork(engine, EventBus()) as uow:
            found = await uow.users.search(prefix, after=after, limit=PAGE)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert found, f"the search {prefix!r} after {after!r} should find someone"
    [users_query] = [sent_one for sent_one in sent if "ORDER BY" in sent_one[0]]
    return users_query


async def explained(engine: AsyncEngine, explain: str, prefix: str, after: str | None) -> Any:
    statement, parameters = await captured_search(engine, prefix, after)
    async with engine.connect() as connection:
        result = await connection.exec_driver_sql(f"{explain} {statement}", parameters)
        return result.all()


# PostgreSQL


async def english_collation() -> str:
    """CREATE DATABASE options for an English ICU collation, under which a plain index
    cannot serve LIKE 'abc%' and only the varchar_pattern_ops ones can; none when the
    server has no ICU (or does not answer, which throwaway_postgres then reports)."""
    try:
        connection = await asyncpg.connect(
            POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=3
        )
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return ""
    try:
        version = int(await connection.fetchval("SHOW server_version_num"))
        icu = await connection.fetchval(
            "SELECT count(*) FROM pg_collation WHERE collname = 'en-x-icu'"
        )
    finally:
        await connection.close()
    if version < 150000 or not icu:
        return ""
    return "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en'"


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


async def postgres_plan(
    engine: AsyncEngine, prefix: str, after: str | None
) -> list[dict[str, Any]]:
    [(raw,)] = await explained(engine, "EXPLAIN (FORMAT JSON)", prefix, after)
    document = json.loads(raw) if isinstance(raw, str) else raw
    return list(plan_nodes(document[0]["Plan"]))


@pytest.mark.postgres
async def test_on_postgresql_every_search_reads_users_through_an_index_at_100k_users() -> None:
    collation = await english_collation()
    async with throwaway_postgres("gatehouse_scale", collation) as url:
        await asyncio.to_thread(migrations.upgrade, url)
        engine = make_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    FILL_POSTGRES, {"password_hash": PLACEHOLDER_HASH.value, "count": 100_000}
                )
                await connection.exec_driver_sql("ANALYZE users")
            plans = {
                name: await postgres_plan(engine, prefix, after)
                for name, (prefix, after) in SEARCHES.items()
            }
        finally:
            await engine.dispose()

    for name, nodes in plans.items():
        on_users = [node["Node Type"] for node in nodes if node.get("Relation Name") == "users"]
        assert on_users, (name, nodes)
        assert set(on_users) <= INDEX_SCANS, (name, on_users)
        used = {node.get("Index Name") for node in nodes}
        assert used & KEY_INDEXES, (name, used)
        if collation and SEARCHES[name][0]:
            # Under a non-C collation only the pattern_ops indexes can serve the prefix.
            assert used >= PATTERN_INDEXES, (name, used)


# SQLite


def sqlite_rows(count: int) -> Iterator[list[dict[str, Any]]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for first in range(1, count + 1, CHUNK):
        yield [
            {
                "id": uuid4(),
                "username": f"Member{n:06d}",
                "username_key": f"member{n:06d}",
                "email": f"Person.{n:06d}@example.com",
                "email_key": f"person.{n:06d}@example.com",
                "password_hash": PLACEHOLDER_HASH.value,
                "first_name": "",
                "last_name": "",
                "active": n % 10 != 0,
                "created_at": start + timedelta(seconds=n),
            }
            for n in range(first, min(first + CHUNK, count + 1))
        ]


async def test_on_sqlite_every_search_reads_users_through_an_index_at_20k_users(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'scale.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            for rows in sqlite_rows(20_000):
                await connection.execute(insert(users), rows)
            await connection.exec_driver_sql("ANALYZE")
        plans = {
            name: [row[3] for row in await explained(engine, "EXPLAIN QUERY PLAN", prefix, after)]
            for name, (prefix, after) in SEARCHES.items()
        }
    finally:
        await engine.dispose()

    for name, details in plans.items():
        on_users = [detail for detail in details if " users" in detail]
        assert on_users, (name, details)
        assert all("USING" in detail and "INDEX" in detail for detail in on_users), (name, details)
        if SEARCHES[name][0]:
            # Both halves of the UNION are index ranges, not scans filtered by the prefix.
            for key in ("username_key", "email_key"):
                assert [d for d in on_users if f"({key}>? AND {key}<?)" in d], (name, details)
