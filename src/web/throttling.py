"""Per-address rate limits on every route, tuned by the settings.

Before a view runs, the request takes a place in each of its limits' moving windows
(``request`` for every route, plus those its view names with ``limited``), all in one
step of the counters; a full window answers 429 with Retry-After and says in words
which limit it was and when to try again. Every limited response says where the
tightest of its limits stands in RateLimit-* headers.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from quart import Quart, Response, current_app, g, request
from werkzeug.exceptions import TooManyRequests

from domain.ports import RateCounters, RateLimit, Window
from web.client import client_ip
from web.waits import try_again

F = TypeVar("F", bound=Callable[..., object])
PRUNE_AT = 10_000
LIMITS = "gatehouse.rate_limits"
COUNTERS = "gatehouse.rate_counters"
LIMITED = "_gatehouse_rate_limits"
WINDOWS = "_gatehouse_rate_windows"
DEFAULT = "request"
# Endpoints no limit applies to: probes must answer a load balancer however often it
# asks. (Static files are served before a request reaches Quart, so no limit applies.)
EXEMPT = frozenset({"health.alive", "health.ready"})


# Why a request was refused, by the limit that refused it; the wait follows in words.
REFUSALS = {
    DEFAULT: "You have sent a lot of requests in a short time.",
    "sign_in": "There have been too many sign-in attempts from your network.",
    "register_attempt": "There have been too many tries at creating an account from your network.",
    "register": "Too many accounts have been created from your network.",
    "reset_request": "Too many password resets have been asked for from your network.",
    "verification": "Too many verification links have been asked for from your network.",
}


class Throttled(TooManyRequests):
    """A per-address limit is full: ``limit`` names it, ``why`` says so in words, and
    the description adds when to try again (the problem's detail)."""

    def __init__(self, limit: str, retry_after: int) -> None:
        self.why = REFUSALS.get(limit, "There have been too many requests from your network.")
        super().__init__(f"{self.why} {try_again(retry_after)}", retry_after=retry_after)
        self.limit = limit
        self.wait = retry_after


def limited(name: str) -> Callable[[F], F]:
    """Give a view its own named limit, on top of the default one."""

    def decorate(view: F) -> F:
        setattr(view, LIMITED, (*getattr(view, LIMITED, ()), name))
        return view

    return decorate


def register_rate_limits(app: Quart, limits: dict[str, RateLimit], counters: RateCounters) -> None:
    """Counted by ``counters`` until ``use_counters`` hands over others (serving's own)."""
    app.extensions[LIMITS] = limits
    app.extensions[COUNTERS] = counters
    app.before_request(check_rate_limits)
    app.after_request(rate_limit_headers)


def use_counters(app: Quart, counters: RateCounters) -> None:
    app.extensions[COUNTERS] = counters


async def check_rate_limits() -> None:
    """Raises: TooManyRequests, when a window of the route's limits is full."""
    if names := _limit_names():
        await _take(names)


@asynccontextmanager
async def reserved(name: str) -> AsyncIterator[None]:
    """A place in the named limit's window for what the block makes, given back when
    the block raises: only what was made counts. Raises: TooManyRequests"""
    await _take((name,))
    try:
        yield
    except BaseException:
        limit: RateLimit = current_app.extensions[LIMITS][name]
        await _counters().release(limit, _key(name))
        raise


async def rate_limit_headers(response: Response) -> Response:
    windows: list[Window] = getattr(g, WINDOWS, [])
    if windows:
        tightest = min(windows, key=lambda window: (window.remaining, -window.reset_in))
        response.headers["RateLimit-Limit"] = str(tightest.limit)
        response.headers["RateLimit-Remaining"] = str(tightest.remaining)
        response.headers["RateLimit-Reset"] = str(math.ceil(tightest.reset_in))
    return response


def _limit_names() -> tuple[str, ...]:
    """The limits of the route matched; none when no route matched (nothing to count,
    so no round trip) or the route is exempt."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in EXEMPT:
        return ()
    view = current_app.view_functions.get(endpoint)
    return (DEFAULT, *getattr(view, LIMITED, ()))


async def _take(names: tuple[str, ...]) -> None:
    limits: dict[str, RateLimit] = current_app.extensions[LIMITS]
    windows = await _counters().hit(*((limits[name], _key(name)) for name in names))
    setattr(g, WINDOWS, [*getattr(g, WINDOWS, []), *windows])
    found = zip(names, windows, strict=True)
    if refused := [(window.retry_after, name) for name, window in found if not window.allowed]:
        retry_after, name = max(refused)  # the one to wait longest for
        raise Throttled(name, retry_after)


def _key(name: str) -> str:
    return f"ip:{name}:{client_ip() or 'unknown'}"


def _counters() -> RateCounters:
    counters: RateCounters = current_app.extensions[COUNTERS]
    return counters


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
