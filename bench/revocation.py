"""The revocation window: how long a token signed out on one Gatehouse process still
works on another process that had it cached.

Two single-worker processes, the first and the second, share the database, Redis and
the secret. For each sample an account signs in through the API on the first; the
second reads ``/api/v1/users/me`` with the token until it answers from its own cache
(its ``/metrics`` count a session hit for the answer); then the first signs the token
out (``DELETE /api/v1/sessions/current``, 204) and the second is asked again, back to
back on one keep-alive connection, until it answers 401. The sample is the time from
the 204's arrival to the 401's; every 200 the second gave in between is a stale answer
(each of those requests was sent after the 204 had arrived).

A sign-in changes the account, and a changed account is not cached again for
``CACHE_SETTLE`` (and once more when the relay delivers the change, about a second
later): a token asked for at once would be read from the database every time and the
sample would say nothing about the cache. So the accounts sign in first, one after
another, and each is then asked for until it is cached; one that never is within
``WARM_LIMIT`` is measured all the same and counted as cold (and the samples after it
are asked once each: whatever keeps one token out of the cache would make every later
one wait the limit out too).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from bench import client

ME = "/api/v1/users/me"
SIGN_OUT = "/api/v1/sessions/current"
SESSION_HITS = "gatehouse_cache_hits_total"
WARM_PAUSE = 0.2  # seconds between attempts to get a token cached on the second process
WARM_LIMIT = 20.0  # seconds: well past CACHE_SETTLE (5 s) and the relay's next look (1 s)
POLL_LIMIT = 30.0  # seconds: far past CACHE_LOCAL_TTL (5 s), the promised worst case


@dataclass(frozen=True)
class Sample:
    window_ms: float  # the second's first 401 after the first's 204
    stale: int  # 200s the second gave to requests sent after the 204
    sign_out_ms: float  # the DELETE on the first process, sent to answered
    warm: bool  # the second answered the token from its cache just before the sign-out


@dataclass(frozen=True)
class Summary:
    """The window over the samples (nearest-rank percentiles), and what went stale."""

    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    stale: int  # stale answers over all samples
    cold: int  # samples the second had not cached: they measured a database read
    sign_out_p99_ms: float


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``fraction`` of
    them at or below it (of 200 samples, the p99 is the 198th smallest)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


def summarize(samples: Sequence[Sample]) -> Summary:
    windows = [each.window_ms for each in samples]
    return Summary(
        samples=len(samples),
        p50_ms=percentile(windows, 0.50),
        p99_ms=percentile(windows, 0.99),
        max_ms=max(windows),
        stale=sum(each.stale for each in samples),
        cold=sum(1 for each in samples if not each.warm),
        sign_out_p99_ms=percentile([each.sign_out_ms for each in samples], 0.99),
    )


def session_hits(base: str, metrics_token: str) -> float:
    """How many signed-in requests the process at ``base`` has answered from its cache."""
    answer = client.fetch(
        base, "GET", "/metrics", headers={"Authorization": f"Bearer {metrics_token}"}
    )
    text = client.expect(answer, 200, "GET /metrics").text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == SESSION_HITS and sample.labels.get("kind") == "session"
    )


def measure(
    first: str,
    second: str,
    *,
    logins: Sequence[str],
    password: str,
    samples: int,
    metrics_token: str,
) -> list[Sample]:
    """``samples`` sign-outs on ``first`` watched from ``second``: the accounts of
    ``logins`` sign in on ``first`` (again in each round, when there are fewer of them
    than samples), then each token is revoked in turn."""
    if not logins:
        raise ValueError("no accounts to sign in with")

    def hits() -> float:
        return session_hits(second, metrics_token)

    found: list[Sample] = []
    while len(found) < samples:
        accounts = logins[: samples - len(found)]
        tokens = [client.api_token(first, login, password) for login in accounts]
        for token in tokens:
            patience = WARM_LIMIT if all(each.warm for each in found) else 0.0
            found.append(revoke(first, second, token, hits, patience=patience))
    return found


def revoke(
    first: str,
    second: str,
    token: str,
    hits: Callable[[], float],
    *,
    patience: float = WARM_LIMIT,
) -> Sample:
    """One sample: ``token`` cached on ``second`` (waiting up to ``patience`` seconds
    for it), signed out on ``first``, and asked for on ``second`` until it is refused."""
    bearer = {"Authorization": f"Bearer {token}"}
    with client.Connection(second) as poller, client.Connection(first) as revoker:
        warm = warm_up(poller, bearer, hits, limit=patience)
        sent = time.perf_counter()
        answer = revoker.request("DELETE", SIGN_OUT, headers=bearer)
        revoked = time.perf_counter()
        client.expect(answer, 204, f"DELETE {SIGN_OUT}")
        stale = 0
        while (answer := poller.request("GET", ME, headers=bearer)).status == 200:
            stale += 1
            if time.perf_counter() - revoked > POLL_LIMIT:
                raise client.UnexpectedAnswer(
                    f"a token signed out on {first} still works on {second} "
                    f"after {POLL_LIMIT:.0f} s"
                )
        refused = time.perf_counter()
        client.expect(answer, 401, f"GET {ME} on the other process after the sign-out")
    return Sample(
        window_ms=(refused - revoked) * 1000,
        stale=stale,
        sign_out_ms=(revoked - sent) * 1000,
        warm=warm,
    )


def warm_up(
    poller: client.Connection,
    bearer: dict[str, str],
    hits: Callable[[], float],
    *,
    limit: float = WARM_LIMIT,
) -> bool:
    """Ask until an answer comes from the cache (the first of each pair may read the
    database and keep the copy, the second should not need to); False if none did
    within ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while True:
        client.expect(poller.request("GET", ME, headers=bearer), 200, f"GET {ME}")
        before = hits()
        client.expect(poller.request("GET", ME, headers=bearer), 200, f"GET {ME}")
        if hits() > before:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(WARM_PAUSE)
