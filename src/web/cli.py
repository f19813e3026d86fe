"""The ``gatehouse`` command: serve, migrate and manage accounts through the use cases."""

from __future__ import annotations

import asyncio
import code
import gc
import logging
import os
import socket
from functools import partial
from pathlib import Path

import click
from hypercorn.config import Config as HypercornConfig
from quart import Quart

from infrastructure.db import migrations
from infrastructure.logs import configure_logging
from infrastructure.settings import SettingsError, describe, load_settings
from web import assets, drain, rendering
from web import workers as workers_module
from web.app import create_app
from web.bootstrap import build_runtime
from web.cli_accounts import roles, users
from web.cli_invitations import invitations
from web.cli_keys import keys
from web.cli_runtime import Gatehouse, database_used, settings_or_exit
from web.cli_scaffold import new


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


@click.group(cls=Gatehouse)
def main() -> None:
    """Gatehouse: user accounts, sign-in and a members area."""


main.add_command(users)
main.add_command(roles)
main.add_command(invitations)
main.add_command(new)
main.add_command(keys)


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
        serve_draining(config, settings.drain_seconds, f"Worker {os.getpid()} is serving.")
        return
    banner = f"Running on http://{config.bind[0]}/ ({settings.env}; Ctrl+C stops it)"
    if config.workers > 1:
        click.echo(banner)
        raise SystemExit(serve_workers(config, config_path))
    listening_or_exit(config.bind[0])
    serve_draining(config, settings.drain_seconds, banner)


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


def serve_draining(config: HypercornConfig, drain_seconds: float, banner: str) -> None:
    """One worker in this process, so no master can cut requests short: on SIGTERM
    /readyz fails for ``drain_seconds`` while every request is still served, then
    hypercorn stops accepting and finishes what is in flight (graceful_timeout).
    ``banner`` is said once the socket listens."""
    from hypercorn.asyncio import serve as serve_app

    app = app_from_environment()
    config.errorlog = server_log(banner)
    app.before_serving(partial(freeze_startup_objects, app))  # after the app's own hooks
    trigger = partial(drain.drained, app, drain_seconds)
    asyncio.run(serve_app(app, config, shutdown_trigger=trigger))


def listening_or_exit(bind: str) -> None:
    """Stop with one line before the app starts when ``bind`` cannot be listened on (in
    use, or no such address): hypercorn would only find out after start-up."""
    host, _, port = bind.rpartition(":")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        raise click.ClickException(f"Cannot listen on {bind}: {error.strerror}.") from None


def server_log(banner: str) -> logging.Logger:
    """hypercorn's messages through the app's log handler (JSON in production), with
    its "Running on" line, which comes once the socket listens, said as ``banner``."""
    log = logging.getLogger("gatehouse.server")
    log.addFilter(Banner(banner))
    return log


class Banner(logging.Filter):
    """Says the banner in place of hypercorn's "Running on" record, once."""

    def __init__(self, banner: str) -> None:
        super().__init__()
        self.banner: str | None = banner

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith("Running on"):
            return True
        if self.banner is not None:
            click.echo(self.banner)
            self.banner = None
        return False


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
    except OSError as error:
        raise click.ClickException(f"Cannot write into {folder}: {error.strerror}.") from None
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


# A REVISION may be a step back such as -2, which is not an option.
REVISION_ARGUMENT = {"ignore_unknown_options": True}


@db.command(context_settings=REVISION_ARGUMENT)
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head, the newest)."""
    url = settings_or_exit().effective_database_url
    with database_used(url):
        migrations.ensure_sqlite_folder(url)
        before = migrations.current_revision(url)
        migrations.upgrade(url, revision)
        click.echo(moved("Upgraded", before, url))


@db.command(context_settings=REVISION_ARGUMENT)
@click.argument("revision", default="-1")
def downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (default: -1, one step back; base: no tables)."""
    url = settings_or_exit().effective_database_url
    with database_used(url):
        before = migrations.current_revision(url)
        migrations.downgrade(url, revision)
        click.echo(moved("Downgraded", before, url))


def moved(verb: str, before: str | None, url: str) -> str:
    """Where a migration command left the database, in one line."""
    newest = migrations.revisions(url)[-1]

    def named(revision: str | None) -> str:
        return f"{revision} (the newest)" if revision == newest else revision or "base"

    after = migrations.current_revision(url)
    if after == before:
        return f"The database stays at {named(after)}."
    return f"{verb} the database from {named(before)} to {named(after)}."


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
