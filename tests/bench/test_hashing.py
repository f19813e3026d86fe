"""The hash-bound limit: cores ÷ the CPU time of one password check."""

from __future__ import annotations

import pytest

from bench import hashing
from infrastructure.passwords import make_context


def test_the_limit_is_cores_over_the_cpu_time_of_one_check() -> None:
    cost = hashing.HashCost(cores=2, samples=10, wall_s=0.1, cpu_s=0.2)
    assert cost.limit_per_s == pytest.approx(10.0)
    assert cost.as_dict()["limit_per_s"] == 10.0


def test_measuring_times_real_checks_with_the_given_hasher() -> None:
    cost = hashing.measure(samples=2, context=make_context(fast=True))
    assert cost.cores == hashing.cores() >= 1
    assert cost.samples == 2
    assert cost.wall_s > 0
    assert cost.cpu_s > 0
