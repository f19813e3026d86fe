"""The ``gatehouse`` command: serve, migrate and manage accounts through the use cases."""

from __future__ import annotations

import asyncio
import code
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from pydantic import ValidationError
from quart import Quart

from application.commands import CreateUser, ListUsers
from application.services import Services
from domain import errors
from infrastructure.db import migrations
from infrastructure.logs import configure_logging
from infrastructure.settings import Settings, SettingsError, load_settings
from web.app import create_app
from web.bootstrap import build_runtime

T = TypeVar("T")


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def app_from_environment() -> Quart:
    """The app as ``hypercorn web.asgi:app`` serves it: settings from the environment."""
    try:
        settings = load_settings()
    except SettingsError as error:
        raise SystemExit(f"gatehouse: {error}") from None
    configure_logging(level=settings.log_level, json_lines=settings.effective_log_format == "json")
    return create_app(settings)


def run_with_services(settings: Settings, use: Callable[[Services], Awaitable[T]]) -> T:
    """Run one use case against the configured database, closing it afterwards."""

    async def main() -> T:
        runtime = build_runtime(settings)
        try:
            return await use(runtime.services)
        finally:
            await runtime.close()

    try:
        return asyncio.run(main())
    except errors.DomainError as error:
        raise click.ClickException(error.message) from None


@click.group()
def main() -> None:
    """Gatehouse: user accounts, sign-in and a members area."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app with hypercorn."""
    from hypercorn.config import Config
    from hypercorn.run import run

    settings = settings_or_exit()
    migrations.ensure_sqlite_folder(settings.effective_database_url)
    config = Config()
    config.application_path = "web.asgi:app"
    config.bind = [f"{host}:{port}"]
    config.workers = workers
    config.graceful_timeout = 10
    click.echo(f"Gatehouse ({settings.env}) on http://{host}:{port}/")
    raise SystemExit(run(config))


@main.group()
def db() -> None:
    """Database migrations."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    url = settings_or_exit().effective_database_url
    migrations.ensure_sqlite_folder(url)
    migrations.upgrade(url, revision)


@db.command()
@click.argument("revision", default="-1")
def downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (default: one step back)."""
    migrations.downgrade(settings_or_exit().effective_database_url, revision)


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.argument("username")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Grant the admin role.")
def create_user(username: str, email: str, admin: bool) -> None:
    """Create an active account; the password is asked for twice, never passed."""
    password: str = click.prompt(
        "Password", hide_input=True, confirmation_prompt="Repeat the password"
    )
    try:
        cmd = CreateUser(
            username=username,
            email=email,
            password=password,
            roles=frozenset({"admin"} if admin else set()),
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise click.ClickException(f"{first['loc'][0]}: {first['msg']}") from None
    user = run_with_services(settings_or_exit(), lambda s: s.create_user(cmd))
    roles = ", ".join(user.roles) or "no roles"
    click.echo(f"Created {user.username} <{user.email}> ({roles}).")


@users.command("list")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--per-page", default=50, show_default=True, type=click.IntRange(1, 100))
def list_users(page: int, per_page: int) -> None:
    """List accounts, active or not, by username."""
    query = ListUsers(page=page, per_page=per_page)
    found = run_with_services(settings_or_exit(), lambda s: s.list_users(query))
    for user in found:
        state = "active" if user.active else "inactive"
        roles = ",".join(user.roles) or "-"
        click.echo(f"{user.username:<25} {user.email:<40} {state:<8} {roles}")
    if not found:
        click.echo("No users.")


@main.command()
def shell() -> None:
    """A Python prompt with the settings and a services builder at hand."""
    settings = settings_or_exit()
    banner = "settings, build_runtime(settings) -> runtime.services; use asyncio.run(...)"
    code.interact(banner=banner, local={"settings": settings, "build_runtime": build_runtime})


if __name__ == "__main__":
    main()
