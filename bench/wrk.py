"""Running wrk with the benchmark's Lua scripts, and reading what it reports."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "lua"
PAGE_SCRIPT = LUA / "page.lua"
SIGN_IN_SCRIPT = LUA / "sign_in.lua"
MARKER = "WRK_JSON "
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
INSTALL_HINT = "install it with: sudo apt-get install -y wrk (Debian/Ubuntu package wrk)"


class WrkError(Exception):
    """wrk is missing, failed, or printed no report."""


@dataclass(frozen=True)
class Load:
    """How one wrk process loads one URL."""

    url: str
    duration: int
    connections: int
    threads: int = 1
    timeout: int = 10
    headers: dict[str, str] = field(default_factory=dict)
    script: Path = PAGE_SCRIPT
    args: tuple[str, ...] = ()

    def command(self, wrk: str = "wrk") -> list[str]:
        headers = [
            part for name, value in self.headers.items() for part in ("-H", f"{name}: {value}")
        ]
        return [
            wrk,
            f"-t{self.threads}",
            f"-c{max(self.connections, self.threads)}",
            f"-d{self.duration}s",
            f"--timeout={self.timeout}s",
            "--latency",
            "-s",
            str(self.script),
            *headers,
            self.url,
            *(["--", *self.args] if self.args else []),
        ]


@dataclass(frozen=True)
class Result:
    """One wrk run: counts, latency percentiles (microseconds) and, from scripts that
    count them, responses per status code."""

    requests: int
    duration_us: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    non_2xx_3xx: int
    p50_us: int
    p90_us: int
    p99_us: int
    max_us: int
    mean_us: float
    statuses: dict[int, int] = field(default_factory=dict)
    connections: int = 0  # of the load that produced it

    @property
    def seconds(self) -> float:
        return self.duration_us / 1e6

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.duration_us else 0.0

    @property
    def socket_errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    def per_second(self, status: int) -> float:
        """Responses with ``status`` a second of the run, as counted."""
        return self.statuses.get(status, 0) / self.seconds if self.duration_us else 0.0

    def throughput(self, status: int) -> float:
        """Responses with ``status`` a second, by Little's law: every connection always
        has one request out, so the connections are busy for ``requests × mean latency``
        connection-seconds in all. Unlike ``per_second`` this leaves out the time spent
        on requests still unanswered when wrk stopped, which with slow answers (seconds
        of queued hashing) would make a short run look slower than the server is."""
        busy = self.requests * self.mean_us / 1e6
        if not busy or not self.connections:
            return self.per_second(status)
        return self.statuses.get(status, 0) * self.connections / busy

    def errors(self, expected: int | None = None) -> int:
        """Socket errors plus answers other than expected: any non-2xx/3xx status, or,
        when a 4xx/5xx ``expected`` status is asked for, any answer that was not one."""
        if expected is not None and expected >= 400:
            return self.socket_errors + (self.requests - self.non_2xx_3xx)
        return self.socket_errors + self.non_2xx_3xx

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_us / 1000, 2),
            "p90_ms": round(self.p90_us / 1000, 2),
            "p99_ms": round(self.p99_us / 1000, 2),
            "max_ms": round(self.max_us / 1000, 2),
            "mean_ms": round(self.mean_us / 1000, 2),
            "connections": self.connections,
            "non_2xx_3xx": self.non_2xx_3xx,
            "socket_errors": {
                "connect": self.connect_errors,
                "read": self.read_errors,
                "write": self.write_errors,
                "timeout": self.timeouts,
            },
            "statuses": {str(code): count for code, count in sorted(self.statuses.items())},
        }


def parse(output: str) -> Result:
    """The report line of ``report.lua``, checked against wrk's own text summary."""
    line = next((ln for ln in output.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        raise WrkError("wrk printed no WRK_JSON report line:\n" + output[-2000:])
    try:
        data = json.loads(line.removeprefix(MARKER))
        result = _result(data)
    except (ValueError, KeyError, TypeError) as error:
        raise WrkError(f"unreadable wrk report ({error}): {line}") from None
    _check_summary(output, result)
    return result


def _result(data: dict[str, Any]) -> Result:
    errors, latency = data["errors"], data["latency_us"]
    return Result(
        requests=int(data["requests"]),
        duration_us=int(data["duration_us"]),
        connect_errors=int(errors["connect"]),
        read_errors=int(errors["read"]),
        write_errors=int(errors["write"]),
        timeouts=int(errors["timeout"]),
        non_2xx_3xx=int(errors["status"]),
        p50_us=int(latency["p50"]),
        p90_us=int(latency["p90"]),
        p99_us=int(latency["p99"]),
        max_us=int(latency["max"]),
        mean_us=float(latency["mean"]),
        statuses={int(code): int(count) for code, count in data.get("statuses", {}).items()},
    )


def _check_summary(output: str, result: Result) -> None:
    """wrk prints the error lines only when there were errors; where it does, they must
    agree with the report (a mismatch means the parsing is wrong, not the server)."""
    non_2xx = NON_2XX.search(output)
    if non_2xx and int(non_2xx.group(1)) != result.non_2xx_3xx:
        raise WrkError(f"wrk's summary says {non_2xx.group(0)!r}, the report {result.non_2xx_3xx}")
    sockets = SOCKET_ERRORS.search(output)
    if sockets and sum(int(n) for n in sockets.groups()) != result.socket_errors:
        raise WrkError(f"wrk's summary says {sockets.group(0)!r}, the report differs")


def executable() -> str | None:
    return shutil.which("wrk")


def ensure_installed() -> str:
    """The wrk executable, installed with apt-get when missing and we may; else a
    ``WrkError`` saying how to install it."""
    found = executable()
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        print("wrk is missing: installing the Debian package wrk with apt-get")
        quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [apt, "install", "-y", "-qq", "wrk"]
        if subprocess.run(install, env=quiet, check=False).returncode != 0:  # noqa: S603
            subprocess.run([apt, "update", "-qq"], env=quiet, check=False)  # noqa: S603
            subprocess.run(install, env=quiet, check=False)  # noqa: S603
        found = executable()
        if found:
            return found
    raise WrkError(f"wrk is not installed: {INSTALL_HINT}")


def start(load: Load, wrk: str = "wrk") -> subprocess.Popen[str]:
    """Start wrk; ``finish`` waits for it and reads its report."""
    return subprocess.Popen(  # noqa: S603 (our own command)
        load.command(wrk), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen[str], load: Load) -> Result:
    output, _ = process.communicate(timeout=load.duration + load.timeout + 60)
    if process.returncode != 0:
        raise WrkError(f"wrk exited with {process.returncode}:\n{output[-2000:]}")
    return replace(parse(output), connections=max(load.connections, load.threads))


def run(load: Load, wrk: str = "wrk") -> Result:
    return finish(start(load, wrk), load)
