"""/metrics: off by default, behind a bearer token when on, and counting what it claims."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from quart import Quart
from quart.testing import QuartClient

from infrastructure.settings import SettingsError, describe, load_settings
from tests.web.conftest import AppMaker, engine_of, new_account, sign_in
from tests.web.test_shared_limits import redis_url  # noqa: F401 (a fixture)
from tests.web.test_throttling import unlimited_routes
from web.runtime import RUNTIME, SERVICES

TOKEN = "metrics-token-for-the-tests-0123456789"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
LATENCY = "gatehouse_http_request_duration_seconds"
SETTLE = 0.05  # CACHE_SETTLE: how long a changed account is not cached


@pytest.fixture
async def metered(make_app: AppMaker) -> AsyncIterator[Quart]:
    async with make_app(METRICS_TOKEN=TOKEN) as app:
        yield app


async def scrape(client: QuartClient) -> list[Sample]:
    response = await client.get("/metrics", headers=AUTHORIZED)
    assert response.status_code == 200
    text = await response.get_data(as_text=True)
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    """The sample's value, 0 when it is not there yet."""
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    return sum(found)


async def test_metrics_are_off_by_default_and_answer_as_an_unknown_page(
    make_app: AppMaker,
) -> None:
    async with make_app() as app:
        client = app.test_client()
        plain = await client.get("/metrics")
        with_token = await client.get("/metrics", headers=AUTHORIZED)
        unknown = await client.get("/no-such-page/")
    assert plain.status_code == with_token.status_code == unknown.status_code == 404
    assert "Page not found" in await plain.get_data(as_text=True)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
        f"Bearer  {TOKEN}",
        "Bearer \x00",
    ],
)
async def test_a_missing_or_wrong_token_gets_the_unknown_page(
    metered: Quart, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await metered.test_client().get("/metrics", headers=headers)
    assert response.status_code == 404
    assert "gatehouse_" not in await response.get_data(as_text=True)


async def test_the_right_token_gets_the_prometheus_text_format(metered: Quart) -> None:
    response = await metered.test_client().get("/metrics", headers=AUTHORIZED)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert "version=" in response.content_type
    assert response.headers["Cache-Control"] == "no-store"
    text = await response.get_data(as_text=True)
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {
        LATENCY,
        "gatehouse_cache_hits",
        "gatehouse_cache_misses",
        "gatehouse_cache_invalidations",
        "gatehouse_hashing_queue_depth",
        "gatehouse_hashing_wait_seconds",
        "gatehouse_db_pool_in_use",
        "process_resident_memory_bytes",
    } <= names


async def test_requests_to_a_page_add_to_its_routes_latency_histogram(metered: Quart) -> None:
    client = metered.test_client()
    before = value(await scrape(client), f"{LATENCY}_count", route="/about/", status="200")
    for _ in range(3):
        assert (await client.get("/about/")).status_code == 200
    after = await scrape(client)
    assert value(after, f"{LATENCY}_count", route="/about/", status="200") == before + 3
    assert value(after, f"{LATENCY}_bucket", route="/about/", status="200", le="+Inf") >= 3


async def test_labels_name_the_route_never_the_path(metered: Quart) -> None:
    client = metered.test_client()
    assert (await client.get("/no-such-page/123")).status_code == 404
    assert (await client.get("/admin/users/00000000-0000-0000-0000-000000000000")).status_code
    samples = await scrape(client)
    labels = {label for s in samples for label in s.labels.values()}
    assert not any("no-such-page" in label or "0000" in label for label in labels)
    assert value(samples, f"{LATENCY}_count", route="(unmatched)", status="404") >= 1
    assert any(label.startswith("/admin/users/<") for label in labels)


async def test_reading_a_signed_in_page_twice_moves_the_cache_counters(
    make_app: AppMaker,
) -> None:
    async with make_app(METRICS_TOKEN=TOKEN, CACHE_SETTLE=SETTLE) as app:
        account = await new_account(app.extensions[SERVICES], "mc")
        client = app.test_client()
        await sign_in(client, account.user.username)
        await asyncio.sleep(SETTLE * 3)  # the sign-in's change settled: cacheable again
        before, after = await read_members_twice(client)
    for kind in ("session", "members"):
        assert value(after, "gatehouse_cache_hits_total", kind=kind) > value(
            before, "gatehouse_cache_hits_total", kind=kind
        ), kind
    assert value(after, "gatehouse_cache_misses_total") > value(
        before, "gatehouse_cache_misses_total"
    )
    assert value(after, "gatehouse_cache_invalidations_total", kind="account") >= 1


async def read_members_twice(client: QuartClient) -> tuple[list[Sample], list[Sample]]:
    before = await scrape(client)
    for _ in range(2):
        assert (await client.get("/users/")).status_code == 200
    return before, await scrape(client)


async def test_a_sign_in_is_counted_by_the_hashing_pool(metered: Quart) -> None:
    account = await new_account(metered.extensions[SERVICES], "mh")
    client = metered.test_client()
    before = value(await scrape(client), "gatehouse_hashing_wait_seconds_count")
    await sign_in(client, account.user.username)
    after = await scrape(client)
    assert value(after, "gatehouse_hashing_wait_seconds_count") >= before + 1
    assert value(after, "gatehouse_hashing_queue_depth") == 0
    assert value(after, "gatehouse_hashing_threads") == 1


async def test_the_database_pool_in_use_counts_a_held_connection(metered: Quart) -> None:
    client = metered.test_client()
    async with engine_of(metered).connect():
        held = await scrape(client)
    assert value(held, "gatehouse_db_pool_in_use") >= 1
    assert value(held, "gatehouse_db_pool_size") >= 1
    # The outbox relay may hold one for a moment now and then: the least of a few looks.
    released = min([value(await scrape(client), "gatehouse_db_pool_in_use") for _ in range(3)])
    assert released <= value(held, "gatehouse_db_pool_in_use") - 1


async def test_redis_round_trips_are_counted_in_all_and_per_request(
    make_app: AppMaker,
    redis_url: str,  # noqa: F811 (the fixture)
) -> None:
    async with make_app(METRICS_TOKEN=TOKEN, REDIS_URL=redis_url) as app:
        client = app.test_client()
        before = await scrape(client)
        assert (await client.get("/about/")).status_code == 200
        after = await scrape(client)
    trips = "gatehouse_redis_round_trips_total"
    per_request = "gatehouse_redis_round_trips_per_request"
    assert value(after, trips) > value(before, trips)
    assert value(after, f"{per_request}_sum", route="/about/") >= 1
    assert value(after, "gatehouse_redis_available") == 1


async def test_parallel_requests_each_count_only_their_own_round_trips(
    make_app: AppMaker,
    redis_url: str,  # noqa: F811 (the fixture)
) -> None:
    """Every /about/ makes the same round trips; fired at once, each request's count
    must still be its own (a shared count would give some requests the others')."""
    per_request = "gatehouse_redis_round_trips_per_request"
    async with make_app(METRICS_TOKEN=TOKEN, REDIS_URL=redis_url) as app:
        client = app.test_client()
        assert (await client.get("/about/")).status_code == 200
        one = value(await scrape(client), f"{per_request}_sum", route="/about/")
        responses = await asyncio.gather(*(client.get("/about/") for _ in range(20)))
        samples = await scrape(client)
    assert [r.status_code for r in responses] == [200] * 20
    assert value(samples, f"{per_request}_count", route="/about/") == 21
    assert value(samples, f"{per_request}_sum", route="/about/") == 21 * one


async def test_with_metrics_on_every_route_is_still_limited_or_exempt(
    make_app: AppMaker,
) -> None:
    async with make_app(REQUEST_IP_LIMIT=2, METRICS_TOKEN=TOKEN) as app:
        assert "/metrics" in {rule.rule for rule in app.url_map.iter_rules()}
        assert await unlimited_routes(app) == set()


def test_a_short_metrics_token_is_refused_at_start_up() -> None:
    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        load_settings(GATEHOUSE_ENV="test", METRICS_TOKEN="short")


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_without_the_token_no_method_tells_metrics_from_an_unknown_page(
    metered: Quart, method: str
) -> None:
    client = metered.test_client()
    metrics = await client.open("/metrics", method=method)
    unknown = await client.open("/no-such-page/", method=method)
    assert metrics.status_code == unknown.status_code == 404
    assert "Allow" not in metrics.headers


async def test_with_the_token_only_reading_is_answered(metered: Quart) -> None:
    client = metered.test_client()
    head = await client.head("/metrics", headers=AUTHORIZED)
    post = await client.post("/metrics", headers=AUTHORIZED)
    assert (head.status_code, post.status_code) == (200, 404)


def test_the_token_is_masked_where_settings_are_shown() -> None:
    shown = dict(describe(load_settings(GATEHOUSE_ENV="test", METRICS_TOKEN=TOKEN)))
    assert shown["METRICS_TOKEN"] == "********"
    assert dict(describe(load_settings(GATEHOUSE_ENV="test")))["METRICS_TOKEN"] == "(unset)"


async def test_with_redis_the_near_cache_counts_its_copies(
    make_app: AppMaker,
    redis_url: str,  # noqa: F811 (the fixture)
) -> None:
    """/metrics reports the process's near-cache counts (how they move is tested in
    tests/integration/test_near_cache.py, without the timing of a whole app)."""
    async with make_app(METRICS_TOKEN=TOKEN, REDIS_URL=redis_url, CACHE_SETTLE=SETTLE) as app:
        near_cache = app.extensions[RUNTIME].near_cache
        for _ in range(500):  # copies are kept only once the channel is subscribed
            if near_cache._channel.live:
                break
            await asyncio.sleep(0.01)
        account = await new_account(app.extensions[SERVICES], "mn")
        client = app.test_client()
        await sign_in(client, account.user.username)
        await asyncio.sleep(SETTLE * 3)
        for _ in range(3):  # copies kept, and kept again once their own writes are heard
            assert (await client.get("/users/")).status_code == 200
            await asyncio.sleep(0.2)
        low = replace(near_cache.counts)
        samples = await scrape(client)
        high = replace(near_cache.counts)
    for name in ("hits", "misses", "invalidations", "flushes"):
        shown = value(samples, f"gatehouse_near_cache_{name}_total")
        assert getattr(low, name) <= shown <= getattr(high, name), name
    assert value(samples, "gatehouse_near_cache_hits_total") > 0


async def test_without_redis_there_is_no_near_cache_to_count(metered: Quart) -> None:
    names = {s.name for s in await scrape(metered.test_client())}
    assert not any(name.startswith("gatehouse_near_cache") for name in names)
