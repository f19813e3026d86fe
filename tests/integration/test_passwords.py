"""The passlib hasher with the real argon2 and bcrypt libraries (cheap parameters)."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
from passlib.context import CryptContext
from passlib.hash import bcrypt

from domain.values import PasswordHash
from infrastructure.passwords import (
    BCRYPT_MAX_BYTES,
    HASHING_NICENESS,
    HashingPool,
    PasslibPasswordHasher,
    make_context,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def hasher() -> PasslibPasswordHasher:
    return PasslibPasswordHasher(make_context(fast=True))


def old_bcrypt_hash(password: str) -> PasswordHash:
    """A hash as an older release stored it: bcrypt, here with the cheapest cost."""
    return PasswordHash(bcrypt.using(rounds=4).hash(password))


async def test_new_hashes_are_argon2id(hasher: PasslibPasswordHasher) -> None:
    hashed = await hasher.hash(PASSWORD)

    assert hashed.value.startswith("$argon2id$")
    assert PASSWORD not in hashed.value


async def test_the_same_password_hashes_differently_each_time(
    hasher: PasslibPasswordHasher,
) -> None:
    assert (await hasher.hash(PASSWORD)).value != (await hasher.hash(PASSWORD)).value


async def test_the_right_password_verifies_without_an_upgrade(
    hasher: PasslibPasswordHasher,
) -> None:
    verification = await hasher.verify(PASSWORD, await hasher.hash(PASSWORD))

    assert verification.ok is True
    assert verification.upgraded is None


async def test_a_wrong_password_does_not_verify(hasher: PasslibPasswordHasher) -> None:
    verification = await hasher.verify(PASSWORD + "!", await hasher.hash(PASSWORD))

    assert verification.ok is False
    assert verification.upgraded is None


async def test_a_bcrypt_hash_verifies_and_comes_back_upgraded_to_argon2(
    hasher: PasslibPasswordHasher,
) -> None:
    verification = await hasher.verify(PASSWORD, old_bcrypt_hash(PASSWORD))

    assert verification.ok is True
    assert verification.upgraded is not None
    assert verification.upgraded.value.startswith("$argon2id$")
    again = await hasher.verify(PASSWORD, verification.upgraded)
    assert again.ok is True
    assert again.upgraded is None


async def test_a_wrong_password_against_a_bcrypt_hash_is_not_upgraded(
    hasher: PasslibPasswordHasher,
) -> None:
    verification = await hasher.verify("not the password", old_bcrypt_hash(PASSWORD))

    assert verification.ok is False
    assert verification.upgraded is None


async def test_a_password_over_72_bytes_against_a_bcrypt_hash_fails_without_an_error(
    hasher: PasslibPasswordHasher,
) -> None:
    # bcrypt once silently ignored everything past 72 bytes; that must not let this in.
    long_password = "é" * 40  # 80 bytes in UTF-8
    stored = old_bcrypt_hash(long_password.encode()[:BCRYPT_MAX_BYTES].decode())

    verification = await hasher.verify(long_password, stored)

    assert verification.ok is False
    assert verification.upgraded is None


async def test_a_long_password_still_works_with_argon2(hasher: PasslibPasswordHasher) -> None:
    long_password = "é" * 64  # 128 characters, 128 bytes

    verification = await hasher.verify(long_password, await hasher.hash(long_password))

    assert verification.ok is True


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a hash at all",
        "$2b$04$tooshort",
        "$argon2id$v=19$m=1024,t=1,p=1$broken",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$\x00",
    ],
)
async def test_an_unreadable_stored_hash_does_not_verify(
    hasher: PasslibPasswordHasher, garbage: str
) -> None:
    verification = await hasher.verify(PASSWORD, PasswordHash(garbage))

    assert verification.ok is False
    assert verification.upgraded is None


async def test_hashing_and_verifying_run_off_the_event_loop_thread() -> None:
    """A flood of sign-ins must not stall other requests: the work runs in a worker."""
    context = make_context(fast=True)
    threads: list[str] = []
    original_hash, original_verify = context.hash, context.verify_and_update

    def spy_hash(secret: str, **kwargs: object) -> str:
        threads.append(threading.current_thread().name)
        return original_hash(secret, **kwargs)

    def spy_verify(secret: str, stored: str, **kwargs: object) -> tuple[bool, str | None]:
        threads.append(threading.current_thread().name)
        return original_verify(secret, stored, **kwargs)

    context.hash = spy_hash  # type: ignore[method-assign]
    context.verify_and_update = spy_verify  # type: ignore[method-assign]
    hasher = PasslibPasswordHasher(context)
    stored = await hasher.hash("off the loop please")
    await hasher.verify("off the loop please", stored)
    loop_thread = threading.current_thread().name
    assert len(threads) == 2
    assert loop_thread not in threads


def _overlapping(state: dict[str, int], lock: threading.Lock) -> str:
    with lock:
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
    time.sleep(0.05)
    with lock:
        state["now"] -= 1
    return threading.current_thread().name


@pytest.mark.parametrize("threads", [1, 2])
async def test_the_hashing_pool_hashes_at_most_its_thread_count_at_once(threads: int) -> None:
    pool = HashingPool(threads=threads)
    state, lock = {"now": 0, "most": 0}, threading.Lock()
    try:
        names = await asyncio.gather(*(pool.run(_overlapping, state, lock) for _ in range(6)))
    finally:
        pool.close()
    assert state["most"] == threads
    assert all(name.startswith("hashing") for name in names)


async def test_hashing_threads_run_below_the_event_loops_cpu_priority() -> None:
    pool = HashingPool(threads=1)
    try:
        niceness = await pool.run(
            lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        )
    finally:
        pool.close()
    assert niceness == os.getpriority(os.PRIO_PROCESS, 0) + HASHING_NICENESS


async def test_the_hasher_hashes_in_its_pool_not_on_the_event_loop() -> None:
    pool = HashingPool(threads=1)
    seen: list[str] = []

    class Recording(CryptContext):
        def hash(self, secret: str | bytes, **kwds: object) -> str:
            seen.append(threading.current_thread().name)
            return str(super().hash(secret, **kwds))

    hasher = PasslibPasswordHasher(
        Recording(schemes=["argon2"], argon2__time_cost=1, argon2__memory_cost=1024), pool
    )
    try:
        hashed = await hasher.hash("correct horse battery staple")
    finally:
        pool.close()
    assert hashed.value.startswith("$argon2id$")
    assert len(seen) == 1 and seen[0].startswith("hashing")


def _hold(started: threading.Event, release: threading.Event) -> None:
    started.set()
    release.wait(10)


async def test_the_hashing_pool_counts_its_queue_and_the_waits() -> None:
    """Five hashes at once on one thread: four queue behind the first; when all are
    done the queue is empty again and five waits were counted, the later ones long."""
    pool = HashingPool(threads=1)
    started, release = threading.Event(), threading.Event()
    try:
        jobs = [asyncio.ensure_future(pool.run(_hold, started, release)) for _ in range(5)]
        assert await asyncio.to_thread(started.wait, 10)
        queued_while_busy = pool.queued
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(*jobs)
    finally:
        pool.close()
    assert queued_while_busy == 4
    assert (pool.queued, pool.waits) == (0, 5)
    assert pool.waited >= 4 * 0.05


async def test_a_hash_cancelled_in_the_queue_leaves_it() -> None:
    pool = HashingPool(threads=1)
    started, release = threading.Event(), threading.Event()
    try:
        busy = asyncio.ensure_future(pool.run(_hold, started, release))
        assert await asyncio.to_thread(started.wait, 10)
        waiting = [asyncio.ensure_future(pool.run(release.wait, 10)) for _ in range(3)]
        await asyncio.sleep(0)  # each has entered the queue
        queued = pool.queued
        for job in waiting:
            job.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        queued_after_cancel = pool.queued
        release.set()
        await busy
    finally:
        pool.close()
    assert (queued, queued_after_cancel) == (3, 0)
    assert (pool.queued, pool.waits) == (0, 1)
