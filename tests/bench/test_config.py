"""The benchmark's settings from BENCH_* variables."""

from __future__ import annotations

import re

import pytest

from bench.config import BenchConfig, ConfigError, from_environment


def test_without_variables_the_defaults_apply() -> None:
    assert from_environment({}) == BenchConfig()


def test_variables_set_duration_runs_and_databases() -> None:
    config = from_environment(
        {"BENCH_DURATION": "2", "BENCH_RUNS": "3", "BENCH_DATABASES": "postgresql"}
    )
    assert (config.duration, config.runs, config.databases) == (2, 3, ("postgresql",))


def test_the_scale_run_can_be_left_out() -> None:
    assert from_environment({"BENCH_SCALE_USERS": "0"}).scale_users == 0


def test_the_development_default_is_measured_unless_switched_off() -> None:
    assert from_environment({}).development is True
    assert from_environment({"BENCH_DEVELOPMENT": "0"}).development is False


def test_the_revocation_samples_are_set_and_zero_leaves_them_out() -> None:
    assert from_environment({}).revocation_samples == 200
    assert from_environment({"BENCH_REVOCATION_SAMPLES": "50"}).revocation_samples == 50
    assert from_environment({"BENCH_REVOCATION_SAMPLES": "0"}).revocation_samples == 0


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"BENCH_DURATION": "five"}, "BENCH_DURATION must be a whole number"),
        ({"BENCH_RUNS": "0"}, "BENCH_RUNS must be at least 1"),
        ({"BENCH_DATABASES": "mysql"}, "BENCH_DATABASES"),
        ({"BENCH_SCALE_USERS": "500"}, "BENCH_SCALE_USERS must exceed"),
        ({"BENCH_POSTGRES_URL": "postgresql://x/y"}, "postgresql+asyncpg://"),
        ({"BENCH_DEVELOPMENT": "yes"}, "BENCH_DEVELOPMENT must be 0 or 1"),
        ({"BENCH_REVOCATION_SAMPLES": "-1"}, "BENCH_REVOCATION_SAMPLES must be at least 0"),
    ],
)
def test_a_wrong_value_is_named(variables: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        from_environment(variables)
