"""The unit of work port: one transaction, rolled back unless committed."""

from __future__ import annotations

import abc
from types import TracebackType
from uuid import UUID

from application.event_bus import EventBus
from application.outbox import Outbox, invalidation_for
from domain import events
from domain.audit import AuditEntry
from domain.invitations import Invitation, InvitationRepository
from domain.passkeys import Passkey
from domain.repositories import (
    AuditLog,
    PasskeyRepository,
    RoleRepository,
    SessionRepository,
    TrustedBrowserRepository,
    TwoFactorRepository,
    UserRepository,
)
from domain.roles import Role
from domain.sessions import Session
from domain.trusted_browsers import TrustedBrowser
from domain.two_factor import TwoFactor
from domain.users import User


class UnitOfWork(abc.ABC):
    """``async with uow:`` opens a transaction; ``commit()`` writes it. Leaving the block
    gives the connection back and then publishes the events the touched aggregates
    recorded, so a handler that opens a unit of work of its own never waits for the
    connection its caller holds. Without a commit everything is rolled back and
    nothing is published."""

    users: UserRepository
    roles: RoleRepository
    sessions: SessionRepository
    two_factor: TwoFactorRepository
    trusted_browsers: TrustedBrowserRepository
    passkeys: PasskeyRepository
    invitations: InvitationRepository
    audit: AuditLog
    outbox: Outbox

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._loose_events: list[events.Event] = []
        self._committed: list[events.Event] = []
        self.client_ip: str | None = None
        self.actor_id: UUID | None = None
        self.actor_name: str | None = None

    async def __aenter__(self) -> UnitOfWork:
        self._loose_events = []
        self._committed = []
        await self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        committed, self._committed = self._committed, []
        try:
            await self._close()
        finally:
            await self._bus.publish(committed)

    def record(self, event: events.Event) -> None:
        """Keep an event that belongs to no aggregate (a failed sign-in, say)."""
        self._loose_events.append(event)

    async def commit(self) -> None:
        """Write the changes, their audit entries and the cache invalidations they call
        for (the outbox) in one transaction; the events are published when the block is
        left."""
        collected = self._collect_events()
        for event in collected:
            by = self.actor_name if self.actor_id is None else None
            self.audit.add(AuditEntry.of(event, actor_id=self.actor_id, ip=self.client_ip, by=by))
            if (invalidation := invalidation_for(event)) is not None:
                self.outbox.add(invalidation)
        await self._commit()
        self._committed.extend(collected)

    def _collect_events(self) -> list[events.Event]:
        collected = list(self._loose_events)
        self._loose_events.clear()
        aggregates: list[
            User | Session | Role | TwoFactor | TrustedBrowser | Passkey | Invitation
        ] = [
            *self.users.seen.values(),
            *self.sessions.seen.values(),
            *self.roles.seen.values(),
            *self.two_factor.seen.values(),
            *self.trusted_browsers.seen.values(),
            *self.passkeys.seen.values(),
            *self.invitations.seen.values(),
        ]
        for aggregate in aggregates:
            collected.extend(aggregate.events)
            aggregate.events.clear()
        return collected

    @abc.abstractmethod
    async def _begin(self) -> None: ...

    @abc.abstractmethod
    async def _commit(self) -> None: ...

    @abc.abstractmethod
    async def _close(self) -> None:
        """End the transaction, rolling back whatever was not committed."""
