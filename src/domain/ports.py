"""Service ports the domain needs from the outside world."""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.passkeys import Assertion, NewCredential, Passkey
from domain.users import User
from domain.values import EmailAddress, PasswordHash


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


class LoginDigest(abc.ABC):
    """A keyed one-way digest of a sign-in name that names no account: repeated attempts
    with one name can be told apart from others and counted, while the audit trail and
    the log never hold what was typed, and without the key nobody can test guesses
    against them."""

    @abc.abstractmethod
    def digest(self, login: str) -> str:
        """The same text for the same login (by its lookup key), whatever its case."""


class LoginThrottle(abc.ABC):
    """Limits attempts per key (an account name, say) within a window.

    Reserve first, then do the expensive work: a reservation is one atomic step in the
    store, so however many attempts arrive at once, at most the limit's worth go ahead.
    """

    @abc.abstractmethod
    async def reserve(self, key: str) -> int | None:
        """Count an attempt for ``key``: None when it may go ahead (already counted),
        else the seconds until it may try again (nothing counted)."""

    @abc.abstractmethod
    async def release(self, key: str) -> None:
        """Give back one place reserved for ``key``: a right password is no guess, so
        only wrong ones fill the window (and a success cannot empty it for others)."""

    @abc.abstractmethod
    async def reset(self, key: str) -> None:
        """Forget every attempt of ``key`` (the mailbox was proved by a reset link)."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` hits per key in any ``period`` (a moving window)."""

    count: int
    period: timedelta


@dataclass(frozen=True, slots=True)
class Window:
    """What a hit found: whether it counted, and its window's state after it."""

    allowed: bool
    limit: int
    remaining: int
    reset_in: float  # seconds until the oldest hit in the window leaves it

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait before a refused hit could count."""
        return max(1, math.ceil(self.reset_in))


class RateCounters(abc.ABC):
    """Hits per key, each limited by its moving window. A hit is one atomic step in the
    store: it counts, or is refused with nothing counted, however many arrive at once."""

    @abc.abstractmethod
    async def hit(self, *hits: tuple[RateLimit, str]) -> list[Window]:
        """Count each hit that fits its window, in order; the windows after them."""

    @abc.abstractmethod
    async def release(self, limit: RateLimit, key: str) -> None:
        """Give back the key's newest hit (a reserved place that was not used)."""

    @abc.abstractmethod
    async def clear(self, limit: RateLimit, key: str) -> None:
        """Forget every hit of the key."""


@dataclass(frozen=True, slots=True)
class MailMessage:
    to: str
    subject: str
    text: str
    html: str


class Mailer(abc.ABC):
    """Delivers mail. Adapters decide how (a file in development, SMTP in production)."""

    @abc.abstractmethod
    async def send(self, message: MailMessage) -> None:
        """Deliver or raise; retrying is the caller's choice."""


class MailTemplates(abc.ABC):
    """Turns a named template and its values into a message's subject and bodies."""

    @abc.abstractmethod
    def render(self, template: str, to: str, **values: object) -> MailMessage: ...


class ResetTokens(abc.ABC):
    """Signed, expiring password-reset tokens bound to the account's current state, so a
    token dies once the password (or the address) changes; no table needed."""

    @abc.abstractmethod
    def make_token(self, user: User, *, now: datetime) -> str: ...

    @abc.abstractmethod
    def claimed_user(self, token: str) -> UUID | None:
        """Whose token this says it is, unverified: only to look the account up."""

    @abc.abstractmethod
    def check_token(self, user: User, token: str, *, now: datetime) -> bool: ...


class AddressTokens(abc.ABC):
    """Signed, expiring links that prove an address reaches its holder: bound to the
    account, the address to verify, and the account's address and verified state, so
    a link works once and dies when either changes; no table needed."""

    @abc.abstractmethod
    def make_token(self, user: User, address: EmailAddress, *, now: datetime) -> str: ...

    @abc.abstractmethod
    def claimed(self, token: str) -> tuple[UUID, str] | None:
        """Whose token this says it is and for which address, unverified: only to look
        the account up."""

    @abc.abstractmethod
    def check_token(
        self, user: User, address: EmailAddress, token: str, *, now: datetime
    ) -> bool: ...


