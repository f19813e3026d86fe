"""``gatehouse serve --workers N``: N single-worker processes, each accepting on a socket
of its own bound to the same port with ``SO_REUSEPORT``, so the kernel spreads new
connections over them evenly. (With one shared socket, as in hypercorn's own master,
whichever worker wakes first may accept every keep-alive connection of a burst while
the others idle.) Each worker drains on SIGTERM as a lone ``gatehouse serve`` does;
this parent only starts them, forwards SIGTERM and SIGINT, and waits."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

PR_SET_PDEATHSIG = 1  # linux/prctl.h
STEADY_SECONDS = 10.0  # a worker that dies sooner than this after starting is not restarted
STOPPED_BY = (signal.SIGTERM, signal.SIGINT)


class WorkersFailed(Exception):
    """The workers could not start or keep running; the message says why."""


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A socket listening on ``host:port`` that shares the port with its siblings
    (``SO_REUSEPORT``: the kernel hashes each new connection to one of them)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as error:
        sock.close()
        raise WorkersFailed(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _die_with_parent() -> None:
    """In the worker before it runs: SIGTERM it (so it drains) if the parent dies
    without forwarding a signal, e.g. from SIGKILL; no worker is left orphaned."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Workers:
    """The running workers. ``command(fd)`` is the argv of one worker serving the
    listening socket ``fd``; ``say`` reports what happens to them."""

    host: str
    port: int
    backlog: int
    command: Callable[[int], Sequence[str]]
    say: Callable[[str], None]
    running: dict[int, Worker] = field(default_factory=dict)
    stopping: signal.Signals | None = None
    failed: bool = False

    def start_one(self) -> Worker:
        """A worker with a socket of its own; this process keeps no copy of it, so the
        kernel stops routing connections to it as soon as that worker is gone."""
        with listening_socket(self.host, self.port, self.backlog) as sock:
            process = subprocess.Popen(  # noqa: S603 (our own command)
                list(self.command(sock.fileno())),
                pass_fds=(sock.fileno(),),
                start_new_session=True,  # Ctrl-C reaches this parent, which forwards it once
                preexec_fn=_die_with_parent,  # safe: this process runs no threads
            )
        worker = Worker(process)
        self.running[worker.pid] = worker
        return worker

    def forward(self, number: int, _: FrameType | None = None) -> None:
        """SIGTERM or SIGINT to this process: the same to every worker, once."""
        received = signal.Signals(number)
        if self.stopping is None:
            self.stopping = received
            self.say(f"{received.name}: stopping {len(self.running)} workers")
        for worker in list(self.running.values()):
            if worker.process.poll() is None:
                worker.process.send_signal(received)

    def stop_all(self) -> None:
        self.failed = True
        self.forward(signal.SIGTERM)

    def ended(self, pid: int, code: int) -> None:
        """A worker has exited: when not asked to stop it is reported and replaced, unless
        it died young (a fault a restart would only repeat), which stops them all."""
        worker = self.running.pop(pid, None)
        if worker is None:
            return
        worker.process.returncode = code
        if self.stopping is not None:  # dying of the signal sent is stopping too
            self.failed = self.failed or code not in (0, -self.stopping)
            return
        lived = time.monotonic() - worker.started
        self.say(f"worker {pid} exited with {describe(code)} after {lived:.0f} s")
        if lived < STEADY_SECONDS:
            self.say(f"not restarting a worker that died within {STEADY_SECONDS:.0f} s")
            self.stop_all()
            return
        try:
            self.say(f"worker {self.start_one().pid} started in its place")
        except (WorkersFailed, OSError) as error:
            self.say(f"cannot restart it: {error}")
            self.stop_all()


def describe(code: int) -> str:
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"status {code}"


def run(workers: Workers, count: int) -> int:
    """Start ``count`` workers and wait until every one has exited: 0 when each stopped
    cleanly after SIGTERM or SIGINT, 1 when one failed (the rest are then drained)."""
    previous = {each: signal.signal(each, workers.forward) for each in STOPPED_BY}
    try:
        for _ in range(count):
            if workers.stopping is None:  # a signal during start-up: start no more
                workers.start_one()
        while workers.running:
            workers.ended(*_wait_any())
    except WorkersFailed as error:
        workers.say(str(error))
        workers.stop_all()
        while workers.running:
            workers.ended(*_wait_any())
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)
    return 1 if workers.failed else 0


def _wait_any() -> tuple[int, int]:
    pid, status = os.wait()  # a signal meanwhile runs ``forward``, then waits on
    return pid, os.waitstatus_to_exitcode(status)


def worker_argv(arguments: Sequence[str]) -> list[str]:
    """This interpreter running the ``gatehouse`` command with ``arguments``."""
    return [sys.executable, "-m", "web.cli", *arguments]
