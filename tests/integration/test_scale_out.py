"""Two `gatehouse serve` processes on one PostgreSQL and one Redis act as one service."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from infrastructure.db import migrations
from tests.conftest import unique_name
from tests.e2e.conftest import free_port, wait_until_up

GATEHOUSE = str(Path(sys.executable).with_name("gatehouse"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "two hosts one service"
SETTLE = 0.2  # seconds a changed account is not cached again (CACHE_SETTLE)

pytestmark = pytest.mark.postgres


def call(
    base: str, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, object]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (loopback)
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            text = response.read()
            return response.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def two_processes(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("GATEHOUSE_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    migrations.upgrade(postgres_url)
    env = {
        **os.environ,
        "GATEHOUSE_ENV": "development",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": postgres_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "shared-secret-" + "x" * 30,
        "TRUSTED_PROXY_HOPS": "1",
        "SIGNIN_IP_LIMIT": "3",
        "CACHE_SETTLE": str(SETTLE),
        "DRAIN_SECONDS": "0",  # stop at once: draining has its own test
    }
    processes, bases = [], []
    for _ in range(2):
        port = free_port()
        processes.append(
            subprocess.Popen(
                [GATEHOUSE, "serve", "--port", str(port), "--config", str(tmp_path / "none")],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, process in zip(bases, processes, strict=True):
            wait_until_up(f"{base}/healthz", process)
        yield bases[0], bases[1]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def test_a_session_from_one_process_works_changes_and_ends_on_the_other(
    two_processes: tuple[str, str],
) -> None:
    first, second = two_processes
    name = unique_name("so")
    address = {"X-Forwarded-For": f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"}
    registered, user = call(
        first,
        "POST",
        "/api/v1/users",
        {"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        address,
    )
    assert registered == 201
    status, signed_in = call(
        first, "POST", "/api/v1/sessions", {"login": name, "password": PASSWORD}, address
    )
    assert status == 201
    bearer = {"Authorization": f"Bearer {signed_in['token']}"}
    time.sleep(SETTLE * 2)
    for base in (second, first):  # the account is now cached in Redis
        assert call(base, "GET", "/api/v1/users/me", headers=bearer)[0] == 200
    assert redis.Redis.from_url(REDIS_URL).exists(f"gatehouse:cache:user:{user['id']}")

    patched, _ = call(first, "PATCH", "/api/v1/users/me", {"first_name": "Renamed"}, bearer)
    assert patched == 200
    assert call(second, "GET", "/api/v1/users/me", headers=bearer)[1]["first_name"] == "Renamed"

    assert call(second, "DELETE", "/api/v1/sessions/current", headers=bearer)[0] == 204
    assert call(first, "GET", "/api/v1/users/me", headers=bearer)[0] == 401


def test_the_processes_share_one_rate_limit(two_processes: tuple[str, str]) -> None:
    first, second = two_processes
    address = {"X-Forwarded-For": f"198.19.{random.randrange(256)}.{random.randrange(1, 255)}"}
    login = {"login": unique_name("nobody"), "password": "not the password"}
    statuses = [
        call(base, "POST", "/api/v1/sessions", login, address)[0]
        for base in (first, second, first, second)
    ]
    assert statuses == [400, 400, 400, 429]
