"""Running the Alembic migrations from code (the CLI and the tests).

Alembic is imported only when a migration command runs: a serving process never
needs it, and it costs every worker about 11 MB.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def alembic_config(database_url: str) -> Config:
    """The project's alembic.ini, aimed at ``database_url``."""
    from alembic.config import Config

    ini = Path(os.environ.get("ALEMBIC_CONFIG", PROJECT_ROOT / "alembic.ini"))
    if not ini.exists():
        ini = Path.cwd() / "alembic.ini"
    config = Config(str(ini))
    config.set_main_option("script_location", str(ini.parent / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "-1") -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise when the tables and the migrations disagree."""
    from alembic import command

    command.check(alembic_config(database_url))


def ensure_sqlite_folder(database_url: str) -> None:
    """Create the folder of a SQLite file so the first upgrade can make it."""
    prefix = "sqlite+aiosqlite:///"
    if database_url.startswith(prefix):
        Path(database_url.removeprefix(prefix)).parent.mkdir(parents=True, exist_ok=True)
