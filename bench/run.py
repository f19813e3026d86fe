"""``make bench``: seed the databases, serve Gatehouse and the baselines, load them with
wrk in interleaved rounds, and report medians against the performance targets."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import redis
from sqlalchemy.exc import SQLAlchemyError

from bench import (
    client,
    hashing,
    record,
    report,
    revocation,
    scenarios,
    seed,
    servers,
    targets,
    wrk,
)
from bench.config import DATABASES, BenchConfig, ConfigError, from_environment
from bench.hashing import HashCost
from bench.scenarios import Access, Scenario
from bench.servers import Server

DEVELOPMENT = "development"  # the development default: its own SQLite file, no Redis


class BenchFailed(Exception):
    """Something the benchmark needs is missing or broken; the message says what."""


class Bench:
    def __init__(self, config: BenchConfig, wrk_path: str, work: Path) -> None:
        self.config = config
        self.wrk = wrk_path
        self.work = work
        self.secret = secrets.token_urlsafe(48)
        self.results: dict[str, list[wrk.Result]] = defaultdict(list)
        self.parts: dict[str, scenarios.Part] = {}
        self.rss: dict[str, list[int]] = {}
        self.revocations: dict[str, list[revocation.Sample]] = {}
        self.running: list[Server] = []
        self.urls: dict[str, str] = {}
        self.hashed = ""  # the seeded accounts' password hash, made once
        self.load_at_start = os.getloadavg()

    # -- set-up ---------------------------------------------------------------------

    def check_services(self) -> None:
        for database in self.config.databases:
            self.redis(database).ping()
            if database == "postgresql":
                self.check_postgres()

    def check_postgres(self) -> None:
        try:
            asyncio.run(seed.server_answers(self.config.postgres_url))
        except (OSError, SQLAlchemyError, TimeoutError) as error:
            raise BenchFailed(
                f"PostgreSQL does not answer for {self.config.postgres_url} ({error}); "
                "start it or set BENCH_POSTGRES_URL"
            ) from None

    def redis_url(self, database: str) -> str:
        number = self.config.redis_db + DATABASES.index(database)
        return f"{self.config.redis_url}/{number}"

    def redis(self, database: str) -> redis.Redis:
        url = self.redis_url(database)
        try:
            connection = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
            connection.ping()
        except redis.RedisError as error:
            raise BenchFailed(
                f"Redis does not answer at {url} ({error}); set BENCH_REDIS_URL"
            ) from None
        return connection

    @property
    def shapes(self) -> list[str]:
        """What Gatehouse is served as: production with Redis on each database, and the
        development default."""
        return [*self.config.databases, *([DEVELOPMENT] if self.config.development else [])]

    def prepare(self, database: str) -> None:
        """A fresh, migrated database with the base number of users."""
        if database in ("sqlite", DEVELOPMENT):
            url = seed.fresh_sqlite(self.work / database / "gatehouse.db")
        else:
            url = seed.fresh_postgres(self.config.postgres_url)
        self.urls[database] = url
        self.seed(database, first=0, count=self.config.users)

    def seed(self, database: str, *, first: int, count: int) -> None:
        began = time.perf_counter()
        asyncio.run(
            seed.seed_users(self.urls[database], first=first, count=count, hashed=self.hashed)
        )
        say(f"seeded {count:,} users into {database} in {time.perf_counter() - began:.1f} s")

    # -- servers --------------------------------------------------------------------

    def start_baselines(self, stack: ExitStack) -> tuple[str, str]:
        urls = []
        for name, module in (("asgi", "asgi_hello"), ("quart", "quart_hello")):
            port = servers.free_port()
            command = servers.baseline_command(module, port, self.config.workers)
            urls.append(self.start(stack, name, command, port, None, "/").url)
        return urls[0], urls[1]

    def start_gatehouse(self, stack: ExitStack, database: str) -> Server:
        """``gatehouse serve --workers N``: in production with Redis on ``database``, or
        the development default (``development``: SQLite, no Redis)."""
        if database != DEVELOPMENT:
            self.redis(database).flushdb()
        return self.serve(stack, database, database, self.config.workers)

    def start_pair(self, stack: ExitStack, database: str, metrics_token: str) -> list[Server]:
        """Two single-worker ``gatehouse serve`` processes in production on ``database``,
        on ports of their own: one service to its users, two processes to the bench."""
        self.redis(database).flushdb()
        return [
            self.serve(stack, database, f"{database}-{n}", 1, metrics_token=metrics_token)
            for n in (1, 2)
        ]

    def serve(
        self,
        stack: ExitStack,
        database: str,
        name: str,
        workers: int,
        *,
        metrics_token: str | None = None,
    ) -> Server:
        production = database != DEVELOPMENT
        port = servers.free_port()
        env = servers.gatehouse_environment(
            self.urls[database],
            port=port,
            secret_key=self.secret,
            instance=self.work / f"instance-{database}",
            redis_url=self.redis_url(database) if production else None,
            env="production" if production else DEVELOPMENT,
            metrics_token=metrics_token,
        )
        command = servers.gatehouse_command(port, workers)
        return self.start(stack, name, command, port, env, "/readyz")

    def start(
        self,
        stack: ExitStack,
        name: str,
        command: list[str],
        port: int,
        env: dict[str, str] | None,
        ready: str,
    ) -> Server:
        log = self.work / f"{name}-{len(self.rss)}-{port}.log"
        server = servers.start(name, command, port=port, log=log, env=env, ready_path=ready)
        self.running.append(server)
        stack.callback(self._stopped, server)
        return server

    def _stopped(self, server: Server) -> None:
        server.stop()
        self.running.remove(server)

    def keep_rss(self, label: str, server: Server) -> None:
        self.rss[label] = server.worker_rss()

    # -- runs -----------------------------------------------------------------------

    def execute(self, scenario: Scenario) -> list[wrk.Result]:
        for part in scenario.parts:
            part.check()
        started = [wrk.start(part.load, self.wrk) for part in scenario.parts]
        results = [
            wrk.finish(process, part.load)
            for process, part in zip(started, scenario.parts, strict=True)
        ]
        servers.settle(self.running)
        return results

    def rounds(self, chosen: list[Scenario]) -> None:
        """A warm-up of each scenario, then ``runs`` rounds of all of them in turn."""
        if self.config.warmup:
            say(f"warming up {len(chosen)} scenarios, {self.config.warmup} s each")
            for scenario in chosen:
                self.execute(scenario.shortened(self.config.warmup))
        for number in range(1, self.config.runs + 1):
            for scenario in chosen:
                for part, result in zip(scenario.parts, self.execute(scenario), strict=True):
                    self.parts[part.key] = part
                    self.results[part.key].append(result)
                    say(progress(number, self.config.runs, part, result))
        for scenario in chosen:
            for part in scenario.parts:
                part.check()

    def access(self, server: Server) -> Access:
        password = seed.PASSWORD
        member, program = (seed.username(seed.SIGN_IN_ACCOUNTS + n) for n in range(2))
        return Access(
            url=server.url,
            visitor_cookie=client.signed_out_cookie(server.url),
            member_cookie=client.signed_in_cookie(server.url, member, password),
            token=client.api_token(server.url, program, password),
            password=password,
            logins=tuple(seed.sign_in_logins()),
        )

    def main_phase(self) -> None:
        config = self.config
        with ExitStack() as stack:
            asgi, quart = self.start_baselines(stack)
            chosen = scenarios.baselines(asgi, quart, config)
            gatehouses = {db: self.start_gatehouse(stack, db) for db in self.shapes}
            for database, server in gatehouses.items():
                access = self.access(server)
                if database == DEVELOPMENT:
                    chosen += scenarios.pages(database, access, config)
                else:
                    chosen += scenarios.gatehouse(database, access, config)
            say(f"{len(chosen)} scenarios at {config.users:,} users")
            self.rounds(chosen)
            for server in self.running:
                self.keep_rss(server.name, server)

    def revocation_phase(self) -> None:
        """On each database in production: sign-outs on one process, watched from another."""
        config = self.config
        logins = seed.revocation_logins(config.users, config.revocation_samples)
        for database in config.databases:
            say(f"{config.revocation_samples} sign-outs on {database}, seen from another process")
            began, token = time.perf_counter(), secrets.token_urlsafe(24)
            with ExitStack() as stack:
                first, second = self.start_pair(stack, database, token)
                found = revocation.measure(
                    first.url,
                    second.url,
                    logins=logins,
                    password=seed.PASSWORD,
                    samples=config.revocation_samples,
                    metrics_token=token,
                )
            self.revocations[database] = found
            took = time.perf_counter() - began
            say(revocation_progress(database, revocation.summarize(found), took))

    def scale_phase(self) -> None:
        config = self.config
        for database in config.databases:
            self.seed(database, first=config.users, count=config.scale_users - config.users)
        with ExitStack() as stack:
            chosen: list[Scenario] = []
            gatehouses = {db: self.start_gatehouse(stack, db) for db in config.databases}
            for database, server in gatehouses.items():
                chosen += scenarios.at_scale(
                    database, self.access(server), config.scale_users, config
                )
            say(f"{len(chosen)} scenarios at {config.scale_users:,} users")
            self.rounds(chosen)
            for database, server in gatehouses.items():
                self.keep_rss(f"{database} at scale", server)

    def run(self) -> HashCost:
        if self.load_at_start[0] > hashing.cores() / 2:
            say(f"the machine is busy (load {self.load_at_start[0]:.1f}): expect noisy figures")
        self.check_services()
        cost = hashing.measure(self.config.hash_samples)
        say(
            f"one password check {cost.wall_s * 1000:.0f} ms ({cost.cpu_s * 1000:.0f} ms CPU); "
            f"hash-bound limit {cost.cores} cores ÷ {cost.cpu_s:.3f} s = "
            f"{cost.limit_per_s:.1f}/s"
        )
        self.hashed = seed.password_hash()
        for database in self.shapes:
            self.prepare(database)
        self.main_phase()
        if self.config.revocation_samples:
            self.revocation_phase()
        if self.config.scale_users:
            self.scale_phase()
        return cost

    # -- results --------------------------------------------------------------------

    def rows(self) -> list[report.Row]:
        return [report.Row(key, part.label, self.summary(key)) for key, part in self.parts.items()]

    def summary(self, key: str) -> targets.Summary:
        part = self.parts[key]
        return targets.summarize(self.results[key], expected=part.expected, counted=part.counted)

    def worker_rss_mb(self, database: str) -> float | None:
        found = [
            rss
            for label, values in self.rss.items()
            if label.startswith(database)
            for rss in values
        ]
        return max(found) / record.MB if found else None

    def figures(self, cost: HashCost) -> dict[str, list[targets.Figure]]:
        summaries = {row.key: row.summary for row in self.rows()}
        windows = self.windows()
        return {
            database: targets.figures(
                summaries,
                database,
                hash_limit_per_s=cost.limit_per_s,
                worker_rss_mb=self.worker_rss_mb(database),
                revocation_p99_ms=windows[database].p99_ms if database in windows else None,
                revocation_applies=database != DEVELOPMENT,
            )
            for database in self.shapes
        }

    def windows(self) -> dict[str, revocation.Summary]:
        """The revocation window of each database measured."""
        return {db: revocation.summarize(found) for db, found in self.revocations.items()}


def progress(number: int, runs: int, part: scenarios.Part, result: wrk.Result) -> str:
    counted = f"  {result.throughput(part.counted):6.1f} sign-ins/s" if part.counted else ""
    return (
        f"  run {number}/{runs}  {part.key:<26} {result.rps:9,.0f} req/s  "
        f"p50 {result.p50_us / 1000:7.1f} ms  p99 {result.p99_us / 1000:7.1f} ms  "
        f"errors {result.errors(part.expected)}{counted}"
    )


def revocation_progress(database: str, found: revocation.Summary, took: float) -> str:
    return (
        f"  revocation {database:<16} {found.samples} sign-outs  "
        f"p50 {found.p50_ms:6.1f} ms  p99 {found.p99_ms:6.1f} ms  max {found.max_ms:6.1f} ms  "
        f"stale {found.stale}  cold {found.cold}  in {took:.0f} s"
    )


def say(line: str) -> None:
    print(line, flush=True)


def main() -> int:
    # A handler on the root logger keeps Alembic's per-migration lines off the screen.
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    try:
        config = from_environment(os.environ)
        wrk_path = wrk.ensure_installed()
    except (ConfigError, wrk.WrkError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    began, clock = datetime.now().astimezone(), time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    say(record.describe(config))
    bench = Bench(config, wrk_path, work)
    try:
        cost = bench.run()
    except (BenchFailed, servers.ServerFailed, client.UnexpectedAnswer, wrk.WrkError) as error:
        print(f"bench: {error}\nbench: logs are kept in {work}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - clock
    data, terminal, markdown = record.assemble(bench, cost, began, wall)
    as_json, as_markdown = report.write(config.results, f"{began:%Y-%m-%d-%H%M}", data, markdown)
    shutil.rmtree(work, ignore_errors=True)
    say("\n" + terminal)
    say(f"\nwritten: {as_json} and {as_markdown.name}; took {wall // 60:.0f} min {wall % 60:.0f} s")
    return 0
