"""The SQLAlchemy unit of work: one connection and one transaction per ``async with``."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from application.event_bus import EventBus
from application.unit_of_work import UnitOfWork
from domain.ports import Clock
from infrastructure.clock import SystemClock
from infrastructure.db.audit import SqlAlchemyAuditLog
from infrastructure.db.errors import domain_error_for, translated
from infrastructure.db.invitations import SqlAlchemyInvitationRepository
from infrastructure.db.outbox import SqlAlchemyOutbox
from infrastructure.db.passkeys import SqlAlchemyPasskeyRepository
from infrastructure.db.repositories import SqlAlchemyUserRepository
from infrastructure.db.roles import SqlAlchemyRoleRepository
from infrastructure.db.sessions import SqlAlchemySessionRepository
from infrastructure.db.trusted_browsers import SqlAlchemyTrustedBrowserRepository
from infrastructure.db.two_factor import SqlAlchemyTwoFactorRepository


class SqlAlchemyUnitOfWork(UnitOfWork):
    users: SqlAlchemyUserRepository
    roles: SqlAlchemyRoleRepository
    sessions: SqlAlchemySessionRepository
    two_factor: SqlAlchemyTwoFactorRepository
    trusted_browsers: SqlAlchemyTrustedBrowserRepository
    passkeys: SqlAlchemyPasskeyRepository
    invitations: SqlAlchemyInvitationRepository
    audit: SqlAlchemyAuditLog
    outbox: SqlAlchemyOutbox

    def __init__(self, engine: AsyncEngine, bus: EventBus, clock: Clock | None = None) -> None:
        super().__init__(bus)
        self._engine = engine
        self._clock = clock or SystemClock()
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        async with translated():
            await super().__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the connection; a driver error from inside the block leaves as the
        domain error it means (a lost database becomes ServiceUnavailable)."""
        try:
            await super().__aexit__(exc_type, exc, tb)
        except Exception as close_error:
            if exc is None:
                raise domain_error_for(close_error) or close_error from close_error
        mapped = domain_error_for(exc) if exc is not None else None
        if mapped is not None:
            raise mapped from exc

    async def _begin(self) -> None:
        connection = await self._engine.connect()
        try:
            await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self.users = SqlAlchemyUserRepository(connection, self._clock)
        self.roles = SqlAlchemyRoleRepository(connection)
        self.sessions = SqlAlchemySessionRepository(connection)
        self.two_factor = SqlAlchemyTwoFactorRepository(connection)
        self.trusted_browsers = SqlAlchemyTrustedBrowserRepository(connection)
        self.passkeys = SqlAlchemyPasskeyRepository(connection)
        self.invitations = SqlAlchemyInvitationRepository(connection)
        self.audit = SqlAlchemyAuditLog(connection)
        self.outbox = SqlAlchemyOutbox(connection)

    async def _commit(self) -> None:
        assert self._connection is not None, "commit() outside 'async with'"
        async with translated():
            await self.roles.flush()
            await self.users.flush()
            await self.two_factor.flush()
            await self.sessions.flush()
            await self.trusted_browsers.flush()
            await self.passkeys.flush()
            await self.invitations.flush()
            await self.audit.flush()
            await self.outbox.flush()
            await self.users.flush_deleted()
            await self._connection.commit()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.rollback()
        finally:
            await connection.close()
