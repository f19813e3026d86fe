"""The numbers behind /metrics, in the Prometheus text format (prometheus-client).

Requests are observed as they finish (one histogram for their latency, one for their
Redis round trips). Everything else is counted where it happens in plain attributes
(the read cache's counts, the Redis guard's round trips, the hashing pool's queue, the
database pool) and only read when /metrics is scraped, so serving pays nothing for
them. Each process has its own registry and serves its own numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.gc_collector import GCCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

from application.caching import CacheCounts
from application.services import Services
from infrastructure.near_cache import NearCacheCounts
from infrastructure.passwords import HashingPool
from infrastructure.redis_guard import RedisGuard, count_round_trips

PREFIX = "gatehouse"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
ROUND_TRIP_BUCKETS = (0, 1, 2, 3, 4, 6, 8, 12, 16)


class Watched(Protocol):
    """What a serving process is made of (web.bootstrap.Runtime)."""

    @property
    def services(self) -> Services: ...
    @property
    def engine(self) -> AsyncEngine: ...
    @property
    def guard(self) -> RedisGuard | None: ...
    @property
    def hashing(self) -> HashingPool | None: ...
    @property
    def near_counts(self) -> NearCacheCounts | None: ...


class PrometheusMetrics:
    """One process's metrics: ``begin`` and ``observe`` each request, ``watch`` the
    runtime once it is built, ``exposition`` when scraped."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._latency = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time from the first request hook to the response, by route and status.",
            ("route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._round_trips = Histogram(
            f"{PREFIX}_redis_round_trips_per_request",
            "Redis calls a request made, by route.",
            ("route",),
            buckets=ROUND_TRIP_BUCKETS,
            registry=self.registry,
        )
        self._by_route: dict[tuple[str, int], tuple[Histogram, Histogram]] = {}
        self._runtime = RuntimeCollector()
        self.registry.register(self._runtime)
        ProcessCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def watch(self, runtime: Watched) -> None:
        self._runtime.runtime = runtime

    def begin(self) -> list[int]:
        """Start counting this request's Redis round trips."""
        return count_round_trips()

    def observe(self, begun: list[int], route: str, status: int, seconds: float) -> None:
        latency, round_trips = self._series(route, status)
        latency.observe(seconds)
        round_trips.observe(begun[0])

    def _series(self, route: str, status: int) -> tuple[Histogram, Histogram]:
        """The labelled histograms, looked up once per route and status (the labels are
        a bounded set, so this stays small) rather than through ``labels`` each time."""
        found = self._by_route.get((route, status))
        if found is None:
            found = (self._latency.labels(route, str(status)), self._round_trips.labels(route))
            self._by_route[(route, status)] = found
        return found

    def exposition(self) -> tuple[bytes, str]:
        """The page and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class RuntimeCollector(Collector):
    """Reads the runtime's own counts at scrape time."""

    def __init__(self) -> None:
        self.runtime: Watched | None = None

    def collect(self) -> Iterable[Metric]:
        runtime = self.runtime
        if runtime is None:
            return
        yield from cache_metrics(runtime.services.cache.counts)
        if runtime.near_counts is not None:
            yield from near_cache_metrics(runtime.near_counts)
        if runtime.guard is not None:
            yield from redis_metrics(runtime.guard)
        if runtime.hashing is not None:
            yield from hashing_metrics(runtime.hashing)
        yield from database_pool_metrics(runtime.engine)


def cache_metrics(counts: CacheCounts) -> Iterator[Metric]:
    for name, counted, about in (
        ("hits", counts.hits, "Reads served from the cache"),
        ("misses", counts.misses, "Reads the cache could not serve (read from the database)"),
        ("invalidations", counts.invalidations, "Copies forgotten because something changed"),
    ):
        yield _by_kind(f"{PREFIX}_cache_{name}", f"{about}, by kind of copy.", counted)


def _by_kind(name: str, documentation: str, counted: Counter[str]) -> Metric:
    family = CounterMetricFamily(name, documentation, labels=("kind",))
    for kind, value in sorted(counted.items()):
        family.add_metric((kind,), value)
    return family


def near_cache_metrics(counts: NearCacheCounts) -> Iterator[Metric]:
    """The copies of Redis's keys this process keeps (infrastructure.near_cache)."""
    for name, value, about in (
        ("hits", counts.hits, "Keys read from this process's copies, not from Redis"),
        ("misses", counts.misses, "Keys read from Redis"),
        ("invalidations", counts.invalidations, "Copies forgotten because their key changed"),
        ("flushes", counts.flushes, "Times every copy was forgotten (channel not live)"),
    ):
        yield CounterMetricFamily(f"{PREFIX}_near_cache_{name}", f"{about}.", value=value)


def redis_metrics(guard: RedisGuard) -> Iterator[Metric]:
    yield CounterMetricFamily(
        f"{PREFIX}_redis_round_trips",
        "Calls sent to Redis (not those served in-process while it was down).",
        value=guard.round_trips,
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_redis_available",
        "1 while Redis is used, 0 while cooling off after a failure.",
        value=1 if guard.available else 0,
    )


def hashing_metrics(pool: HashingPool) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        f"{PREFIX}_hashing_threads", "Threads that hash passwords.", value=pool.threads
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_hashing_queue_depth",
        "Password hashes waiting for a hashing thread.",
        value=pool.queued,
    )
    yield SummaryMetricFamily(
        f"{PREFIX}_hashing_wait_seconds",
        "Time a password hash waited for a hashing thread.",
        count_value=pool.waits,
        sum_value=pool.waited,
    )


def database_pool_metrics(engine: AsyncEngine) -> Iterator[Metric]:
    """Connections checked out of the pool and its size, for pools that keep count
    (SQLAlchemy's queue pools do: the PostgreSQL one and a SQLite file's)."""
    pool = engine.pool
    checked_out = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if callable(checked_out):
        yield GaugeMetricFamily(
            f"{PREFIX}_db_pool_in_use",
            "Database connections checked out of the pool.",
            value=checked_out(),
        )
    if callable(size):
        yield GaugeMetricFamily(
            f"{PREFIX}_db_pool_size", "Connections the pool keeps open.", value=size()
        )
