"""`gatehouse serve` under SIGTERM: it drains (failing /readyz while still serving),
then answers the requests already in flight and exits."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.e2e.conftest import free_port, wait_until_up

GATEHOUSE = str(Path(sys.executable).with_name("gatehouse"))


def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GATEHOUSE_ENV": "development",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
    }
    subprocess.run([GATEHOUSE, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [GATEHOUSE, "serve", "--port", str(port), "--config", str(tmp_path / "none.toml")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        body = json.dumps({"login": "nobody", "password": "not the password"}).encode()
        head = (
            "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
            conn.sendall(head.encode() + body[:10])  # the request is now in flight
            time.sleep(0.3)
            server.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            conn.sendall(body[10:])
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert b"/problems/invalid-credentials" in answer
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
        refused = False
    except OSError:
        refused = True
    assert refused, "the server should be gone"


DRAIN = 2.0  # DRAIN_SECONDS in the test below


class Traffic:
    """Threads sending requests, each on a new connection, until the listener is gone;
    every outcome counted by the time its request was sent: a status, refused (the
    listener was closed: nothing was sent) or lost (sent and never answered)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.outcomes: list[tuple[float, str, str]] = []
        self.lock = threading.Lock()

    def note(self, sent: float, path: str, outcome: str) -> None:
        with self.lock:
            self.outcomes.append((sent, path, outcome))

    def send(self, path: str, body: bytes | None) -> bool:
        """One request; False once the listener refuses connections."""
        request = urllib.request.Request(  # noqa: S310 (loopback)
            self.base + path, data=body, headers={"Content-Type": "application/json"}
        )
        sent = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                response.read()
                self.note(sent, path, str(response.status))
        except urllib.error.HTTPError as error:
            self.note(sent, path, str(error.code))
        except urllib.error.URLError as error:
            if isinstance(error.reason, ConnectionRefusedError):
                self.note(sent, path, "refused")
                return False
            self.note(sent, path, f"lost: {error.reason!r}")
        except OSError as error:
            self.note(sent, path, f"lost: {error!r}")
        return True

    def loop(self, path: str, body: bytes | None = None) -> None:
        while self.send(path, body):
            time.sleep(0.01)


def test_sigterm_under_traffic_drains_then_answers_every_request_it_accepted(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "GATEHOUSE_ENV": "development",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "DRAIN_SECONDS": str(DRAIN),
        "REQUEST_IP_LIMIT": "1000000",
        "SIGNIN_IP_LIMIT": "1000000",
        "SIGNIN_FAILURE_LIMIT": "1000000",
    }
    subprocess.run([GATEHOUSE, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [GATEHOUSE, "serve", "--port", str(port), "--config", str(tmp_path / "none.toml")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    traffic = Traffic(f"http://127.0.0.1:{port}")
    sign_in = json.dumps({"login": "nobody", "password": "not the password"}).encode()
    loops = [("/readyz", None), ("/about/", None), ("/about/", None), ("/api/v1/sessions", sign_in)]
    threads = [threading.Thread(target=traffic.loop, args=each) for each in loops]
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        for thread in threads:
            thread.start()
        time.sleep(1)
        signalled = time.monotonic()
        server.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(timeout=60)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
    after = [(at - signalled, path, outcome) for at, path, outcome in traffic.outcomes]
    # Sent before the drain was over: every one answered. After it, a client that
    # ignores readiness may have its connection caught between accept and request
    # just as the listener closes (as with any server): at most one per client.
    assert [each for each in after if each[0] < DRAIN and each[2].startswith("lost")] == []
    assert len([each for each in after if each[2].startswith("lost")]) <= len(loops)
    ready_before = {o for t, p, o in after if p == "/readyz" and t < 0}
    ready_draining = {o for t, p, o in after if p == "/readyz" and 0.2 < t < DRAIN - 0.2}
    assert (ready_before, ready_draining) == ({"200"}, {"503"})
    served_draining = [o for t, p, o in after if p != "/readyz" and 0.2 < t < DRAIN - 0.2]
    assert served_draining, "nothing was served while draining"
    assert set(served_draining) <= {"200", "400"}
    assert {o for _, p, o in after if p == "/api/v1/sessions"} <= {"400", "refused"}
