"""Repository ports: collection-like access to aggregates, remembering what they hand out."""

from __future__ import annotations

import abc
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.roles import Role
from domain.users import User


@dataclass(frozen=True, slots=True)
class Member:
    """A read-only row of the members list."""

    id: UUID
    username: str
    first_name: str
    last_name: str
    created_at: datetime

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username


@dataclass(frozen=True, slots=True)
class MemberPage:
    members: list[Member]
    total: int


class UserRepository(abc.ABC):
    """Users by id, username, e-mail or either; ``seen`` holds every user handed out."""

    def __init__(self) -> None:
        self.seen: dict[UUID, User] = {}

    def add(self, user: User) -> None:
        self._add(user)
        self.seen[user.id] = user

    async def get(self, user_id: UUID) -> User | None:
        return self._remember(await self._get(user_id))

    async def get_by_login(self, login: str) -> User | None:
        """The user whose username or e-mail matches ``login``, ignoring case."""
        key = unicodedata.normalize("NFC", login.strip()).casefold()
        return self._remember(await self._get_by_login(key))

    async def username_exists(self, key: str) -> bool:
        return await self._exists("username", key)

    async def email_exists(self, key: str) -> bool:
        return await self._exists("email", key)

    @abc.abstractmethod
    async def list_members(self, *, offset: int, limit: int) -> MemberPage:
        """Active users, oldest first, with the total count, in one query."""

    @abc.abstractmethod
    async def list_all(self, *, offset: int, limit: int) -> list[User]:
        """Every user, active or not, ordered by username, with their roles."""

    def _remember(self, user: User | None) -> User | None:
        if user is not None:
            self.seen[user.id] = user
        return user

    @abc.abstractmethod
    def _add(self, user: User) -> None: ...

    @abc.abstractmethod
    async def _get(self, user_id: UUID) -> User | None: ...

    @abc.abstractmethod
    async def _get_by_login(self, key: str) -> User | None: ...

    @abc.abstractmethod
    async def _exists(self, column: str, key: str) -> bool: ...


class RoleRepository(abc.ABC):
    """Roles by their canonical name."""

    @abc.abstractmethod
    def add(self, role: Role) -> None: ...

    @abc.abstractmethod
    async def get(self, name: str) -> Role | None: ...

    @abc.abstractmethod
    async def list(self) -> list[Role]: ...
