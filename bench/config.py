"""The benchmark's own settings, from ``BENCH_*`` environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATABASES = ("sqlite", "postgresql")
RESULTS = Path(__file__).resolve().parent / "results"


class ConfigError(Exception):
    """A ``BENCH_*`` variable is wrong; the message names it."""


@dataclass(frozen=True)
class BenchConfig:
    """How long, how hard and against what the benchmark runs (see README, Benchmark)."""

    duration: int = 5  # seconds per wrk run
    runs: int = 5  # interleaved rounds; medians over them
    warmup: int = 1  # seconds per scenario before the first round, not counted
    threads: int = 1
    connections: int = 32
    sign_in_connections: int = 16
    timeout: int = 10  # wrk's per-request timeout: slower answers count as errors
    workers: int = 2
    users: int = 1_000
    scale_users: int = 100_000
    hash_samples: int = 10
    revocation_samples: int = 200  # sign-outs watched from another process; 0 skips them
    databases: tuple[str, ...] = DATABASES
    development: bool = True  # also the development default: SQLite, no Redis
    postgres_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/gatehouse_bench"
    redis_url: str = "redis://127.0.0.1:6379"
    redis_db: int = 14  # SQLite's server uses this database number, PostgreSQL's the next
    results: Path = RESULTS


INTEGERS = {
    "BENCH_DURATION": ("duration", 1),
    "BENCH_RUNS": ("runs", 1),
    "BENCH_WARMUP": ("warmup", 0),
    "BENCH_CONNECTIONS": ("connections", 1),
    "BENCH_SIGN_IN_CONNECTIONS": ("sign_in_connections", 1),
    "BENCH_TIMEOUT": ("timeout", 1),
    "BENCH_WORKERS": ("workers", 1),
    "BENCH_USERS": ("users", 20),
    "BENCH_SCALE_USERS": ("scale_users", 0),
    "BENCH_HASH_SAMPLES": ("hash_samples", 1),
    "BENCH_REVOCATION_SAMPLES": ("revocation_samples", 0),
    "BENCH_REDIS_DB": ("redis_db", 0),
}


def from_environment(environ: Mapping[str, str]) -> BenchConfig:
    """The defaults, overridden by whichever ``BENCH_*`` variables are set."""
    values: dict[str, object] = {}
    for variable, (field, minimum) in INTEGERS.items():
        if variable in environ:
            values[field] = _integer(variable, environ[variable], minimum)
    if "BENCH_DEVELOPMENT" in environ:
        values["development"] = _switch("BENCH_DEVELOPMENT", environ["BENCH_DEVELOPMENT"])
    if "BENCH_DATABASES" in environ:
        values["databases"] = _databases(environ["BENCH_DATABASES"])
    if "BENCH_POSTGRES_URL" in environ:
        values["postgres_url"] = _prefixed("BENCH_POSTGRES_URL", environ, "postgresql+asyncpg://")
    if "BENCH_REDIS_URL" in environ:
        values["redis_url"] = _prefixed("BENCH_REDIS_URL", environ, "redis://").rstrip("/")
    if "BENCH_RESULTS" in environ:
        values["results"] = Path(environ["BENCH_RESULTS"])
    config = BenchConfig(**values)  # type: ignore[arg-type]
    if config.scale_users and config.scale_users <= config.users:
        raise ConfigError("BENCH_SCALE_USERS must exceed BENCH_USERS (or be 0 to skip)")
    return config


def _integer(variable: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{variable} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{variable} must be at least {minimum}")
    return value


def _switch(variable: str, raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ConfigError(f"{variable} must be 0 or 1, not {raw!r}")
    return raw == "1"


def _databases(raw: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in raw.split(",") if name.strip())
    unknown = [name for name in chosen if name not in DATABASES]
    if unknown or not chosen:
        raise ConfigError(f"BENCH_DATABASES lists {', '.join(DATABASES)}, not {raw!r}")
    return chosen


def _prefixed(variable: str, environ: Mapping[str, str], prefix: str) -> str:
    value = environ[variable]
    if not value.startswith(prefix):
        raise ConfigError(f"{variable} must start with {prefix}")
    return value
