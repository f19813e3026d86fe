"""The revocation window: the summary of the samples, and the real measurement against
two real Gatehouse processes sharing SQLite and Redis. No figure is judged: nothing
here depends on the machine's speed."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis

from bench import client, revocation, seed, servers
from bench.revocation import Sample
from bench.servers import Server
from infrastructure.passwords import make_context

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_REQUIRED = os.environ.get("GATEHOUSE_REQUIRE_REDIS") == "1"
ACCOUNTS = 3
METRICS_TOKEN = "m" * 32


def sample(window_ms: float, *, stale: int = 0, warm: bool = True) -> Sample:
    return Sample(window_ms=window_ms, stale=stale, sign_out_ms=window_ms / 2, warm=warm)


def test_the_window_is_summed_up_by_nearest_rank_percentiles() -> None:
    samples = [sample(float(ms), stale=1 if ms > 197 else 0) for ms in range(200, 0, -1)]
    samples[10] = sample(190.0, warm=False)
    found = revocation.summarize(samples)
    assert found.samples == 200
    assert (found.p50_ms, found.p99_ms, found.max_ms) == (100.0, 198.0, 200.0)
    assert found.stale == 3
    assert found.cold == 1
    assert found.sign_out_p99_ms == 99.0


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([7.0], 0.99, 7.0),
        ([4.0, 1.0, 3.0, 2.0], 0.5, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 0.99, 4.0),
        ([4.0, 1.0, 3.0, 2.0], 0.0, 1.0),
        ([float(n) for n in range(1, 101)], 0.99, 99.0),
    ],
)
def test_a_percentile_is_a_value_that_was_measured(
    values: list[float], fraction: float, expected: float
) -> None:
    assert revocation.percentile(values, fraction) == expected


def test_no_samples_have_no_percentile() -> None:
    with pytest.raises(ValueError, match="no values"):
        revocation.percentile([], 0.5)


def test_the_accounts_signed_out_are_none_the_other_scenarios_use() -> None:
    logins = seed.revocation_logins(users=1_000, count=200)
    assert len(logins) == 200
    assert logins[0] == seed.username(seed.REVOCATION_FIRST)
    assert not set(logins) & set(seed.sign_in_logins())
    assert seed.revocation_logins(users=20, count=200) == [seed.username(18), seed.username(19)]


def test_a_token_counts_as_cached_once_the_other_process_answers_it_from_its_cache(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    login = seed.username(seed.REVOCATION_FIRST + ACCOUNTS)  # none the other test signs out
    bearer = {"Authorization": f"Bearer {client.api_token(first.url, login, seed.PASSWORD)}"}

    def hits() -> float:
        return revocation.session_hits(second.url, METRICS_TOKEN)

    before = hits()
    with client.Connection(second.url) as poller:
        assert revocation.warm_up(poller, bearer, lambda: before, limit=0) is False
        assert revocation.warm_up(poller, bearer, hits) is True
    assert hits() > before


def test_each_sign_out_is_watched_from_the_other_process_until_it_is_refused(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    logins = seed.revocation_logins(users=seed.REVOCATION_FIRST + ACCOUNTS, count=ACCOUNTS)
    hits = revocation.session_hits(second.url, METRICS_TOKEN)
    samples = revocation.measure(
        first.url,
        second.url,
        logins=logins,
        password=seed.PASSWORD,
        samples=ACCOUNTS + 1,  # one account signs in and out twice
        metrics_token=METRICS_TOKEN,
    )
    assert len(samples) == ACCOUNTS + 1
    assert all(each.warm for each in samples), samples  # the second had each one cached
    assert revocation.session_hits(second.url, METRICS_TOKEN) - hits >= len(samples)
    assert all(each.window_ms > 0 and each.sign_out_ms > 0 for each in samples)
    found = revocation.summarize(samples)
    assert found.samples == ACCOUNTS + 1
    assert found.stale == sum(each.stale for each in samples)
    assert found.cold == 0
    assert found.p50_ms <= found.p99_ms <= found.max_ms
    for login in logins:  # every session the bench opened has ended
        assert live_sessions(first.url, login) == 1  # the one opened to ask


def test_a_token_never_seen_cached_is_measured_all_the_same_and_counted_cold(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    login = seed.username(seed.REVOCATION_FIRST + ACCOUNTS)
    token = client.api_token(first.url, login, seed.PASSWORD)
    found = revocation.revoke(first.url, second.url, token, lambda: 0.0, patience=0)
    assert found.warm is False
    bearer = {"Authorization": f"Bearer {token}"}
    for server in pair:
        assert client.fetch(server.url, "GET", revocation.ME, headers=bearer).status == 401


def live_sessions(base: str, login: str) -> int:
    token = client.api_token(base, login, seed.PASSWORD)
    answer = client.fetch(
        base, "GET", "/api/v1/sessions", headers={"Authorization": f"Bearer {token}"}
    )
    return len(json.loads(client.expect(answer, 200, "GET /api/v1/sessions").body)["items"])


@pytest.fixture(scope="module")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        message = f"Redis is not reachable at {REDIS_URL}"
        if REDIS_REQUIRED:
            pytest.fail(message + " (GATEHOUSE_REQUIRE_REDIS=1)")
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, static_root: Path, redis_url: str
) -> Iterator[tuple[Server, Server]]:
    """Two single-worker Gatehouse processes in production on one seeded SQLite file and
    one Redis, /metrics on; a changed account is cached again after a second, not five,
    to keep the tests short."""
    home = tmp_path_factory.mktemp("revocation")
    url = seed.fresh_sqlite(home / "bench.db")
    hashed = seed.password_hash(make_context(fast=True))
    count = seed.REVOCATION_FIRST + ACCOUNTS + 1
    asyncio.run(seed.seed_users(url, first=0, count=count, hashed=hashed))
    with ExitStack() as stack:
        started = []
        for name in ("first", "second"):
            port = servers.free_port()
            env = servers.gatehouse_environment(
                url,
                port=port,
                secret_key="s" * 40,
                instance=home / "instance",
                redis_url=redis_url,
                static_root=static_root,
                metrics_token=METRICS_TOKEN,
            )
            server = servers.start(
                name,
                servers.gatehouse_command(port, workers=1),
                port=port,
                log=home / f"{name}.log",
                env={**env, "CACHE_SETTLE": "1"},
                ready_path="/readyz",
            )
            stack.callback(server.stop)
            started.append(server)
        yield started[0], started[1]
