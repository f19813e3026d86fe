"""Per-address rate limits on every route (quart-rate-limiter), tuned by the settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from quart import Quart, current_app, g, has_request_context, request
from quart_rate_limiter import QUART_RATE_LIMITER_LIMITS_ATTRIBUTE, RateLimit, RateLimiter
from quart_rate_limiter.store import RateLimiterStoreABC

from web.client import client_key

F = TypeVar("F", bound=Callable[..., object])
PRUNE_AT = 10_000
LIMITS_KEY = "GATEHOUSE_RATE_LIMITS"
LIMITED = "_gatehouse_rate_limit"
MEMO = "_gatehouse_rate_limit_state"
# Endpoints no limit applies to: probes must answer a load balancer however often it
# asks. (Static files are served before a request reaches Quart, so no limit applies.)
EXEMPT = frozenset({"health.alive", "health.ready"})


@dataclass(frozen=True)
class Limit:
    count: int
    period: timedelta


class ConfiguredLimit(RateLimit):
    """A limit whose count and period come from the app's settings when a request needs
    them, so one decorated view serves apps with different settings."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.key_function = client_key
        self.skip_function = None

    @property
    def count(self) -> int:  # type: ignore[override]
        return self._limit().count

    @property
    def period(self) -> timedelta:  # type: ignore[override]
        return self._limit().period

    def _limit(self) -> Limit:
        limit: Limit = current_app.config[LIMITS_KEY][self.name]
        return limit


def limited(name: str) -> Callable[[F], F]:
    """Give a view its own named limit, on top of the default one."""

    def decorate(view: F) -> F:
        limits = [*getattr(view, QUART_RATE_LIMITER_LIMITS_ATTRIBUTE, []), ConfiguredLimit(name)]
        setattr(view, QUART_RATE_LIMITER_LIMITS_ATTRIBUTE, limits)
        setattr(view, LIMITED, name)
        return view

    return decorate


async def _exempt() -> bool:
    return request.endpoint in EXEMPT


def register_rate_limits(app: Quart, store: RateLimiterStoreABC, limits: dict[str, Limit]) -> None:
    app.config[LIMITS_KEY] = limits
    default = ConfiguredLimit("request")
    default.skip_function = _exempt
    RateLimiter(app, key_function=client_key, store=ReadOnceStore(store), default_limits=[default])


class ReadOnceStore(RateLimiterStoreABC):
    """Reads each limit's state once per request.

    The rate limiter reads a limit's state three times in one request (to check it,
    to update it, and for the response headers) and writes it once; with the state in
    Redis that was four round trips on every request. This keeps what one request
    read or wrote in ``g`` and answers the rest from there: two round trips, and the
    state is still shared by every process.
    """

    def __init__(self, store: RateLimiterStoreABC) -> None:
        self._store = store

    async def before_serving(self) -> None:
        await self._store.before_serving()

    async def after_serving(self) -> None:
        await self._store.after_serving()

    async def get(self, key: str, default: datetime) -> datetime:
        if has_request_context() and request.endpoint is None:
            # No route matched, so the limiter checked nothing before the request; it
            # only wants the state for the response headers. Not worth a round trip.
            return default
        seen = self._seen()
        if seen is None:
            return await self._store.get(key, default)
        if key not in seen:
            seen[key] = await self._store.get(key, default)
        return seen[key]  # the limiter takes the later of this and now

    async def set(self, key: str, tat: datetime) -> None:
        await self._store.set(key, tat)
        if (seen := self._seen()) is not None:
            seen[key] = tat

    @staticmethod
    def _seen() -> dict[str, datetime] | None:
        if not has_request_context():
            return None
        if not hasattr(g, MEMO):
            setattr(g, MEMO, {})
        seen: dict[str, datetime] = getattr(g, MEMO)
        return seen


class OncePerWindow:
    """True the first time a key is seen in each window: keeps a flood of rejected
    requests from becoming a flood of audit rows."""

    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._monotonic = monotonic
        self._until: dict[str, float] = {}

    def first(self, key: str) -> bool:
        now = self._monotonic()
        if self._until.get(key, 0.0) > now:
            return False
        if len(self._until) > PRUNE_AT:
            self._until = {k: v for k, v in self._until.items() if v > now}
        self._until[key] = now + self._seconds
        return True
