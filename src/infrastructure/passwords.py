"""The passlib hasher: argon2id for new hashes, bcrypt still accepted and upgraded."""

from __future__ import annotations

import asyncio
from typing import Any

from passlib.context import CryptContext

from domain.ports import PasswordHasher, Verification
from domain.values import PasswordHash

BCRYPT_MAX_BYTES = 72

# Cheap parameters for the test suite only: the same algorithms, a fraction of the work.
FAST_ARGON2: dict[str, Any] = {"argon2__time_cost": 1, "argon2__memory_cost": 1024}


def make_context(*, fast: bool = False) -> CryptContext:
    options = FAST_ARGON2 if fast else {}
    return CryptContext(schemes=["argon2", "bcrypt"], deprecated="auto", **options)


class PasslibPasswordHasher(PasswordHasher):
    """Runs every hash in a worker thread; the libraries release the GIL."""

    def __init__(self, context: CryptContext) -> None:
        self._context = context

    async def hash(self, password: str) -> PasswordHash:
        return PasswordHash(await asyncio.to_thread(self._context.hash, password))

    async def verify(self, password: str, password_hash: PasswordHash) -> Verification:
        return await asyncio.to_thread(self._verify, password, password_hash.value)

    async def dummy_verify(self, password: str) -> None:
        await asyncio.to_thread(self._context.dummy_verify)

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
