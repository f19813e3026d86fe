"""The Lua scripts, driven by the real wrk, against a real Gatehouse under hypercorn for
a second each: every answer as expected and a report the bench can read. No figure is
judged: nothing here depends on the machine's speed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import client, seed, servers, wrk
from bench.servers import Server
from infrastructure.passwords import make_context

USERS = 40


@pytest.fixture(scope="module")
def wrk_path() -> str:
    found = wrk.executable()
    if found is None:
        pytest.fail(f"wrk is needed for the bench tooling tests: {wrk.INSTALL_HINT} (.ci/run does)")
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, static_root: Path) -> Iterator[Server]:
    """Gatehouse as the bench serves it (two workers, limits raised), on a seeded SQLite
    file, with the test environment's cheap hashing."""
    home = tmp_path_factory.mktemp("bench-server")
    url = seed.fresh_sqlite(home / "bench.db")
    hashed = seed.password_hash(make_context(fast=True))
    asyncio.run(seed.seed_users(url, first=0, count=USERS, hashed=hashed))
    port = servers.free_port()
    env = servers.gatehouse_environment(
        url,
        port=port,
        secret_key="s" * 40,
        instance=home / "instance",
        env="test",
        static_root=static_root,
    )
    started = servers.start(
        "gatehouse",
        servers.gatehouse_command(port, workers=2),
        port=port,
        log=home / "server.log",
        env=env,
        ready_path="/readyz",
    )
    try:
        yield started
    finally:
        started.stop()


def one_second(url: str, **options: object) -> wrk.Load:
    return wrk.Load(url=url, duration=1, connections=2, **options)  # type: ignore[arg-type]


def test_the_sign_in_script_signs_in_through_the_form_without_errors(
    wrk_path: str, server: Server
) -> None:
    load = one_second(
        server.url + "/",
        script=wrk.SIGN_IN_SCRIPT,
        args=(seed.PASSWORD, *seed.sign_in_logins(4)),
    )
    result = wrk.run(load, wrk_path)
    assert result.errors() == 0, result
    assert set(result.statuses) <= {200, 303}, result.statuses
    assert result.statuses.get(303, 0) >= 1, result.statuses
    assert result.connections == 2
    assert result.throughput(303) > 0


def test_a_wrong_password_makes_every_post_an_error(wrk_path: str, server: Server) -> None:
    load = one_second(
        server.url + "/", script=wrk.SIGN_IN_SCRIPT, args=("not the password", seed.username(5))
    )
    result = wrk.run(load, wrk_path)
    assert result.statuses.get(303, 0) == 0
    assert result.statuses.get(400, 0) >= 1  # then 429s, once the account is locked
    assert result.errors() == result.requests - result.statuses[200]


def test_the_members_page_answers_the_signed_in_cookie(wrk_path: str, server: Server) -> None:
    cookie = client.signed_in_cookie(server.url, seed.username(20), seed.PASSWORD)
    load = one_second(server.url + "/users/", headers={"Cookie": cookie})
    result = wrk.run(load, wrk_path)
    assert result.requests > 0
    assert result.errors() == 0
    assert client.fetch(server.url, "GET", "/users/", headers={"Cookie": cookie}).status == 200


def test_an_api_token_reads_the_own_account(wrk_path: str, server: Server) -> None:
    token = client.api_token(server.url, seed.username(21), seed.PASSWORD)
    load = one_second(server.url + "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert wrk.run(load, wrk_path).errors() == 0


def test_a_missing_page_is_a_404_every_time(wrk_path: str, server: Server) -> None:
    cookie = client.signed_out_cookie(server.url)
    load = one_second(server.url + "/no-such-page", headers={"Cookie": cookie})
    result = wrk.run(load, wrk_path)
    assert result.requests > 0
    assert result.errors(expected=404) == 0
    assert result.errors(expected=200) == result.requests


def test_the_workers_memory_is_read_from_proc(server: Server) -> None:
    assert len(server.worker_pids()) == 2
    assert all(rss > 1024 * 1024 for rss in server.worker_rss())


def test_the_baselines_answer_hello(tmp_path: Path) -> None:
    for module in ("asgi_hello", "quart_hello"):
        port = servers.free_port()
        command = servers.baseline_command(module, port, workers=1)
        started = servers.start(module, command, port=port, log=tmp_path / f"{module}.log")
        try:
            answer = client.fetch(started.url, "GET", "/")
        finally:
            started.stop()
        assert (answer.status, answer.body) == (200, b"Hello, World!")
