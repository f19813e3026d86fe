"""The ``gatehouse`` command: serve, migrate and manage accounts through the use cases."""

from __future__ import annotations

import asyncio
import code
import gc
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import click
from hypercorn.config import Config as HypercornConfig
from pydantic import BaseModel, ValidationError
from quart import Quart

from application.commands import Actor, CreateUser, DefineRole, RoleChange, SearchUsers
from application.results import UserDetail
from application.services import Services
from domain import errors
from domain.roles import ADMIN
from infrastructure.db import migrations
from infrastructure.logs import configure_logging
from infrastructure.settings import Settings, SettingsError, describe, load_settings
from web import assets, drain, rendering
from web import workers as workers_module
from web.app import create_app
from web.bootstrap import build_runtime

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
SYSTEM = Actor.system("cli")


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def app_from_environment() -> Quart:
    """The app as ``hypercorn web.asgi:app`` serves it: settings from the environment."""
    try:
        settings = load_settings()
        configure_logging(
            level=settings.log_level, json_lines=settings.effective_log_format == "json"
        )
        return create_app(settings)
    except (SettingsError, assets.AssetsError) as error:
        raise SystemExit(f"gatehouse: {error}") from None


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
@click.option(
    "--config",
    "config_path",
    default="hypercorn.toml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="hypercorn settings (used when the file exists).",
)
@click.option("--host", default=None, help="Overrides the configured bind address.")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Overrides the port.")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="Overrides workers.")
@click.option("--listen-fd", default=None, type=int, hidden=True)
def serve(
    config_path: str,
    host: str | None,
    port: int | None,
    workers: int | None,
    listen_fd: int | None,
) -> None:
    """Serve the app with hypercorn; on SIGTERM, drain (see DRAIN_SECONDS) and stop.

    With several workers, each is a process of its own with its own socket on the port
    (the kernel spreads connections over them), and each drains the same way."""
    settings = settings_or_exit()
    static_files_or_exit(settings.static_root)
    migrations.ensure_sqlite_folder(settings.effective_database_url)
    config = hypercorn_config(config_path, host=host, port=port, workers=workers)
    if listen_fd is not None:  # one of the workers started below
        config.bind, config.workers = [f"fd://{listen_fd}"], 1
        serve_draining(config, settings.drain_seconds)
        return
    click.echo(f"Gatehouse ({settings.env}) on http://{config.bind[0]}/")
    if config.workers > 1:
        raise SystemExit(serve_workers(config, config_path))
    serve_draining(config, settings.drain_seconds)


def serve_workers(config: HypercornConfig, config_path: str) -> int:
    """``config.workers`` processes, each a ``gatehouse serve`` with one worker on a
    socket of its own; see web.workers."""
    host, _, port = config.bind[0].rpartition(":")
    pool = workers_module.Workers(
        host=host.strip("[]"),
        port=int(port),
        backlog=config.backlog,
        command=lambda fd: workers_module.worker_argv(
            ["serve", "--config", config_path, "--listen-fd", str(fd)]
        ),
        say=lambda line: click.echo(f"gatehouse: {line}", err=True),
    )
    return workers_module.run(pool, config.workers)


def serve_draining(config: HypercornConfig, drain_seconds: float) -> None:
    """One worker in this process, so no master can cut requests short: on SIGTERM
    /readyz fails for ``drain_seconds`` while every request is still served, then
    hypercorn stops accepting and finishes what is in flight (graceful_timeout)."""
    from hypercorn.asyncio import serve as serve_app

    app = app_from_environment()
    app.before_serving(partial(freeze_startup_objects, app))  # the last start-up hook
    trigger = partial(drain.drained, app, drain_seconds)
    asyncio.run(serve_app(app, config, shutdown_trigger=trigger))


async def freeze_startup_objects(app: Quart) -> None:
    """Put what start-up made (modules, the runtime, the compiled templates) out of the
    garbage collector's reach: a full collection then walks only what requests made
    since, and pauses the worker for a few milliseconds instead of the ~80 ms that set
    every page's p99."""
    rendering.preload_templates(app)
    gc.collect()
    gc.freeze()


def static_files_or_exit(root: Path) -> None:
    """Stop before serving, not in each worker, when the static files are not built."""
    try:
        assets.manifest(root)
    except assets.AssetsError as error:
        raise click.ClickException(str(error)) from None


@main.command("assets")
@click.option(
    "--into",
    "target",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: the STATIC_ROOT setting).",
)
def build_assets(target: Path | None) -> None:
    """Build the static files: content-hashed names, gzip and brotli copies, a manifest.

    Run it on each deploy before the new processes start; it replaces an earlier build."""
    folder = target or settings_or_exit().static_root
    try:
        built = assets.build(folder)
    except assets.AssetsError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Built {len(built)} static files into {folder}.")


