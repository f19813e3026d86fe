"""Service ports the domain needs from the outside world."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

from domain.values import PasswordHash


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of checking a password; ``upgraded`` is a fresh hash when the old is dated."""

    ok: bool
    upgraded: PasswordHash | None = None


class PasswordHasher(abc.ABC):
    """Hashes and verifies passwords without blocking the event loop."""

    @abc.abstractmethod
    async def hash(self, password: str) -> PasswordHash: ...

    @abc.abstractmethod
    async def verify(self, password: str, password_hash: PasswordHash) -> Verification: ...

    @abc.abstractmethod
    async def dummy_verify(self, password: str) -> None:
        """Spend the same work as ``verify`` when there is no hash to check against."""


class Clock(abc.ABC):
    @abc.abstractmethod
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
