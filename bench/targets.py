"""The benchmark figures and their targets: ratios within one run, so the machine's
speed cancels out, each judged pass or miss."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.wrk import Result


@dataclass(frozen=True)
class Summary:
    """One row: medians over the runs, errors added up, and the spread (the lowest and
    highest of the runs) of the throughput and of the p99."""

    runs: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    counted_per_s: float | None = None  # sign-ins a second (Little's law), for sign-ins
    rps_min: float | None = None
    rps_max: float | None = None
    p99_min_ms: float | None = None
    p99_max_ms: float | None = None


def summarize(results: Sequence[Result], *, expected: int, counted: int | None = None) -> Summary:
    return Summary(
        runs=len(results),
        rps=statistics.median(r.rps for r in results),
        p50_ms=statistics.median(r.p50_us for r in results) / 1000,
        p99_ms=statistics.median(r.p99_us for r in results) / 1000,
        errors=sum(r.errors(expected) for r in results),
        counted_per_s=(
            None if counted is None else statistics.median(r.throughput(counted) for r in results)
        ),
        rps_min=min(r.rps for r in results),
        rps_max=max(r.rps for r in results),
        p99_min_ms=min(r.p99_us for r in results) / 1000,
        p99_max_ms=max(r.p99_us for r in results) / 1000,
    )


@dataclass(frozen=True)
class Target:
    label: str
    at_least: float | None = None
    at_most: float | None = None
    floor: float | None = None  # the figure must never fall below this (the Flask app's)

    @property
    def text(self) -> str:
        if self.at_least is not None:
            never = "" if self.floor is None else f", never < {self.floor:g}"
            return f">= {self.at_least:g}{never}"
        if self.at_most is not None:
            return f"<= {self.at_most:g}" if self.at_most else "= 0"
        return ""

    def met(self, value: float) -> bool | None:
        if self.at_least is not None:
            return value >= self.at_least
        if self.at_most is not None:
            return value <= self.at_most
        return None


MEMBERS = Target("signed-in members page ÷ bare ASGI", at_least=0.28, floor=0.19)
HOME = Target("signed-out home ÷ bare ASGI", at_least=0.33, floor=0.23)
NOT_FOUND = Target("404 ÷ bare ASGI", at_least=0.40, floor=0.35)
SIGN_INS = Target("valid sign-ins/s ÷ hash-bound limit", at_least=0.85)
STORM = Target("members p99 in sign-in storm ÷ alone", at_most=5)
DEEP = Target("deep page ÷ first page at scale", at_least=0.8)
RSS = Target("worker RSS after the runs, MB", at_most=80)
ERRORS = Target("errors", at_most=0)
QUART = Target("bare Quart ÷ bare ASGI (context)")
API = Target("API /users/me ÷ bare ASGI", at_least=0.30)
REVOCATION = Target("revocation seen by another process, p99 ms", at_most=100)


NOT_APPLICABLE = "n/a"  # what a figure without a value says: it has no meaning there
NOT_MEASURED = "not measured"  # ... or it has, but the run left it out


@dataclass(frozen=True)
class Figure:
    target: Target
    value: float | None
    missing: str = NOT_APPLICABLE

    @property
    def verdict(self) -> str:
        if self.value is None:
            return self.missing
        met = self.target.met(self.value)
        return "" if met is None else ("pass" if met else "miss")


def ratio(top: float | None, bottom: float | None) -> float | None:
    if top is None or not bottom:
        return None
    return top / bottom


def figures(
    rows: Mapping[str, Summary],
    database: str,
    *,
    hash_limit_per_s: float | None,
    worker_rss_mb: float | None,
    revocation_p99_ms: float | None = None,
    revocation_applies: bool = True,
) -> list[Figure]:
    """Every figure for one database's rows (keys ``<database>/<scenario>``) against the
    baselines (``asgi``, ``quart``) of the same run, and the revocation window's p99
    where one was measured (where it does not apply, n/a; where it was left out, not
    measured)."""

    def rps(key: str) -> float | None:
        row = rows.get(key)
        return None if row is None else row.rps

    def p99(name: str) -> float | None:
        row = rows.get(f"{database}/{name}")
        return None if row is None else row.p99_ms

    sign_in = rows.get(f"{database}/sign-in")
    signed_in_per_s = None if sign_in is None else sign_in.counted_per_s
    own = [row for key, row in rows.items() if key.startswith(f"{database}/")]
    return [
        Figure(MEMBERS, ratio(rps(f"{database}/members"), rps("asgi"))),
        Figure(HOME, ratio(rps(f"{database}/home"), rps("asgi"))),
        Figure(NOT_FOUND, ratio(rps(f"{database}/not-found"), rps("asgi"))),
        Figure(SIGN_INS, ratio(signed_in_per_s, hash_limit_per_s)),
        Figure(STORM, ratio(p99("storm-members"), p99("members"))),
        Figure(DEEP, ratio(rps(f"{database}/scale-deep"), rps(f"{database}/scale-first"))),
        Figure(RSS, worker_rss_mb),
        Figure(ERRORS, float(sum(row.errors for row in own)) if own else None),
        Figure(QUART, ratio(rps("quart"), rps("asgi"))),
        Figure(API, ratio(rps(f"{database}/api-me"), rps("asgi"))),
        Figure(
            REVOCATION, revocation_p99_ms, NOT_MEASURED if revocation_applies else NOT_APPLICABLE
        ),
    ]
