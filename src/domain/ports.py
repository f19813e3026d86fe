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


class LoginThrottle(abc.ABC):
    """Counts failed sign-ins per account name within a window."""

    @abc.abstractmethod
    async def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or None when it may try now."""

    @abc.abstractmethod
    async def record_failure(self, key: str) -> None: ...

    @abc.abstractmethod
    async def reset(self, key: str) -> None:
        """Forget the failures, after a successful sign-in."""
