"""Invitations through the real services on both databases: thirty registrations racing
with one link make one account; with PostgreSQL stopped the link's page and the API
answer 503, nothing is used up, and the same link works once the database is back."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from email import message_from_bytes
from pathlib import Path

import pytest
from quart import Quart
from sqlalchemy.ext.asyncio import AsyncEngine

from application.commands import Actor, RegisterUser
from application.invitations import Invite
from application.results import UserDetail
from application.services import Services
from domain.invitations import InvalidInvitation
from infrastructure.db import migrations
from infrastructure.settings import load_settings
from tests.conftest import unique_name
from tests.integration.test_database_fault import HANG, cluster, control  # noqa: F401
from web.app import create_app
from web.runtime import SERVICES

SYSTEM = Actor.system("test")
PASSWORD = "a quiet harbour at dawn"


def app_on(url: str, instance: Path, **settings: object) -> Quart:
    return create_app(
        load_settings(
            GATEHOUSE_ENV="test",
            DATABASE_URL=url,
            SECRET_KEY="s" * 40,
            INSTANCE_PATH=instance,
            REGISTER_IP_LIMIT=1000,
            REGISTER_ATTEMPT_LIMIT=1000,
            **settings,
        )
    )


async def mailed_token(services: Services, instance: Path, address: str) -> str:
    await services.bus.drain()
    for path in sorted((instance / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = message_from_bytes(path.read_bytes())
        if message["To"] == address:
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode()  # type: ignore[union-attr]
                    found = re.search(r"/register/([\w-]+)", text)
                    if found:
                        return found.group(1)
    raise AssertionError(f"no invitation was mailed to {address}")


@pytest.fixture
async def served(
    migrated_url: str, tmp_path: Path, clean_engine: AsyncEngine
) -> AsyncIterator[tuple[Services, Path]]:
    app = app_on(migrated_url, tmp_path)
    async with app.test_app():
        yield app.extensions[SERVICES], tmp_path


async def test_thirty_registrations_racing_with_one_link_make_one_account(
    served: tuple[Services, Path],
) -> None:
    services, instance = served
    address = f"{unique_name('guest')}@example.com"
    await services.invite(Invite(email=address), SYSTEM)
    token = await mailed_token(services, instance, address)

    outcomes = await asyncio.gather(
        *(
            services.register_invited(
                RegisterUser(username=unique_name("g"), email=address, password=PASSWORD), token
            )
            for _ in range(30)
        ),
        return_exceptions=True,
    )

    made = [each for each in outcomes if isinstance(each, UserDetail)]
    refused = [each for each in outcomes if isinstance(each, InvalidInvitation)]
    assert (len(made), len(refused)) == (1, 29), outcomes
    assert made[0].email_verified


@pytest.mark.postgres
async def test_with_postgres_stopped_the_link_answers_503_and_works_once_it_is_back(
    cluster: tuple[str, str, int],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    version, name, port = cluster
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    await asyncio.to_thread(migrations.upgrade, url)
    app = app_on(url, tmp_path, DB_CONNECT_TIMEOUT=2, DB_POOL_TIMEOUT=2)
    body = {"username": "grace", "email": "grace@example.com", "password": PASSWORD}
    async with app.test_app():
        services: Services = app.extensions[SERVICES]
        await services.invite(Invite(email="grace@example.com"), SYSTEM)
        token = await mailed_token(services, tmp_path, "grace@example.com")
        client, program = app.test_client(), app.test_client()  # a browser, a program

        await asyncio.to_thread(control, version, name, "stop")
        async with asyncio.timeout(HANG):
            page = await client.get(f"/register/{token}")
            api = await program.post("/api/v1/users", json={**body, "invitation": token})
        assert page.status_code == 503 and "Briefly unavailable" in await page.get_data(
            as_text=True
        )
        assert (api.status_code, api.mimetype) == (503, "application/problem+json")

        await asyncio.to_thread(control, version, name, "start")
        for _ in range(100):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.2)
        else:
            pytest.fail("the app did not recover when PostgreSQL came back")
        assert (await client.get(f"/register/{token}")).status_code == 200
        made = await program.post("/api/v1/users", json={**body, "invitation": token})
        assert made.status_code == 201, await made.get_data(as_text=True)
        again = await program.post(
            "/api/v1/users", json={**body, "username": "grace2", "invitation": token}
        )
        assert (again.status_code, (await again.get_json())["type"]) == (
            400,
            "/problems/invalid-invitation",
        )
