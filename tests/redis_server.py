"""A throw-away redis-server on a free port that fault tests stop, pause and restart."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.e2e.conftest import free_port

REDIS_REQUIRED = os.environ.get("GATEHOUSE_REQUIRE_REDIS") == "1"


class RedisServer:
    """One redis-server process, no persistence: a restart starts it empty, as a
    crashed cache would come back."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def admin(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, decode_responses=True)

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.admin().ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def client_ids(self) -> set[int]:
        """The clients connected now, but for the one asking."""
        admin = self.admin()
        me = admin.client_id()
        return {int(each["id"]) for each in admin.client_list()} - {me}

    def kill_clients(self, ids: set[int] | None = None) -> None:
        """Drop the given clients' connections, or every normal client's."""
        admin = self.admin()
        if ids is None:
            admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
            return
        for each in ids:
            admin.execute_command("CLIENT", "KILL", "ID", str(each))

    def kill_subscribers(self) -> None:
        """Drop every connection that listens to a pub/sub channel."""
        self.admin().execute_command("CLIENT", "KILL", "TYPE", "pubsub")

    def calls(self, *commands: str) -> int:
        """How many times these commands ran since the server started."""
        stats = self.admin().info("commandstats")
        return sum(stats.get(f"cmdstat_{each}", {}).get("calls", 0) for each in commands)


@contextmanager
def throwaway_redis(folder: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed"
        if REDIS_REQUIRED:
            pytest.fail(message + " (GATEHOUSE_REQUIRE_REDIS=1)")
        pytest.skip(message)
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.resume()
        server.stop()
