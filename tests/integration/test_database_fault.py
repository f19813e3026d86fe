"""PostgreSQL going away: 503s within the timeout, not hangs; recovery without a restart.

A throw-away cluster on a free port is stopped and started; the shared one is never
touched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from infrastructure.db import migrations
from infrastructure.settings import load_settings
from tests.e2e.conftest import free_port
from web.app import create_app

pytestmark = pytest.mark.postgres
HANG = 20  # seconds only a hang would exceed; the connect timeout is 2


def cluster_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} (Debian's PostgreSQL cluster tools) is not installed"
        if os.environ.get("GATEHOUSE_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def cluster() -> Iterator[tuple[str, str, int]]:
    """A new PostgreSQL cluster: (version, name, port); dropped afterwards."""
    create = cluster_tool("pg_createcluster")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    name, port = f"gh{uuid.uuid4().hex[:8]}", free_port()
    subprocess.run(
        [create, version, name, "-p", str(port), "--", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    try:
        control(version, name, "start")
        yield version, name, port
    finally:
        subprocess.run(
            [cluster_tool("pg_dropcluster"), version, name, "--stop"], capture_output=True
        )


def control(version: str, name: str, action: str) -> None:
    subprocess.run(
        [cluster_tool("pg_ctlcluster"), version, name, action, "--", "-m", "fast"]
        if action == "stop"
        else [cluster_tool("pg_ctlcluster"), version, name, action],
        check=True,
        capture_output=True,
    )


async def test_requests_get_503_while_postgres_is_down_and_recover_after(
    cluster: tuple[str, str, int], tmp_path: Path
) -> None:
    version, name, port = cluster
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    await asyncio.to_thread(migrations.upgrade, url)
    settings = load_settings(
        GATEHOUSE_ENV="test",
        DATABASE_URL=url,
        SECRET_KEY="s" * 40,
        INSTANCE_PATH=tmp_path,
        DB_CONNECT_TIMEOUT=2,
        DB_POOL_TIMEOUT=2,
    )
    app = create_app(settings)
    login = {"login": "nobody", "password": "not the password"}
    async with app.test_app():
        client = app.test_client()
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.post("/api/v1/sessions", json=login)).status_code == 400

        await asyncio.to_thread(control, version, name, "stop")
        async with asyncio.timeout(HANG):
            down_api = await client.post("/api/v1/sessions", json=login)
            down_ready = await client.get("/readyz")
        assert down_api.status_code == 503
        assert down_api.mimetype == "application/problem+json"
        assert down_ready.status_code == 503

        await asyncio.to_thread(control, version, name, "start")
        for _ in range(100):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.2)
        else:
            pytest.fail("the app did not recover when PostgreSQL came back")
        assert (await client.post("/api/v1/sessions", json=login)).status_code == 400


def postmaster_pid(version: str, name: str) -> int:
    pid_file = Path(f"/var/lib/postgresql/{version}/{name}/postmaster.pid")
    return int(pid_file.read_text().split("\n", 1)[0])


async def test_a_database_shutting_down_answers_503_not_500(
    cluster: tuple[str, str, int], tmp_path: Path
) -> None:
    """A smart shutdown (SIGTERM to the postmaster, what `pg_ctl stop -m smart` sends)
    waits for open sessions while refusing new ones with "the database system is shutting
    down" (asyncpg's CannotConnectNowError, SQLSTATE 57P03)."""
    version, name, port = cluster
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    await asyncio.to_thread(migrations.upgrade, url)
    holder = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    try:
        os.kill(postmaster_pid(version, name), signal.SIGTERM)
        await asyncio.sleep(0.5)
        app = create_app(
            load_settings(
                GATEHOUSE_ENV="test",
                DATABASE_URL=url,
                SECRET_KEY="s" * 40,
                INSTANCE_PATH=tmp_path,
                DB_CONNECT_TIMEOUT=2,
            )
        )
        login = {"login": "nobody", "password": "not the password"}
        async with app.test_app():
            client = app.test_client()
            async with asyncio.timeout(HANG):
                answers = await asyncio.gather(
                    *(client.post("/api/v1/sessions", json=login) for _ in range(5)),
                    client.get("/readyz"),
                )
        assert [answer.status_code for answer in answers[:5]] == [503] * 5
        assert answers[0].mimetype == "application/problem+json"
        assert answers[-1].status_code == 503
    finally:
        await holder.close()