def hypercorn_config(
    path: str, *, host: str | None, port: int | None, workers: int | None
) -> HypercornConfig:
    """The file's settings (or hypercorn's defaults with a 20 s graceful timeout), with
    the command line's overrides; the application is always ``web.asgi:app``."""
    config = HypercornConfig.from_toml(path) if Path(path).is_file() else HypercornConfig()
    if not Path(path).is_file():
        config.bind = ["127.0.0.1:8000"]
        config.graceful_timeout = 20
    if host is not None or port is not None:
        current_host, _, current_port = config.bind[0].rpartition(":")
        config.bind = [f"{host or current_host}:{port or current_port}"]
    if workers is not None:
        config.workers = workers
    config.application_path = "web.asgi:app"
    return config


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
    roles = frozenset({ADMIN} if admin else set())
    cmd = _parsed(CreateUser, username=username, email=email, password=password, roles=roles)
    user = run_with_services(settings_or_exit(), lambda s: s.create_user(cmd, SYSTEM))
    held = ", ".join(user.roles) or "no roles"
    click.echo(f"Created {user.username} <{user.email}> ({held}).")


@users.command("list")
@click.option("--search", default="", help="Only usernames or e-mails starting with this.")
def list_users(search: str) -> None:
    """List accounts, active or not, by username."""

    async def every_page(services: Services) -> list[UserDetail]:
        found: list[UserDetail] = []
        after: str | None = None
        while True:
            page = await services.search_users(
                SearchUsers(query=search, after=after, limit=100), SYSTEM
            )
            found.extend(page.items)
            if page.after is None:
                return found
            after = page.after

    listed = run_with_services(settings_or_exit(), every_page)
    for user in listed:
        state = "active" if user.active else "inactive"
        roles = ",".join(user.roles) or "-"
        click.echo(f"{user.username:<25} {user.email:<40} {state:<8} {roles}")
    if not listed:
        click.echo("No users.")


@users.command("activate")
@click.argument("login")
def activate(login: str) -> None:
    """Let LOGIN (a username or e-mail) sign in again."""
    user = run_with_services(settings_or_exit(), lambda s: _activate(s, login))
    click.echo(f"Activated {user.username}.")


@users.command("deactivate")
@click.argument("login")
def deactivate(login: str) -> None:
    """Stop LOGIN (a username or e-mail) from signing in and end its sessions."""
    user = run_with_services(settings_or_exit(), lambda s: _deactivate(s, login))
    click.echo(f"Deactivated {user.username}; their sessions have ended.")


async def _activate(services: Services, login: str) -> UserDetail:
    user = await services.find_user(login, SYSTEM)
    return await services.activate_user(user.id, SYSTEM)


async def _deactivate(services: Services, login: str) -> UserDetail:
    user = await services.find_user(login, SYSTEM)
    return await services.deactivate_user(user.id, SYSTEM)


@main.group()
def roles() -> None:
    """Roles and who holds them."""


@roles.command("list")
def list_roles() -> None:
    """Every role with its number of members."""
    found = run_with_services(settings_or_exit(), lambda s: s.list_roles(SYSTEM))
    for role in found:
        click.echo(f"{role.name:<25} {role.members:>6}  {role.description}")


@roles.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the role is for.")
def create_role(name: str, description: str) -> None:
    """Create the role NAME."""
    cmd = _parsed(DefineRole, name=name, description=description)
    role = run_with_services(settings_or_exit(), lambda s: s.create_role(cmd, SYSTEM))
    click.echo(f"Created role {role.name}.")


@roles.command("grant")
@click.argument("login")
@click.argument("role")
def grant(login: str, role: str) -> None:
    """Give ROLE to LOGIN (a username or e-mail)."""

    async def use(services: Services) -> UserDetail:
        user = await services.find_user(login, SYSTEM)
        return await services.grant_role(_parsed(RoleChange, user_id=user.id, role=role), SYSTEM)

    user = run_with_services(settings_or_exit(), use)
    click.echo(f"{user.username} now holds: {', '.join(user.roles)}.")


@roles.command("revoke")
@click.argument("login")
@click.argument("role")
def revoke(login: str, role: str) -> None:
    """Take ROLE from LOGIN (a username or e-mail)."""

    async def use(services: Services) -> UserDetail:
        user = await services.find_user(login, SYSTEM)
        return await services.revoke_role(_parsed(RoleChange, user_id=user.id, role=role), SYSTEM)

    user = run_with_services(settings_or_exit(), use)
    click.echo(f"{user.username} now holds: {', '.join(user.roles) or 'no roles'}.")


def _parsed(model: type[M], **values: object) -> M:
    """The command, or a one-line error naming the first value that does not fit."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        raise click.ClickException(f"{first['loc'][0]}: {first['msg']}") from None


@main.command()
def config() -> None:
    """Print the effective settings, secrets masked."""
    rows = describe(settings_or_exit())
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name:<{width}}  {value}")


@main.command()
def shell() -> None:
    """A Python prompt with the settings and a services builder at hand."""
    settings = settings_or_exit()
    banner = "settings, build_runtime(settings) -> runtime.services; use asyncio.run(...)"
    code.interact(banner=banner, local={"settings": settings, "build_runtime": build_runtime})


if __name__ == "__main__":  # also how the workers of ``serve --workers N`` run
    main()
