"""`gatehouse serve` under SIGTERM: it drains (failing /readyz while still serving),
then answers the requests already in flight and exits."""

from __future__ import annotations

import contextlib
import http.client
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
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import free_port, wait_until_up
from web import workers as web_workers

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
    # (one sent just before the signal may be answered after it: a margin, as below)
    ready_before = {o for t, p, o in after if p == "/readyz" and t < -0.2}
    ready_draining = {o for t, p, o in after if p == "/readyz" and 0.2 < t < DRAIN - 0.2}
    assert (ready_before, ready_draining) == ({"200"}, {"503"})
    served_draining = [o for t, p, o in after if p != "/readyz" and 0.2 < t < DRAIN - 0.2]
    assert served_draining, "nothing was served while draining"
    assert set(served_draining) <= {"200", "400"}
    assert {o for _, p, o in after if p == "/api/v1/sessions"} <= {"400", "refused"}


# -- gatehouse serve --workers N: a socket of its own for each worker ----------------


def served(tmp_path: Path, **settings: str) -> tuple[dict[str, str], int]:
    """Settings for a development server on a migrated SQLite file, and a free port."""
    env = {
        **os.environ,
        "GATEHOUSE_ENV": "development",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        **settings,
    }
    subprocess.run([GATEHOUSE, "db", "upgrade"], env=env, check=True, capture_output=True)
    return env, free_port()


