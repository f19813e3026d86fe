"""A revoked session stops working on every process whatever Redis does: two app
instances share a throw-away redis-server that is stopped, paused, cut off from the
revoking process, or whose connections are killed, and the other process is polled
with the revoked token, counting what still got through."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from quart import Quart
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from application.services import Services
from infrastructure.db import migrations
from infrastructure.db.tables import cache_outbox
from tests.integration.test_cache import CuttableProxy
from tests.redis_server import RedisServer, throwaway_redis
from tests.web.conftest import new_account
from tests.web.test_shared_limits import apps, fresh_address
from web.runtime import SERVICES

SETTLE = 0.2  # CACHE_SETTLE: an invalidated account is cached again after this
# Session copies may live this long here, so only delivery can end them quickly.
LOCAL_TTL = 30
# Not a speed target: the relay's poll and a retry or two, on a loaded machine.
BOUND = 4.0
# Without a fault a revocation is one message away; generous for a loaded machine (the
# measured window is in the README).
SEEN = 2.0
POLL_FOR = 15.0
GATEHOUSE = str(Path(sys.executable).with_name("gatehouse"))


@dataclass
class Processes:
    revoking: Quart
    other: Quart
    headers: dict[str, str]
    revoking_clients: set[int]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with throwaway_redis(tmp_path) as started:
        yield started


@pytest.fixture(scope="module")
async def fault_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of these tests' own: the relay of an app elsewhere in the session
    (with no Redis) would otherwise take the outbox's messages to its own memory."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('faults') / 'faults.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    return url


async def two_processes(
    stack: AsyncExitStack,
    fault_database: str,
    tmp_path: Path,
    server: RedisServer,
    revoking_url: str | None = None,
) -> Processes:
    """Two instances, a signed-in token and both processes' caches warm with it."""
    settings = {
        "CACHE_SETTLE": SETTLE,
        "CACHE_LOCAL_TTL": LOCAL_TTL,
        "REQUEST_IP_LIMIT": 1_000_000,
    }
    (revoking,) = await apps(
        stack, 1, fault_database, tmp_path, REDIS_URL=revoking_url or server.url, **settings
    )
    account = await new_account(revoking.extensions[SERVICES])
    address = {"X-Forwarded-For": fresh_address()}
    signed_in = await revoking.test_client().post(
        "/api/v1/sessions",
        json={"login": account.user.username, "password": account.password},
        headers=address,
    )
    assert signed_in.status_code == 201
    headers = address | {"Authorization": f"Bearer {(await signed_in.get_json())['token']}"}
    assert (
        await revoking.test_client().get("/api/v1/users/me", headers=headers)
    ).status_code == 200
    revoking_clients = await asyncio.to_thread(server.client_ids)
    (other,) = await apps(stack, 1, fault_database, tmp_path, REDIS_URL=server.url, **settings)
    await asyncio.sleep(SETTLE * 2)
    for _ in range(2):
        assert (
            await other.test_client().get("/api/v1/users/me", headers=headers)
        ).status_code == 200
    return Processes(revoking, other, headers, revoking_clients)


async def revoke(processes: Processes) -> None:
    client = processes.revoking.test_client()
    async with asyncio.timeout(10):
        response = await client.delete("/api/v1/sessions/current", headers=processes.headers)
    assert response.status_code == 204


async def still_served(processes: Processes) -> tuple[int, float]:
    """How many times, and for how long after the revocation, the other process still
    answered the revoked token with 200."""
    client, started = processes.other.test_client(), time.monotonic()
    served, last = 0, 0.0
    while time.monotonic() - started < POLL_FOR:
        status = (await client.get("/api/v1/users/me", headers=processes.headers)).status_code
        if status != 200:
            assert status == 401
            break
        served, last = served + 1, time.monotonic() - started
    return served, last


async def pending(app: Quart) -> int:
    services: Services = app.extensions[SERVICES]
    engine: AsyncEngine = services.uow_factory()._engine  # type: ignore[attr-defined]
    async with engine.connect() as connection:
        query = select(func.count()).select_from(cache_outbox)
        return int((await connection.execute(query)).scalar_one())


