"""The passlib hasher: argon2id for new hashes, bcrypt still accepted and upgraded."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from passlib.context import CryptContext

from domain.ports import PasswordHasher, Verification
from domain.values import PasswordHash

BCRYPT_MAX_BYTES = 72
T = TypeVar("T")
# How much lower the hashing threads' CPU priority is than the event loop's: under a
# storm of sign-ins, pages keep the cores and the hashes take what is left.
HASHING_NICENESS = 10

# Cheap parameters for the test suite only: the same algorithms, a fraction of the work.
FAST_ARGON2: dict[str, Any] = {"argon2__time_cost": 1, "argon2__memory_cost": 1024}


def make_context(*, fast: bool = False) -> CryptContext:
    options = FAST_ARGON2 if fast else {}
    return CryptContext(schemes=["argon2", "bcrypt"], deprecated="auto", **options)


class HashingPool:
    """The threads that hash: a fixed number, at a lower CPU priority than the event
    loop, so a storm of sign-ins queues for them instead of starving every other
    request of the cores. The libraries release the GIL while they hash."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="hashing", initializer=_lower_priority
        )
        self.threads = threads
        self._lock = threading.Lock()
        self.queued = 0  # submitted, not yet taken by a thread
        self.waits = 0  # taken by a thread: the count of the waits summed below
        self.waited = 0.0  # seconds they spent queued, in all

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        ticket = _Ticket(time.perf_counter())
        with self._lock:
            self.queued += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, self._take, ticket, work, args
            )
        finally:  # cancelled (or refused) before a thread took it: no longer queued
            self._leave_queue(ticket)

    def _take(self, ticket: _Ticket, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self._leave_queue(ticket):
            waited = time.perf_counter() - ticket.submitted
            with self._lock:
                self.waits += 1
                self.waited += waited
        return work(*args)

    def _leave_queue(self, ticket: _Ticket) -> bool:
        """True for the first of the thread and the caller to get here."""
        with self._lock:
            if ticket.left:
                return False
            ticket.left = True
            self.queued -= 1
            return True

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


@dataclass
class _Ticket:
    submitted: float
    left: bool = False


def _lower_priority() -> None:
    """Linux gives each thread its own nice value; elsewhere this is a no-op."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


class PasslibPasswordHasher(PasswordHasher):
    """Hashes and verifies in the hashing pool, never on the event loop."""

    def __init__(self, context: CryptContext, pool: HashingPool | None = None) -> None:
        self._context = context
        self.pool = pool or HashingPool(threads=1)

    async def hash(self, password: str) -> PasswordHash:
        return PasswordHash(await self.pool.run(self._context.hash, password))

    async def verify(self, password: str, password_hash: PasswordHash) -> Verification:
        return await self.pool.run(self._verify, password, password_hash.value)

    async def dummy_verify(self, password: str) -> None:
        await self.pool.run(self._context.dummy_verify)

    def _verify(self, password: str, stored: str) -> Verification:
        try:
            if self._context.identify(stored) == "bcrypt" and (
                len(password.encode()) > BCRYPT_MAX_BYTES
            ):
                # bcrypt refuses such input outright: it cannot be this account's password.
                self._context.dummy_verify()
                return Verification(ok=False)
            ok, new_hash = self._context.verify_and_update(password, stored)
        except ValueError:  # an unreadable stored hash counts as a mismatch
            self._context.dummy_verify()
            return Verification(ok=False)
        upgraded = PasswordHash(new_hash) if ok and new_hash else None
        return Verification(ok=bool(ok), upgraded=upgraded)
