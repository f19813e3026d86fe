"""The transactional outbox of cache invalidations, and the relay that delivers it.

A change other processes must hear about (a sign-out, a revoked session, a new
password, a deactivation, a role taken away) is written as an outbox message by the
unit of work, in the same transaction as the change: either both are stored or
neither. The relay, one task in every serving process, hands pending messages to the
shared cache and removes them only once the cache acknowledged them; while Redis (or
the database) does not answer it retries with backoff, and after a reconnect or a
restart it delivers whatever is still pending. Delivering a message twice (two
relays at once) is harmless: an invalidation applied twice is one invalidation.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain import events

logger = logging.getLogger(__name__)

BATCH = 200  # messages a relay delivers at once
POLL = 1.0  # seconds between looks at the outbox when it was empty
RETRY_FIRST = 0.1  # seconds before the first retry of a failed delivery, doubling...
RETRY_MAX = 2.0  # ...up to this


@dataclass(frozen=True)
class Invalidation:
    """What the cache must forget: an account's copy, and/or every members page."""

    created_at: datetime
    user_id: UUID | None = None
    members: bool = False
    id: UUID = field(default_factory=uuid.uuid4)


# Events that name an account but change nothing a cached copy holds: a flood of failed or
# throttled sign-ins must not become a flood of outbox rows and evicted copies.
UNCHANGING_EVENTS: tuple[type[events.Event], ...] = (
    events.LoginFailed,
    events.SignInThrottled,
    events.RequestsThrottled,
    events.PasswordResetRequested,
    events.EmailVerificationRequested,
    events.EmailChangeRequested,
    events.RegistrationTriedWithAddress,
    events.AccountExported,
)
MEMBER_EVENTS: tuple[type[events.Event], ...] = (
    events.UserRegistered,
    events.AccountDeleted,
    events.ProfileUpdated,
    events.UserActivated,
    events.UserDeactivated,
)


def invalidation_for(event: events.Event) -> Invalidation | None:
    """What ``event`` makes stale: the account it names (sign-in and sign-out,
    profile, password, roles, sessions, activation), and the members pages when it
    changes who is listed or how; None when no cached copy depends on it."""
    if isinstance(event, UNCHANGING_EVENTS):
        return None
    user_id = getattr(event, "user_id", None)
    named = user_id if isinstance(user_id, UUID) else None
    members = isinstance(event, MEMBER_EVENTS)
    if named is None and not members:
        return None
    return Invalidation(created_at=event.occurred_at, user_id=named, members=members)


class Outbox(abc.ABC):
    """The unit of work's side: messages written with the transaction's changes."""

    @abc.abstractmethod
    def add(self, invalidation: Invalidation) -> None: ...


class PendingInvalidations(abc.ABC):
    """The relay's side: what was committed and not yet delivered, oldest first."""

    @abc.abstractmethod
    async def oldest(self, limit: int) -> list[Invalidation]:
        """Raises: ServiceUnavailable"""

    @abc.abstractmethod
    async def remove(self, ids: Sequence[UUID]) -> None:
        """Raises: ServiceUnavailable"""


Deliver = Callable[[Sequence[Invalidation]], Awaitable[None]]


class Relay:
    """Delivers the outbox to the cache (``deliver`` raises unless acknowledged)."""

    def __init__(
        self,
        pending: PendingInvalidations,
        deliver: Deliver,
        *,
        poll: float = POLL,
        retry_first: float = RETRY_FIRST,
        retry_max: float = RETRY_MAX,
    ) -> None:
        self._pending = pending
        self._deliver = deliver
        self._poll = poll
        self._retry_first = retry_first
        self._retry_max = retry_max
        self._task: asyncio.Task[None] | None = None

    async def deliver_pending(self) -> int:
        """One batch: deliver, then remove what was delivered; how many.

        Raises: whatever the outbox or the cache raised (nothing is removed then)."""
        batch = await self._pending.oldest(BATCH)
        if batch:
            await self._deliver(batch)
            await self._pending.remove([each.id for each in batch])
        return len(batch)

    async def run(self) -> None:
        """Forever: deliver what is pending, wait, and retry with backoff on failure."""
        failing_since: float | None = None
        retry = self._retry_first
        while True:
            try:
                delivered = await self.deliver_pending()
            except Exception as error:
                if failing_since is None:
                    logger.warning("Cache invalidations wait in the outbox: %r", error)
                    failing_since = asyncio.get_running_loop().time()
                await asyncio.sleep(retry)
                retry = min(retry * 2, self._retry_max)
                continue
            if failing_since is not None:
                logger.info("Cache invalidations delivered again")
                failing_since, retry = None, self._retry_first
            if delivered < BATCH:
                await asyncio.sleep(self._poll)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="outbox relay")

    async def stop(self) -> None:
        """Stop the task; what is still pending stays for the next relay."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
