"""What one password check costs with the production hasher, and so how many sign-ins
a second the machine's cores could do at most.

The single-hash time is the CPU time of one check, not its wall time: argon2 computes
its lanes in parallel threads (one check alone keeps more than one core busy), and
other work on the machine would stretch the wall time but not the CPU time. With a
single-threaded hash on an idle machine the two are the same."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass

from passlib.context import CryptContext

from infrastructure.passwords import make_context


@dataclass(frozen=True)
class HashCost:
    cores: int
    samples: int
    wall_s: float  # one check, waited for alone
    cpu_s: float  # the CPU time one check uses, on all its threads

    @property
    def limit_per_s(self) -> float:
        """The hash-bound limit: cores ÷ single-hash (CPU) time."""
        return self.cores / self.cpu_s

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "limit_per_s": round(self.limit_per_s, 2)}


def cores() -> int:
    return len(os.sched_getaffinity(0))


def measure(samples: int = 10, context: CryptContext | None = None) -> HashCost:
    """Time ``samples`` checks of a password against its hash one after another, the
    way the app verifies at sign-in."""
    context = context or make_context()
    hashed = context.hash("one password to check")
    context.verify("one password to check", hashed)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(samples):
        context.verify("one password to check", hashed)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return HashCost(cores=cores(), samples=samples, wall_s=wall / samples, cpu_s=cpu / samples)
