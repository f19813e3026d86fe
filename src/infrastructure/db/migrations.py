"""Running the Alembic migrations from code (the CLI and the tests).

Alembic is imported only when a migration command runs: a serving process never
needs it, and it costs every worker about 11 MB.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from infrastructure.db.engine import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[3]


class MigrationError(Exception):
    """A migration command that cannot do what it was asked; the message is one line."""


def alembic_config(database_url: str) -> Config:
    """The project's alembic.ini, aimed at ``database_url``."""
    from alembic.config import Config

    logging.getLogger("alembic.runtime.migration").addFilter(_what_changed)
    ini = Path(os.environ.get("ALEMBIC_CONFIG", PROJECT_ROOT / "alembic.ini"))
    if not ini.exists():
        ini = Path.cwd() / "alembic.ini"
    config = Config(str(ini))
    config.set_main_option("script_location", str(ini.parent / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config(database_url)
    with _plain_errors(config, revision):
        command.upgrade(config, revision)


def downgrade(database_url: str, revision: str = "-1") -> None:
    from alembic import command

    config = alembic_config(database_url)
    with _plain_errors(config, revision):
        command.downgrade(config, revision)


def check(database_url: str) -> None:
    """Raise when the tables and the migrations disagree."""
    from alembic import command

    command.check(alembic_config(database_url))


def revisions(database_url: str) -> list[str]:
    """Every revision of the project, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(database_url))
    return [found.revision for found in reversed(list(script.walk_revisions()))]


def current_revision(database_url: str) -> str | None:
    """The revision the database is at; None when it has none (no tables yet)."""
    from alembic.runtime.migration import MigrationContext

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async def main() -> str | None:
        engine = make_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _what_changed(record: logging.LogRecord) -> bool:
    """Alembic's notes on every connection (which dialect, whether DDL is transactional)
    tell an operator nothing; the steps it runs and what they did do."""
    return not record.getMessage().startswith(("Context impl", "Will assume"))


@contextmanager
def _plain_errors(config: Config, revision: str) -> Iterator[None]:
    """Alembic's refusals (an unknown revision, a step too far) as one MigrationError
    line that says which revisions there are."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        yield
    except CommandError as error:
        ids = [found.revision for found in ScriptDirectory.from_config(config).walk_revisions()]
        choices = f"head, base, {ids[-1]} to {ids[0]}, or a step such as -1" if ids else "head"
        said = str(error).strip().splitlines()[0]
        if said == f"Can't locate revision identified by {revision!r}":
            said = f"There is no revision {revision!r}"
        raise MigrationError(f"{said}: use {choices}.") from None


def ensure_sqlite_folder(database_url: str) -> None:
    """Create the folder of a SQLite file so the first upgrade can make it."""
    prefix = "sqlite+aiosqlite:///"
    if database_url.startswith(prefix):
        Path(database_url.removeprefix(prefix)).parent.mkdir(parents=True, exist_ok=True)
