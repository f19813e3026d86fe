"""The in-process sign-in throttle and rate-limit store, on an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from infrastructure import rate_limits
from infrastructure.rate_limits import PruningMemoryStore
from infrastructure.throttle import MemoryLoginThrottle

MAX_FAILURES = 3
WINDOW = timedelta(seconds=60)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def a_throttle(clock: FakeMonotonic) -> MemoryLoginThrottle:
    return MemoryLoginThrottle(max_failures=MAX_FAILURES, window=WINDOW, monotonic=clock)


async def fail(throttle: MemoryLoginThrottle, key: str, times: int = MAX_FAILURES) -> None:
    for _ in range(times):
        await throttle.record_failure(key)


async def test_a_key_is_locked_only_once_it_reaches_max_failures() -> None:
    throttle = a_throttle(FakeMonotonic())

    await fail(throttle, "ann", MAX_FAILURES - 1)
    assert await throttle.retry_after("ann") is None
    await throttle.record_failure("ann")

    assert await throttle.retry_after("ann") == 60
    assert await throttle.retry_after("bob") is None


async def test_retry_after_counts_down_to_the_end_of_the_window() -> None:
    clock = FakeMonotonic()
    throttle = a_throttle(clock)
    await fail(throttle, "ann")

    clock.now += 20.5
    assert await throttle.retry_after("ann") == 40  # 39.5 s left, rounded up
    clock.now += 39
    assert await throttle.retry_after("ann") == 1
    clock.now += 0.5
    assert await throttle.retry_after("ann") is None


async def test_the_window_starts_with_the_first_failure_and_is_not_extended() -> None:
    clock = FakeMonotonic()
    throttle = a_throttle(clock)
    await throttle.record_failure("ann")

    clock.now += 50
    await fail(throttle, "ann", MAX_FAILURES - 1)

    assert await throttle.retry_after("ann") == 10


async def test_failures_of_a_passed_window_no_longer_count() -> None:
    clock = FakeMonotonic()
    throttle = a_throttle(clock)
    await fail(throttle, "ann", MAX_FAILURES - 1)

    clock.now += WINDOW.total_seconds()
    await fail(throttle, "ann", MAX_FAILURES - 1)

    assert await throttle.retry_after("ann") is None
    await throttle.record_failure("ann")
    assert await throttle.retry_after("ann") == 60


async def test_reset_unlocks_the_key() -> None:
    throttle = a_throttle(FakeMonotonic())
    await fail(throttle, "ann")

    await throttle.reset("ann")

    assert await throttle.retry_after("ann") is None


async def test_the_store_gives_back_what_was_set_and_the_default_otherwise() -> None:
    store = PruningMemoryStore()
    tat = datetime.now(UTC) + timedelta(minutes=1)
    default = datetime(2000, 1, 1, tzinfo=UTC)

    await store.set("ann", tat)

    assert await store.get("ann", default) == tat
    assert await store.get("bob", default) == default


async def test_the_store_drops_passed_times_every_prune_every_writes() -> None:
    store = PruningMemoryStore()
    default = datetime(2000, 1, 1, tzinfo=UTC)
    passed = datetime.now(UTC) - timedelta(seconds=1)
    future = datetime.now(UTC) + timedelta(minutes=5)
    await store.set("passed", passed)
    await store.set("future", future)

    for index in range(rate_limits.PRUNE_EVERY - 3):
        await store.set(f"filler-{index}", future)
    assert await store.get("passed", default) == passed  # not pruned yet
    await store.set("last", future)  # the PRUNE_EVERY-th write

    assert await store.get("passed", default) == default
    assert await store.get("future", default) == future
    assert await store.get("last", default) == future
