"""The facade the web layer and the CLI call: each use case with its dependencies bound."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from application import accounts, members
from application.commands import Authenticate, CreateUser, ListMembers, ListUsers, RegisterUser
from application.event_bus import EventBus
from application.results import MemberPage, UserDetail
from application.unit_of_work import UnitOfWork
from domain.ports import Clock, PasswordHasher


@dataclass(frozen=True)
class Services:
    """Every call gets a fresh unit of work from ``uow_factory``; none is shared."""

    uow_factory: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    clock: Clock
    bus: EventBus

    async def register(self, cmd: RegisterUser) -> UserDetail:
        return await accounts.register(
            cmd, uow=self.uow_factory(), hasher=self.hasher, clock=self.clock
        )

    async def create_user(self, cmd: CreateUser) -> UserDetail:
        return await accounts.create_user(
            cmd, uow=self.uow_factory(), hasher=self.hasher, clock=self.clock
        )

    async def authenticate(self, cmd: Authenticate) -> UserDetail:
        return await accounts.authenticate(
            cmd, uow=self.uow_factory(), hasher=self.hasher, clock=self.clock
        )

    async def list_members(self, query: ListMembers) -> MemberPage:
        return await members.list_members(query, uow=self.uow_factory())

    async def get_user(self, user_id: UUID) -> UserDetail | None:
        return await members.get_user(user_id, uow=self.uow_factory())

    async def list_users(self, query: ListUsers) -> list[UserDetail]:
        return await members.list_users(query, uow=self.uow_factory())

    async def check_ready(self) -> None:
        """Raise ServiceUnavailable unless the database answers."""
        async with self.uow_factory():
            pass
