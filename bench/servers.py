"""The servers under test: Gatehouse as deployed (``gatehouse serve --workers N``, a
process and a socket of its own for each worker) and the two baselines under hypercorn's
own master, each started as a process of its own, and the resident memory of their
workers read from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from infrastructure import encryption
from infrastructure.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HYPERCORN_TOML = ROOT / "hypercorn.toml"
BASELINES = Path(__file__).resolve().parent / "baselines"
NO_LIMIT = str(10**9)  # rate limits out of the way: all load comes from one address
MEMBERS_PER_PAGE = 20
SETTLE_SAMPLE = 0.2  # seconds: how often the servers' CPU use is sampled between runs
SETTLE_IDLE = 0.1  # cores: below this the servers count as idle
SETTLE_LIMIT = 15.0  # seconds: the most a run waits for the previous one's backlog


WORKER_MARKS = (b"spawn_main", b"--listen-fd")


class ServerFailed(Exception):
    """A server did not start; the message points at its log."""


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def worker_pids(self) -> list[int]:
        """The worker processes: children of hypercorn's master that it spawned, or the
        single-worker ``gatehouse serve`` processes of ``--workers N``."""
        return [
            pid
            for pid in children(self.process.pid)
            if any(mark in _cmdline(pid) for mark in WORKER_MARKS)
        ]

    def worker_rss(self) -> list[int]:
        """Resident memory of each worker, in bytes (the master alone when it serves)."""
        return [rss_bytes(pid) for pid in self.worker_pids() or [self.process.pid]]

    def stop(self, seconds: float = 30) -> None:
        """SIGTERM to the parent, which stops its workers (Gatehouse's drain first, for
        ``DRAIN_SECONDS``); SIGKILL to each if it hangs."""
        if self.process.poll() is not None:
            return
        workers = self.worker_pids()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            for pid in workers:
                _kill(pid)
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def hypercorn_command(application: str, port: int, workers: int) -> list[str]:
    """A baseline under the project's hypercorn settings, on ``port`` with ``workers``."""
    return [
        str(BIN / "hypercorn"),
        "--config",
        str(HYPERCORN_TOML),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        application,
    ]


def baseline_command(module: str, port: int, workers: int) -> list[str]:
    return hypercorn_command(f"{BASELINES / module}.py:app", port, workers)


def gatehouse_command(port: int, workers: int) -> list[str]:
    """``gatehouse serve`` as deployed: hypercorn.toml, with the port and workers given
    (with more than one, a process and a ``SO_REUSEPORT`` socket for each)."""
    return [
        str(BIN / "gatehouse"),
        "serve",
        "--config",
        str(HYPERCORN_TOML),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def gatehouse_environment(
    database_url: str,
    *,
    port: int,
    secret_key: str,
    instance: Path,
    redis_url: str | None = None,
    env: str = "production",
    static_root: Path | None = None,
    metrics_token: str | None = None,
) -> dict[str, str]:
    """What production needs (a secret, an encryption key, an SMTP host, SQLite allowed
    explicitly, the built static files), with rate limits raised so the load generator's
    single address is never throttled; ``/metrics`` on when ``metrics_token`` is given."""
    settings = {
        "GATEHOUSE_ENV": env,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "ALLOW_SQLITE_IN_PRODUCTION": "true",
        "SMTP_HOST": "127.0.0.1",
        "ENCRYPTION_KEYS": encryption.new_key(),
        "INSTANCE_PATH": str(instance),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "MEMBERS_PER_PAGE": str(MEMBERS_PER_PAGE),
        "REQUEST_IP_LIMIT": NO_LIMIT,
        "SIGNIN_IP_LIMIT": NO_LIMIT,
        "REGISTER_IP_LIMIT": NO_LIMIT,
        "REGISTER_ATTEMPT_LIMIT": NO_LIMIT,
        "RESET_IP_LIMIT": NO_LIMIT,
        "STATIC_ROOT": str(static_root or ROOT / "build" / "static"),
        "DRAIN_SECONDS": "0",  # nothing is in flight when the bench stops a server
    }
    inherited = {k: v for k, v in os.environ.items() if k not in _settings_variables()}
    redis = {"REDIS_URL": redis_url} if redis_url else {}
    metrics = {"METRICS_TOKEN": metrics_token} if metrics_token else {}
    return {**inherited, **settings, **redis, **metrics}


def _settings_variables() -> set[str]:
    """Every variable Gatehouse reads: none of the caller's may leak into the run."""
    return {str(field.validation_alias) for field in Settings.model_fields.values()}


def start(
    name: str,
    command: list[str],
    *,
    port: int,
    log: Path,
    env: dict[str, str] | None = None,
    ready_path: str = "/",
) -> Server:
    """Start ``command`` with its output in ``log`` and wait until ``ready_path``
    answers without a server error. It runs in the log's folder, so no ``.env`` file
    of the project's own folder changes its settings."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own commands)
            command, cwd=log.parent, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(server, ready_path)
    except ServerFailed:
        server.stop()
        raise
    return server


def _wait_until_up(server: Server, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(
                f"{server.name} exited with {server.process.returncode}; see {server.log}"
            )
        try:
            with urllib.request.urlopen(server.url + path, timeout=2):  # noqa: S310 (loopback)
                return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise ServerFailed(f"{server.name} did not answer within {seconds:.0f} s; see {server.log}")


def settle(running: list[Server]) -> None:
    """Wait until the servers have finished what the last run left queued (a sign-in
    storm leaves seconds of hashing behind), so it does not slow the next run."""
    pids = [pid for server in running for pid in [server.process.pid, *server.worker_pids()]]
    deadline = time.monotonic() + SETTLE_LIMIT
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(pid) for pid in pids)
        time.sleep(SETTLE_SAMPLE)
        if sum(cpu_seconds(pid) for pid in pids) - before < SETTLE_IDLE * SETTLE_SAMPLE:
            return


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.extend(int(child) for child in task.read_text().split())
    return found


def rss_bytes(pid: int) -> int:
    """VmRSS of a process, from /proc (0 when it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (0 when it has gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
