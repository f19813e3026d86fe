"""`gatehouse serve` under SIGTERM: requests already in flight are answered, then it exits."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
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
