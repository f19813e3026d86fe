"""With the database unreachable: 503 pages and probes, never a 500 or a hang."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from quart import Quart

from infrastructure.settings import load_settings
from tests.web.conftest import csrf_token
from web.app import create_app

CLOSED_PORT_URL = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"


@pytest.fixture(scope="module")
async def down_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Quart]:
    instance: Path = tmp_path_factory.mktemp("down")
    settings = load_settings(
        GATEHOUSE_ENV="test", DATABASE_URL=CLOSED_PORT_URL, INSTANCE_PATH=instance
    )
    app = create_app(settings)
    async with app.test_app():
        yield app


async def test_readiness_reports_503_while_liveness_stays_200(down_app: Quart) -> None:
    client = down_app.test_client()
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert (await ready.get_json())["database"] == "unreachable"


async def test_signing_in_answers_a_styled_503_with_retry_after(down_app: Quart) -> None:
    client = down_app.test_client()
    token = await csrf_token(client)
    response = await client.post(
        "/", form={"login": "someone", "password": "whatever it is", "csrf_token": token}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "Briefly unavailable" in await response.get_data(as_text=True)


async def test_pages_that_need_no_database_still_work(down_app: Quart) -> None:
    client = down_app.test_client()
    assert (await client.get("/about/")).status_code == 200
    assert (await client.get("/register/")).status_code == 200