class Dependency(abc.ABC):
    """Something the service needs besides its database (Redis, say), for readiness."""

    @abc.abstractmethod
    async def check(self) -> None:
        """Return when it answers in time; raise ServiceUnavailable otherwise."""


class Cache(abc.ABC):
    """Short-lived copies of what is expensive to read, as text under string keys.

    A cache may forget anything at any time (capacity, expiry, an outage): a miss is
    always a correct answer, so callers fall back to the source of truth.
    """

    @abc.abstractmethod
    async def get(self, key: str) -> str | None: ...

    async def get_many(self, *keys: str) -> list[str | None]:
        """The values of ``keys`` in order; adapters answer in one round trip."""
        return [await self.get(key) for key in keys]

    @abc.abstractmethod
    async def set(self, key: str, value: str, *, ttl: float) -> None:
        """Keep ``value`` for at most ``ttl`` seconds, replacing what was there."""

    @abc.abstractmethod
    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        """Keep ``value`` only when ``key`` holds nothing; True when it was kept."""

    async def write(self, values: Mapping[str, str], *, ttl: float) -> None:
        """Like ``set`` for each of ``values``, but known to have landed: raise
        ServiceUnavailable when the cache did not acknowledge the write (a cache in
        this process cannot fail to)."""
        for key, value in values.items():
            await self.set(key, value, ttl=ttl)


class SecretBox(abc.ABC):
    """Encrypts secrets kept at rest (two-factor keys), so a copy of the database alone
    opens nothing. Several keys may decrypt; only the first encrypts, so a key can be
    rotated out once everything is re-encrypted."""

    @abc.abstractmethod
    def encrypt(self, plain: str) -> str: ...

    @abc.abstractmethod
    def decrypt(self, token: str) -> str:
        """The plain text of ``token``; ValueError when no key opens it (altered, or
        made with a key no longer configured)."""

    @abc.abstractmethod
    def rotate(self, token: str) -> str:
        """``token`` encrypted again with the first key (its age kept)."""


class RecoveryCodeHasher(abc.ABC):
    """A keyed, deterministic one-way digest of a recovery code. The codes are random and
    long enough that a fast keyed hash suffices: without the key a leaked table cannot
    even be tried against guesses."""

    @abc.abstractmethod
    def hash(self, code: str) -> str:
        """The same digest for the same code however it was typed (case, dashes)."""


@dataclass(frozen=True, slots=True)
class PasskeyHolder:
    """Who a new passkey is for, as the browser's dialog shows it."""

    user_id: UUID
    name: str
    display_name: str


class PasskeyVerifier(abc.ABC):
    """The WebAuthn relying party: the options a browser's passkey dialog takes, and the
    checks of what it answers (signature, challenge, site, origin, user presence).
    Answers are the JSON the browser's PublicKeyCredential gives, as a mapping; every
    malformed or failing one raises InvalidPasskey."""

    @abc.abstractmethod
    def registration_options(
        self, holder: PasskeyHolder, *, challenge: bytes, exclude: list[bytes]
    ) -> dict[str, object]:
        """For ``navigator.credentials.create``: a discoverable credential, user
        verification preferred, none of ``exclude`` (the holder's passkeys) again."""

    @abc.abstractmethod
    def authentication_options(self, *, challenge: bytes, allow: list[bytes]) -> dict[str, object]:
        """For ``navigator.credentials.get``; an empty ``allow`` lets the browser offer
        any passkey of this site (a sign-in that names nobody)."""

    @abc.abstractmethod
    def challenge_of(self, answer: Mapping[str, object]) -> bytes:
        """The challenge the answer signed, read from its client data (not yet checked).

        Raises: InvalidPasskey
        """

    @abc.abstractmethod
    def credential_id_of(self, answer: Mapping[str, object]) -> bytes:
        """Raises: InvalidPasskey"""

    @abc.abstractmethod
    def verify_registration(
        self, answer: Mapping[str, object], *, challenge: bytes
    ) -> NewCredential:
        """Raises: InvalidPasskey"""

    @abc.abstractmethod
    def verify_assertion(
        self,
        answer: Mapping[str, object],
        *,
        challenge: bytes,
        passkey: Passkey,
    ) -> Assertion:
        """Check a sign-in answer against ``passkey``'s public key and user handle.

        Raises: InvalidPasskey
        """
