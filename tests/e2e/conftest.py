"""A real server (hypercorn via ``gatehouse serve``) and a real headless Chromium."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BROWSER_REQUIRED = os.environ.get("GATEHOUSE_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHROMIUM_PRESENT = Path(CHROMIUM).exists()
GATEHOUSE = str(Path(sys.executable).with_name("gatehouse"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


class Sink:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        self.received.append(cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw)))
        return "250 Message accepted for delivery"

    async def wait_for(self, address: str, subject: str, seconds: float = 15) -> EmailMessage:
        """The first message to ``address`` with ``subject``; mail is sent in the
        background, so it may arrive a moment after the page answered."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.received:
                if message["To"] == address and message["Subject"] == subject:
                    return message
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {subject!r} mail reached {address} within {seconds} s")


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Sink, int]]:
    """A real SMTP server on a free port, receiving what Gatehouse sends."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def mailbox(smtp: tuple[Sink, int]) -> Sink:
    return smtp[0]


@pytest.fixture(scope="session")
def port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def server_env(
    tmp_path_factory: pytest.TempPathFactory, smtp: tuple[Sink, int], port: int
) -> dict[str, str]:
    """The environment the server runs with; the CLI run with it reaches the same data."""
    home = tmp_path_factory.mktemp("server")
    return {
        **os.environ,
        "GATEHOUSE_ENV": "development",
        "INSTANCE_PATH": str(home / "instance"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{home / 'e2e.db'}",
        # localhost, not 127.0.0.1: browsers take no IP address as a passkey's site.
        "PUBLIC_URL": f"http://localhost:{port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp[1]),
        "SMTP_SECURITY": "none",
        "DRAIN_SECONDS": "0",  # stop at once: draining has its own test
        # Every browser test comes from 127.0.0.1, signing in more than 20 times a minute
        # and registering more than 10 accounts an hour between them; the per-address
        # limits have tests of their own (tests/web).
        "SIGNIN_IP_LIMIT": "1000",
        "REGISTER_IP_LIMIT": "1000",
        "REGISTER_ATTEMPT_LIMIT": "1000",
        "RESET_IP_LIMIT": "1000",
        "REQUEST_IP_LIMIT": "100000",
    }


@pytest.fixture(scope="session")
def server(server_env: dict[str, str], port: int) -> Iterator[str]:
    """``gatehouse db upgrade`` then ``gatehouse serve`` on a free port, as a user would,
    sending its mail over SMTP to the test's server."""
    with serving(server_env, port) as base:
        yield base


@contextmanager
def serving(env: dict[str, str], port: int) -> Iterator[str]:
    """A server migrated and started with ``env`` on ``port``, stopped afterwards."""
    home = Path(env["INSTANCE_PATH"]).parent
    subprocess.run([GATEHOUSE, "db", "upgrade"], env=env, check=True, capture_output=True)
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [GATEHOUSE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://localhost:{port}"
    try:
        wait_until_up(f"{base}/healthz", process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_PRESENT:
        message = f"Chromium is not installed at {CHROMIUM}"
        if BROWSER_REQUIRED:
            pytest.fail(message + " (GATEHOUSE_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    opened = await context.new_page()
    yield opened
    await context.close()