def start_workers(tmp_path: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """``gatehouse serve --workers 2``, its output and its workers' in ``serve.log``."""
    command = [GATEHOUSE, "serve", "--port", str(port), "--workers", "2"]
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [*command, "--config", str(tmp_path / "none.toml")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        log = tmp_path / "serve.log"
        wait_for(lambda: log.read_text().count(" is serving.") == 2, "two workers")
    except BaseException:
        server.kill()
        raise
    return server


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.05)


def workers_of(pid: int) -> list[int]:
    """The children of ``pid`` (but multiprocessing's resource tracker, which serves
    nothing, so the test also measures hypercorn's own master fairly)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.extend(int(child) for child in task.read_text().split())
    return [each for each in found if b"resource_tracker" not in cmdline(each)]


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def connections_held(pids: list[int], port: int) -> dict[int, int]:
    """How many established connections to ``port`` each process holds, from /proc:
    the accepted sockets' inodes matched against each process's open files."""
    accepted: set[str] = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                accepted.add(f"socket:[{fields[9]}]")
    held = {}
    for pid in pids:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        held[pid] = sum(link in accepted for link in links)
    return held


def stopped(server: subprocess.Popen[bytes], port: int, how: signal.Signals) -> int:
    """Send ``how`` to the parent; its exit status once it and its workers are gone."""
    workers = workers_of(server.pid)
    server.send_signal(how)
    try:
        code = server.wait(timeout=40)
    finally:
        if server.poll() is None:
            server.kill()
    for pid in workers:
        wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists(), f"end of worker {pid}")
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        raise AssertionError("the port still accepts connections")
    return code


def test_keep_alive_connections_are_spread_over_every_worker(tmp_path: Path) -> None:
    env, port = served(tmp_path)
    server = start_workers(tmp_path, env, port)
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=20) for _ in range(32)]
    try:
        for conn in connections:  # all at once, as a load balancer or wrk opens them
            conn.connect()
        for conn in connections:  # keep-alive: each stays with the worker that accepted it
            conn.request("GET", "/healthz")
            assert json.loads(conn.getresponse().read()) == {"status": "ok"}
        held = connections_held(workers_of(server.pid), port)
        assert sum(held.values()) == 32
        # Each connection goes to either socket with even odds: all 32 on one is 2^-31.
        assert min(held.values()) >= 4, held
        for conn in connections:
            conn.request("GET", "/about/")
            assert conn.getresponse().status == 200
    finally:
        for conn in connections:
            conn.close()
        assert stopped(server, port, signal.SIGTERM) == 0


def test_sigterm_drains_every_worker_and_answers_what_was_sent_meanwhile(
    tmp_path: Path,
) -> None:
    env, port = served(
        tmp_path,
        DRAIN_SECONDS=str(DRAIN),
        REQUEST_IP_LIMIT="1000000",
        SIGNIN_IP_LIMIT="1000000",
        SIGNIN_FAILURE_LIMIT="1000000",
    )
    server = start_workers(tmp_path, env, port)
    traffic = Traffic(f"http://127.0.0.1:{port}")
    sign_in = json.dumps({"login": "nobody", "password": "not the password"}).encode()
    loops = [("/readyz", None), ("/readyz", None), ("/about/", None), ("/api/v1/sessions", sign_in)]
    threads = [threading.Thread(target=traffic.loop, args=each) for each in loops]
    for thread in threads:
        thread.start()
    time.sleep(1)
    signalled = time.monotonic()
    code = stopped(server, port, signal.SIGTERM)
    for thread in threads:
        thread.join(timeout=60)
    assert code == 0
    after = [(at - signalled, path, outcome) for at, path, outcome in traffic.outcomes]
    assert [each for each in after if each[0] < DRAIN and each[2].startswith("lost")] == []
    assert len([each for each in after if each[2].startswith("lost")]) <= len(loops)
    # (the parent forwards the signal: one sent just before it may be answered after)
    ready_before = {o for t, p, o in after if p == "/readyz" and t < -0.2}
    ready_draining = {o for t, p, o in after if p == "/readyz" and 0.2 < t < DRAIN - 0.2}
    assert (ready_before, ready_draining) == ({"200"}, {"503"})
    served_draining = [o for t, p, o in after if p != "/readyz" and 0.2 < t < DRAIN - 0.2]
    assert served_draining, "nothing was served while draining"
    assert set(served_draining) <= {"200", "400"}
    log = (tmp_path / "serve.log").read_text()
    assert log.count("SIGTERM: /readyz fails") == 2, log  # each worker drained


def test_ctrl_c_stops_every_worker_at_once(tmp_path: Path) -> None:
    env, port = served(tmp_path, DRAIN_SECONDS="30")
    server = start_workers(tmp_path, env, port)
    began = time.monotonic()
    assert stopped(server, port, signal.SIGINT) == 0
    assert time.monotonic() - began < 25, "SIGINT should not wait out DRAIN_SECONDS"


def test_a_worker_dying_young_is_reported_and_stops_the_rest_with_a_failure(
    tmp_path: Path,
) -> None:
    env, port = served(tmp_path)
    server = start_workers(tmp_path, env, port)
    victim, survivor = workers_of(server.pid)
    os.kill(victim, signal.SIGKILL)
    try:
        assert server.wait(timeout=40) == 1
    finally:
        if server.poll() is None:
            server.kill()
    wait_for(lambda: not Path(f"/proc/{survivor}").exists(), "end of the other worker")
    log = (tmp_path / "serve.log").read_text()
    assert f"worker {victim} exited with signal SIGKILL" in log, log


def test_a_worker_that_dies_after_running_a_while_is_reported_and_replaced() -> None:
    lines: list[str] = []
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    pool = web_workers.Workers(
        host="127.0.0.1", port=free_port(), backlog=16, command=lambda fd: sleeper, say=lines.append
    )
    first, second = pool.start_one(), pool.start_one()
    try:
        first.started -= web_workers.STEADY_SECONDS  # as if it had run that long
        first.process.kill()
        first.process.wait()
        pool.ended(first.pid, -signal.SIGKILL)
        assert lines[0].startswith(f"worker {first.pid} exited with signal SIGKILL")
        assert len(pool.running) == 2 and first.pid not in pool.running
        assert pool.stopping is None and not pool.failed
    finally:
        for worker in [first, second, *pool.running.values()]:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()


def test_a_port_already_taken_is_one_clear_line_and_a_failure(tmp_path: Path) -> None:
    env, port = served(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        answer = subprocess.run(
            [GATEHOUSE, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert answer.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in answer.stderr
