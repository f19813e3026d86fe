"""How the bench serves Gatehouse: as deployed, with a process and a socket per worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench import servers


def test_gatehouse_is_served_by_gatehouse_serve_with_the_workers_given() -> None:
    command = servers.gatehouse_command(8123, 2)
    assert command[1:2] == ["serve"]
    assert command[-4:] == ["--port", "8123", "--workers", "2"]


def test_the_workers_of_gatehouse_serve_are_found_and_nothing_else() -> None:
    sleep = "[sys.executable, '-c', 'import time; time.sleep(30)'"
    child = (
        "import subprocess, sys, time;"
        f"w = subprocess.Popen({sleep}, '--listen-fd', '3']);"
        f"o = subprocess.Popen({sleep}]);"  # not a worker: a helper such as a tracker
        "print(w.pid, flush=True); time.sleep(30)"
    )
    parent = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        server = servers.Server("gatehouse", "http://127.0.0.1:9", parent, Path("unused.log"))
        assert server.worker_pids() == [worker]
    finally:
        for pid in servers.children(parent.pid):
            servers._kill(pid)
        parent.kill()
        parent.wait()
