"""Attempts per key (an account name, an e-mail address) in a moving window, each counted
before it is made: in this process, or shared through Redis."""

from __future__ import annotations

from datetime import timedelta

from domain.ports import LoginThrottle, RateCounters, RateLimit


class WindowLoginThrottle(LoginThrottle):
    """At most ``limit`` attempts per key in any ``window``; a release gives one place
    back, a reset forgets them all."""

    def __init__(self, counters: RateCounters, *, limit: int, window: timedelta) -> None:
        self._counters = counters
        self._limit = RateLimit(limit, window)

    async def reserve(self, key: str) -> int | None:
        (window,) = await self._counters.hit((self._limit, key))
        return None if window.allowed else window.retry_after

    async def release(self, key: str) -> None:
        await self._counters.release(self._limit, key)

    async def reset(self, key: str) -> None:
        await self._counters.clear(self._limit, key)
