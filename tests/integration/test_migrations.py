"""The Alembic migrations on fresh databases of both backends, and no drift from tables.py."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from infrastructure.db import migrations
from infrastructure.db.engine import make_engine
from infrastructure.db.tables import metadata, roles

APP_TABLES = {"users", "roles", "user_roles"}


def _schema(connection: Connection) -> tuple[set[str], set[str]]:
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    indexes = {ix["name"] for table in tables & APP_TABLES for ix in inspector.get_indexes(table)}
    return tables, {name for name in indexes if name}


async def schema_of(url: str) -> tuple[set[str], set[str], list[str]]:
    """The tables, named indexes and role names the database holds now."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            tables, indexes = await connection.run_sync(_schema)
            role_names: list[str] = []
            if "roles" in tables:
                rows = await connection.execute(select(roles.c.name))
                role_names = list(rows.scalars())
    finally:
        await engine.dispose()
    return tables, indexes, role_names


async def upgrade(url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, url, "head")


async def downgrade(url: str) -> None:
    await asyncio.to_thread(migrations.downgrade, url, "base")


async def test_upgrade_to_head_creates_the_tables_indexes_and_admin_role(
    fresh_database_url: str,
) -> None:
    await upgrade(fresh_database_url)

    tables, indexes, role_names = await schema_of(fresh_database_url)
    assert tables >= APP_TABLES
    assert tables == {*metadata.tables, "alembic_version"}
    assert {"ix_users_active_created_at", "ix_user_roles_role_id"} <= indexes
    assert role_names == ["admin"]


async def test_downgrade_to_base_removes_the_tables(fresh_database_url: str) -> None:
    await upgrade(fresh_database_url)

    await downgrade(fresh_database_url)

    tables, _, _ = await schema_of(fresh_database_url)
    assert tables & APP_TABLES == set()


async def test_upgrade_after_a_downgrade_builds_everything_again(fresh_database_url: str) -> None:
    await upgrade(fresh_database_url)
    await downgrade(fresh_database_url)

    await upgrade(fresh_database_url)

    tables, _, role_names = await schema_of(fresh_database_url)
    assert tables >= APP_TABLES
    assert role_names == ["admin"]


async def test_upgrading_an_up_to_date_database_changes_nothing(fresh_database_url: str) -> None:
    await upgrade(fresh_database_url)
    before = await schema_of(fresh_database_url)

    await upgrade(fresh_database_url)

    assert await schema_of(fresh_database_url) == before


async def test_the_migrations_match_the_tables_module(fresh_database_url: str) -> None:
    await upgrade(fresh_database_url)

    await asyncio.to_thread(migrations.check, fresh_database_url)
