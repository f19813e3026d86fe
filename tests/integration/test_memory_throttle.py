"""The in-process counters behind every limit and the sign-in throttle built on them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from domain.ports import RateLimit
from infrastructure import rate_limits
from infrastructure.rate_limits import MemoryCounters
from infrastructure.throttle import WindowLoginThrottle

LIMIT = 3
WINDOW = timedelta(seconds=60)
ITEM = RateLimit(LIMIT, WINDOW)


def a_throttle(counters: MemoryCounters | None = None) -> WindowLoginThrottle:
    return WindowLoginThrottle(counters or MemoryCounters(), limit=LIMIT, window=WINDOW)


async def test_a_key_takes_limit_attempts_then_is_refused_for_about_the_window() -> None:
    throttle = a_throttle()

    taken = [await throttle.reserve("ann") for _ in range(LIMIT)]
    refused = await throttle.reserve("ann")

    assert taken == [None] * LIMIT
    assert refused is not None
    assert WINDOW.total_seconds() - 5 <= refused <= WINDOW.total_seconds()
    assert await throttle.reserve("bob") is None


async def test_reservations_at_once_let_exactly_the_limit_through() -> None:
    throttle = a_throttle()

    waits = await asyncio.gather(*(throttle.reserve("ann") for _ in range(40)))

    assert waits.count(None) == LIMIT


async def test_a_refused_attempt_is_not_counted_and_the_window_moves_on() -> None:
    counters = MemoryCounters()
    item = RateLimit(2, timedelta(seconds=2))
    first = await counters.hit((item, "ann"))
    await asyncio.sleep(1.2)
    later = [(await counters.hit((item, "ann")))[0].allowed for _ in range(3)]
    await asyncio.sleep(1.0)  # the first hit has left the window, the second has not

    assert first[0].allowed
    assert later == [True, False, False]
    assert (await counters.hit((item, "ann")))[0].allowed
    assert not (await counters.hit((item, "ann")))[0].allowed


async def test_reset_forgets_every_attempt() -> None:
    throttle = a_throttle()
    for _ in range(LIMIT):
        await throttle.reserve("ann")

    await throttle.reset("ann")

    assert await throttle.reserve("ann") is None


async def test_a_released_hit_is_given_back() -> None:
    counters = MemoryCounters()
    for _ in range(LIMIT):
        await counters.hit((ITEM, "ann"))

    await counters.release(ITEM, "ann")

    (window,) = await counters.hit((ITEM, "ann"))
    assert window.allowed
    assert window.remaining == 0


async def test_a_hit_reports_the_windows_state_after_it() -> None:
    counters = MemoryCounters()

    first, other = await counters.hit((ITEM, "ann"), (RateLimit(10, WINDOW), "ann"))

    assert (first.allowed, first.limit, first.remaining) == (True, LIMIT, LIMIT - 1)
    assert 55 <= first.reset_in <= 60
    assert (other.limit, other.remaining) == (10, 9)


async def test_passed_hits_are_swept_at_most_every_few_seconds_not_after_every_hit() -> None:
    counters = MemoryCounters()
    item = RateLimit(5, timedelta(seconds=1))
    await counters.hit((item, "ann"))
    sweep = counters.storage.timer
    assert sweep is not None
    await sweep
    for _ in range(3):
        await counters.hit((item, "bob"))
    assert counters.storage.timer is sweep  # no new sweep so soon

    await asyncio.sleep(1.1)
    counters.storage._next_sweep = 0.0  # as if SWEEP_EVERY had passed
    await counters.hit((item, "carl"))
    assert counters.storage.timer is not sweep
    await counters.storage.timer
    assert set(counters.storage.events) == {"LIMITER/carl/5/1/second"}
    assert rate_limits.SWEEP_EVERY >= 1
