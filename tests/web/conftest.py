"""The real app on a migrated SQLite file, driven through Quart's test client, CSRF on."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

import pytest
from quart import Quart, Response
from quart.testing import QuartClient
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import CreateUser
from application.results import UserDetail
from application.services import Services
from infrastructure.db import migrations
from infrastructure.db.engine import make_engine
from infrastructure.settings import load_settings
from tests.conftest import empty_tables, unique_name
from web.app import create_app
from web.runtime import SERVICES

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
async def web_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    return url


TEST_ADDRESS = ("127.0.0.1", 50000)
AppMaker = Callable[..., AbstractAsyncContextManager[Quart]]


def with_test_address(app: Quart) -> Quart:
    """Give test requests the peer address a real server would (Quart's test client
    sends none), so per-address limits and the audit trail see one."""
    inner = app.asgi_app

    async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") in {"http", "websocket"} and not scope.get("client"):
            scope = {**scope, "client": TEST_ADDRESS}
        await inner(scope, receive, send)

    app.asgi_app = asgi_app  # type: ignore[method-assign]
    return app


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
async def app(web_database: str, instance_path: Path) -> AsyncIterator[Quart]:
    settings = load_settings(
        GATEHOUSE_ENV="test",
        DATABASE_URL=web_database,
        SECRET_KEY="s" * 40,
        INSTANCE_PATH=instance_path,
        MEMBERS_PER_PAGE=5,
        # Generous limits: throttling has its own tests, on apps of their own.
        REQUEST_IP_LIMIT=100_000,
        SIGNIN_IP_LIMIT=100_000,
        REGISTER_IP_LIMIT=100_000,
        REGISTER_ATTEMPT_LIMIT=100_000,
        RESET_IP_LIMIT=100_000,
        SIGNIN_FAILURE_LIMIT=1_000,
    )
    quart_app = with_test_address(create_app(settings))
    async with quart_app.test_app():
        yield quart_app


@pytest.fixture(scope="session")
async def web_engine(web_database: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(web_database)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def _empty_tables(web_engine: AsyncEngine) -> AsyncIterator[None]:
    yield
    await empty_tables(web_engine)


@pytest.fixture
def client(app: Quart) -> QuartClient:
    return app.test_client()


@pytest.fixture
def services(app: Quart) -> Services:
    found: Services = app.extensions[SERVICES]
    return found


@dataclass
class Account:
    user: UserDetail
    password: str


@pytest.fixture
async def account(services: Services) -> Account:
    return await new_account(services)


async def new_account(services: Services, prefix: str = "ann") -> Account:
    """An active account with a unique name, created through ``services``."""
    name = unique_name(prefix)
    user = await services.create_user(
        CreateUser(username=name, email=f"{name}@example.com", password=PASSWORD)
    )
    return Account(user, PASSWORD)


async def csrf_token(client: QuartClient, path: str = "/") -> str:
    """Open a page the way a browser does and read the form's CSRF token."""
    response = await client.get(path)
    found = _CSRF.search(await response.get_data(as_text=True))
    assert found, f"no CSRF field on {path}"
    return found.group(1)


async def post_form(
    client: QuartClient, path: str, data: dict[str, str], *, form_page: str | None = None
) -> Response:
    token = await csrf_token(client, form_page or path)
    return await client.post(path, form={**data, "csrf_token": token})


async def sign_in(client: QuartClient, login: str, password: str = PASSWORD) -> None:
    response = await post_form(client, "/", {"login": login, "password": password})
    assert response.status_code == 303, "sign-in failed"


class Outbox:
    """The development mailer's folder, read the way a person running the app would."""

    def __init__(self, folder: Path, services: Services) -> None:
        self.folder = folder
        self.services = services

    async def messages(self, subject: str | None = None) -> list[EmailMessage]:
        """Everything sent so far (once background sending is done), oldest first."""
        await self.services.bus.drain()
        if not self.folder.exists():
            return []
        parser = BytesParser(policy=policy.default)
        found = [
            cast(EmailMessage, parser.parsebytes(path.read_bytes()))
            # Names tell the second only: within one, the order they were written in.
            for path in sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        ]
        return [m for m in found if subject is None or m["Subject"] == subject]

    async def link_for(self, address: str) -> str:
        """The path of the newest reset link sent to ``address``."""
        for message in reversed(await self.messages()):
            if message["To"] == address:
                body = message.get_body(preferencelist=("plain",))
                assert body is not None
                found = re.search(r"https?://[^/\s]+(/reset-password/\S+)", body.get_content())
                if found:
                    return found.group(1)
        raise AssertionError(f"no reset link was sent to {address}")


@pytest.fixture
async def outbox(instance_path: Path, services: Services) -> Outbox:
    """An empty outbox for one test: mail other tests left behind is cleared first."""
    box = Outbox(instance_path / "mail", services)
    await services.bus.drain()
    for path in box.folder.glob("*.eml"):
        path.unlink()
    return box


@pytest.fixture
def make_app(web_database: str, tmp_path: Path) -> AppMaker:
    """An app on the shared test database with the given settings; generous defaults."""

    @asynccontextmanager
    async def make(**overrides: object) -> AsyncIterator[Quart]:
        settings = {
            "GATEHOUSE_ENV": "test",
            "DATABASE_URL": web_database,
            "SECRET_KEY": "s" * 40,
            "INSTANCE_PATH": tmp_path,
            "REQUEST_IP_LIMIT": 10_000,
            "SIGNIN_IP_LIMIT": 10_000,
            "REGISTER_IP_LIMIT": 10_000,
            "REGISTER_ATTEMPT_LIMIT": 10_000,
        } | overrides
        app = with_test_address(create_app(load_settings(**settings)))
        async with app.test_app():
            yield app

    return make


def engine_of(app: Quart) -> AsyncEngine:
    """The engine the app's own services use (to count the statements a page sends)."""
    services: Services = app.extensions[SERVICES]
    engine: AsyncEngine = services.uow_factory()._engine  # type: ignore[attr-defined]
    return engine


@pytest.fixture
async def admin(services: Services) -> UserDetail:
    """An active administrator with a unique name."""
    name = unique_name("adm")
    return await services.create_user(
        CreateUser(
            username=name,
            email=f"{name}@example.com",
            password=PASSWORD,
            roles=frozenset({"admin"}),
        )
    )


@pytest.fixture
async def as_admin(app: Quart, admin: UserDetail) -> QuartClient:
    client = app.test_client()
    await sign_in(client, admin.username)
    return client


@pytest.fixture
async def as_member(app: Quart, account: Account) -> QuartClient:
    client = app.test_client()
    await sign_in(client, account.user.username)
    return client
