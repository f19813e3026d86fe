"""Alembic environment: one async env for SQLite and PostgreSQL, URL from the settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from infrastructure.db.engine import make_engine
from infrastructure.db.tables import metadata
from infrastructure.settings import load_settings

config = context.config
# Keep the logging of a host that already set it up (the app, the test runner).
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else load_settings().effective_database_url


def for_dialect(name: str) -> Callable[..., bool]:
    """Leave out of comparisons the indexes meant for another database (``ddl_if``)."""

    def include(obj: object, _name: object, kind: str, reflected: bool, _other: object) -> bool:
        only = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        return kind != "index" or reflected or only is None or only == name

    return include


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=for_dialect(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = make_engine(database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_online())