async def outbox_drained(app: Quart, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await pending(app) == 0:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_killed_connections_of_the_revoking_process_do_not_lose_the_revocation(
    stack: AsyncExitStack, fault_database: str, tmp_path: Path, server: RedisServer
) -> None:
    processes = await two_processes(stack, fault_database, tmp_path, server)
    await asyncio.to_thread(server.kill_clients, processes.revoking_clients)
    await revoke(processes)
    served, window = await still_served(processes)
    assert window < BOUND, f"the revoked token got {served} answers over {window:.1f} s"
    assert await outbox_drained(processes.revoking)


async def test_every_connection_killed_the_revocation_still_arrives(
    stack: AsyncExitStack, fault_database: str, tmp_path: Path, server: RedisServer
) -> None:
    processes = await two_processes(stack, fault_database, tmp_path, server)
    await asyncio.to_thread(server.kill_clients)
    await revoke(processes)
    served, window = await still_served(processes)
    assert window < BOUND, f"the revoked token got {served} answers over {window:.1f} s"


async def test_a_revoking_process_cut_off_from_redis_is_made_good_by_the_relay(
    stack: AsyncExitStack, fault_database: str, tmp_path: Path, server: RedisServer
) -> None:
    """The revoking process cannot reach Redis at all, so its own invalidation is lost;
    the other process's relay finds it in the outbox and delivers it."""
    proxy = CuttableProxy("127.0.0.1", server.port)
    await proxy.start()
    stack.push_async_callback(proxy.cut)
    processes = await two_processes(
        stack, fault_database, tmp_path, server, revoking_url=f"redis://127.0.0.1:{proxy.port}/0"
    )
    await proxy.cut()
    await revoke(processes)
    served, window = await still_served(processes)
    assert window < BOUND, f"the revoked token got {served} answers over {window:.1f} s"
    assert await outbox_drained(processes.other)


async def test_with_redis_stopped_the_revoked_token_is_refused_and_stays_refused(
    stack: AsyncExitStack, fault_database: str, tmp_path: Path, server: RedisServer
) -> None:
    processes = await two_processes(stack, fault_database, tmp_path, server)
    await asyncio.to_thread(server.stop)
    await revoke(processes)
    assert (await still_served(processes))[0] == 0
    await asyncio.to_thread(server.start)
    assert await outbox_drained(processes.revoking)
    assert (await still_served(processes))[0] == 0


async def test_with_redis_paused_the_revoked_token_is_refused_and_stays_refused(
    stack: AsyncExitStack, fault_database: str, tmp_path: Path, server: RedisServer
) -> None:
    """SIGSTOP: connections stay open and nothing answers; after SIGCONT Redis still
    holds the old copies, until the relay delivers what waited in the outbox."""
    processes = await two_processes(stack, fault_database, tmp_path, server)
    await asyncio.to_thread(server.pause)
    try:
        await revoke(processes)
        assert (await still_served(processes))[0] == 0
    finally:
        await asyncio.to_thread(server.resume)
    assert await outbox_drained(processes.revoking)
    assert (await still_served(processes))[0] == 0


async def test_a_deactivation_from_the_command_line_reaches_a_server_it_cannot_tell(
    stack: AsyncExitStack, fault_database: str, tmp_path: Path, server: RedisServer
) -> None:
    """`gatehouse users deactivate` run where Redis cannot be reached: its own
    invalidation is lost, the servers' relays deliver the one it left in the outbox."""
    processes = await two_processes(stack, fault_database, tmp_path, server)
    me = await processes.other.test_client().get("/api/v1/users/me", headers=processes.headers)
    env = {
        **os.environ,
        "GATEHOUSE_ENV": "test",
        "DATABASE_URL": fault_database,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "SECRET_KEY": "s" * 40,
        "INSTANCE_PATH": str(tmp_path),
    }
    command = [GATEHOUSE, "users", "deactivate", (await me.get_json())["username"]]
    done = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    served, window = await still_served(processes)
    assert window < BOUND, f"the deactivated account got {served} answers over {window:.1f} s"


async def test_a_revocation_reaches_the_copies_of_the_other_process(
    stack: AsyncExitStack, fault_database: str, tmp_path: Path, server: RedisServer
) -> None:
    """No fault: the other process answers from its own copies (it asks Redis nothing
    for them) until the revoking process's announcement makes it forget them."""
    processes = await two_processes(stack, fault_database, tmp_path, server)
    await asyncio.sleep(0.3)  # the copies' own announcements have come back
    before = await asyncio.to_thread(server.calls, "get", "mget")
    client = processes.other.test_client()
    assert (await client.get("/api/v1/users/me", headers=processes.headers)).status_code == 200
    assert await asyncio.to_thread(server.calls, "get", "mget") == before
    await revoke(processes)
    served, window = await still_served(processes)
    assert window < SEEN, f"the revoked token got {served} answers over {window:.2f} s"


async def test_a_deactivation_from_the_command_line_reaches_the_copies_of_a_server(
    stack: AsyncExitStack, fault_database: str, tmp_path: Path, server: RedisServer
) -> None:
    """`gatehouse users deactivate` with Redis reachable: its write announces the
    account, and the server forgets its copy."""
    processes = await two_processes(stack, fault_database, tmp_path, server)
    me = await processes.other.test_client().get("/api/v1/users/me", headers=processes.headers)
    env = {
        **os.environ,
        "GATEHOUSE_ENV": "test",
        "DATABASE_URL": fault_database,
        "REDIS_URL": server.url,
        "SECRET_KEY": "s" * 40,
        "INSTANCE_PATH": str(tmp_path),
    }
    command = [GATEHOUSE, "users", "deactivate", (await me.get_json())["username"]]
    done = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    served, window = await still_served(processes)
    assert window < SEEN, f"the deactivated account got {served} answers over {window:.2f} s"
