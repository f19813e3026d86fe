"""What every ``gatehouse`` command shares: the settings, the use cases run against the
configured database, and every mistake said in one line with exit status 1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from pydantic import BaseModel, ValidationError

from application.commands import Actor
from application.services import Services
from domain import errors
from infrastructure.db import migrations
from infrastructure.db.errors import database_problem
from infrastructure.settings import Settings, SettingsError, load_settings, masked_url
from web.bootstrap import build_runtime

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
SYSTEM = Actor.system("cli")


def settings_or_exit() -> Settings:
    """The settings, or their one-line error and exit status 1."""
    try:
        return load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def run_with_services(settings: Settings, use: Callable[[Services], Awaitable[T]]) -> T:
    """Run one use case against the configured database, closing it afterwards."""

    async def main() -> T:
        runtime = build_runtime(settings)
        try:
            return await use(runtime.services)
        finally:
            await runtime.close()

    return asyncio.run(main())


class Gatehouse(click.Group):
    """The command group in which every mistake, from a mistyped option to a database
    that does not answer, is one line on stderr and exit status 1; a traceback is left
    for a bug."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with one_line_mistakes():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with one_line_mistakes():
            return super().invoke(ctx)


@contextmanager
def one_line_mistakes() -> Iterator[None]:
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # a bare group shows its help
    except click.UsageError as error:
        said = error.format_message().rstrip()
        said += "" if said.endswith((".", "?")) else "."
        where = f" See '{error.ctx.command_path} --help'." if error.ctx else ""
        raise click.ClickException(f"{said}{where}") from None
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except migrations.MigrationError as error:
        raise click.ClickException(str(error)) from None
    except Exception as error:
        line = mistake(error)
        if line is None:
            raise  # a bug: its traceback is what helps
        raise click.ClickException(line) from None


def mistake(error: Exception) -> str | None:
    """The line saying what went wrong, or None when ``error`` is no known mistake."""
    if isinstance(error, errors.InvalidFields):
        return " ".join(problem.message for problem in error.problems)
    if isinstance(error, errors.DomainError) and not isinstance(error, errors.ServiceUnavailable):
        return error.message
    problem = database_problem(error)
    if problem is not None:
        return f"Cannot use the database at {database_in_use()}: {problem}."
    if isinstance(error, errors.DomainError):
        return error.message
    return None


def database_in_use() -> str:
    try:
        return masked_url(load_settings().effective_database_url)
    except SettingsError:
        return "DATABASE_URL"


def parsed(model: type[M], **values: object) -> M:
    """The command, or a one-line error naming the first value that does not fit."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        raise click.ClickException(f"{first['loc'][0]}: {first['msg']}") from None
