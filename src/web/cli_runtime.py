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

    with database_used(settings.effective_database_url):
        return asyncio.run(main())


@contextmanager
def database_used(url: str) -> Iterator[None]:
    """Say in one line why the database at ``url`` could not be used (refused, unknown
    host or database, no tables yet), naming it with its password masked."""
    try:
        yield
    except (click.ClickException, migrations.MigrationError):
        raise
    except Exception as error:
        # A domain error says what it means itself, unless the database was missing.
        told = isinstance(error, errors.DomainError)
        problem = database_problem(error)
        if problem is None or (told and not isinstance(error, errors.ServiceUnavailable)):
            raise
        where = masked_url(url)
        raise click.ClickException(f"Cannot use the database at {where}: {problem}.") from None


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
        line = error.format_message().rstrip()
        line += "" if line.endswith((".", "?")) else "."
        where = f" See '{error.ctx.command_path} --help'." if error.ctx else ""
        raise click.ClickException(f"{line}{where}") from None
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except migrations.MigrationError as error:
        raise click.ClickException(str(error)) from None
    except errors.DomainError as error:
        raise click.ClickException(message(error)) from None


def message(error: errors.DomainError) -> str:
    """A domain error's message; each field's, when several were wrong at once."""
    if isinstance(error, errors.InvalidFields):
        return " ".join(problem.message for problem in error.problems)
    return error.message


def parsed(model: type[M], **values: object) -> M:
    """The command, or a one-line error naming the first value that does not fit."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        raise click.ClickException(f"{first['loc'][0]}: {first['msg']}") from None
