"""Repository ports: collection-like access to aggregates, remembering what they hand out."""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain import values
from domain.audit import AuditEntry
from domain.passkeys import Passkey, PasskeyChallenge
from domain.roles import Role
from domain.sessions import Session
from domain.trusted_browsers import TrustedBrowser
from domain.two_factor import PendingTwoFactor, SignInChallenge, TwoFactor
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
        return self._remember(await self._get_by_login(values.login_key(login)))

    async def username_exists(self, key: str) -> bool:
        return await self._exists("username", key)

    async def email_exists(self, key: str) -> bool:
        return await self._exists("email", key)

    @abc.abstractmethod
    async def list_members(self, *, offset: int, limit: int) -> MemberPage:
        """Active users, oldest first, with the total count, in one query."""

    async def search(self, prefix: str, *, after: str | None, limit: int) -> list[User]:
        """Users whose username or e-mail starts with ``prefix`` (a casefolded key,
        matched literally), by username after the key ``after``; with their roles."""
        found = await self._search(prefix, after, limit)
        self.seen.update((user.id, user) for user in found)
        return found

    @abc.abstractmethod
    async def usernames(self, user_ids: Iterable[UUID]) -> dict[UUID, str]:
        """The usernames of those of ``user_ids`` that still exist, in one query."""

    @abc.abstractmethod
    async def count_active_holding(self, role: str) -> int:
        """How many active users hold ``role``."""

    @abc.abstractmethod
    async def _search(self, prefix: str, after: str | None, limit: int) -> list[User]: ...

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
    """Roles by their canonical (lower-case) name; ``seen`` holds every role handed out."""

    def __init__(self) -> None:
        self.seen: dict[str, Role] = {}

    def add(self, role: Role) -> None:
        self._add(role)
        self.seen[role.name] = role

    async def get(self, name: str) -> Role | None:
        role = await self._get(name)
        if role is not None:
            self.seen[role.name] = role
        return role

    @abc.abstractmethod
    def remove(self, role: Role) -> None:
        """Delete the role when the unit of work commits."""

    @abc.abstractmethod
    async def list_with_members(self) -> list[tuple[Role, int]]:
        """Every role with how many users hold it, by name, in one query."""

    @abc.abstractmethod
    async def count_members(self, name: str) -> int: ...

    @abc.abstractmethod
    def _add(self, role: Role) -> None: ...

    @abc.abstractmethod
    async def _get(self, name: str) -> Role | None: ...


class SessionRepository(abc.ABC):
    """Sign-in sessions; ``seen`` holds every session handed out, so changes are saved."""

    def __init__(self) -> None:
        self.seen: dict[UUID, Session] = {}

    def add(self, session: Session) -> None:
        self._add(session)
        self.seen[session.id] = session

    async def get(self, session_id: UUID) -> Session | None:
        return self._remember(await self._get(session_id))

    async def get_with_user(self, key_hash: str) -> tuple[Session, User] | None:
        """The session with this key and its user, in one round trip."""
        found = await self._get_with_user(key_hash)
        if found is not None:
            self._remember(found[0])
        return found

    async def list_for_user(self, user_id: UUID) -> list[Session]:
        """The user's sessions that are not revoked, most recently used first."""
        found = await self._list_for_user(user_id)
        self.seen.update((session.id, session) for session in found)
        return found

    @abc.abstractmethod
    async def revoke_all(
        self, user_id: UUID, *, now: datetime, except_id: UUID | None = None
    ) -> list[UUID]:
        """Revoke every live session of the user but ``except_id``; the ids revoked."""

    def _remember(self, session: Session | None) -> Session | None:
        if session is not None:
            self.seen[session.id] = session
        return session

    @abc.abstractmethod
    def _add(self, session: Session) -> None: ...

    @abc.abstractmethod
    async def _get(self, session_id: UUID) -> Session | None: ...

    @abc.abstractmethod
    async def _get_with_user(self, key_hash: str) -> tuple[Session, User] | None: ...

    @abc.abstractmethod
    async def _list_for_user(self, user_id: UUID) -> list[Session]: ...


class TrustedBrowserRepository(abc.ABC):
    """Browsers that may skip the code step; ``seen`` holds every one handed out, so
    a use or a forgetting is saved on commit."""

    def __init__(self) -> None:
        self.seen: dict[UUID, TrustedBrowser] = {}

    def add(self, browser: TrustedBrowser) -> None:
        self._add(browser)
        self.seen[browser.id] = browser

    async def get(self, browser_id: UUID) -> TrustedBrowser | None:
        return self._remember(await self._get(browser_id))

    async def get_by_token(self, token_hash: str) -> TrustedBrowser | None:
        return self._remember(await self._get_by_token(token_hash))

    async def list_for_user(self, user_id: UUID) -> list[TrustedBrowser]:
        """The account's browsers not forgotten (expired ones included), newest first."""
        found = await self._list_for_user(user_id)
        self.seen.update((browser.id, browser) for browser in found)
        return found

    @abc.abstractmethod
    async def remove_stale(self, user_id: UUID, *, now: datetime) -> None:
        """Delete the account's browsers that expired or were forgotten before ``now``,
        so the table holds only what may still be used."""

    def _remember(self, browser: TrustedBrowser | None) -> TrustedBrowser | None:
        if browser is not None:
            self.seen[browser.id] = browser
        return browser

    @abc.abstractmethod
    def _add(self, browser: TrustedBrowser) -> None: ...

    @abc.abstractmethod
    async def _get(self, browser_id: UUID) -> TrustedBrowser | None: ...

    @abc.abstractmethod
    async def _get_by_token(self, token_hash: str) -> TrustedBrowser | None: ...

    @abc.abstractmethod
    async def _list_for_user(self, user_id: UUID) -> list[TrustedBrowser]: ...


class PasskeyRepository(abc.ABC):
    """Passkeys and their ceremonies' challenges. ``seen`` holds every passkey handed
    out: a use, a new name or a removal is saved on commit. A use is written only if
    the stored signature count is still the one read, and a challenge is spent only if
    nobody spent it first, so of two answers racing with the same one, one loses
    (InvalidPasskey, InvalidChallenge)."""

    def __init__(self) -> None:
        self.seen: dict[UUID, Passkey] = {}
        self.challenges_seen: dict[str, PasskeyChallenge] = {}

    def add(self, passkey: Passkey) -> None:
        self._add(passkey)
        self.seen[passkey.id] = passkey

    async def get(self, passkey_id: UUID) -> Passkey | None:
        """A passkey not removed."""
        return self._remember(await self._get(passkey_id))

    async def get_by_credential(self, credential_id: bytes) -> Passkey | None:
        """The passkey not removed with this WebAuthn credential id."""
        return self._remember(await self._get_by_credential(credential_id))

    async def list_for_user(self, user_id: UUID) -> list[Passkey]:
        """The account's passkeys not removed, oldest first."""
        found = await self._list_for_user(user_id)
        self.seen.update((passkey.id, passkey) for passkey in found)
        return found

    def add_challenge(self, challenge: PasskeyChallenge) -> None:
        self._add_challenge(challenge)
        self.challenges_seen[challenge.digest] = challenge

    async def get_challenge(self, digest: str) -> PasskeyChallenge | None:
        found = await self._get_challenge(digest)
        if found is not None:
            self.challenges_seen[found.digest] = found
        return found

    @abc.abstractmethod
    async def remove_expired_challenges(self, *, now: datetime) -> None:
        """Forget challenges that expired before ``now`` (used or not)."""

    def _remember(self, passkey: Passkey | None) -> Passkey | None:
        if passkey is not None:
            self.seen[passkey.id] = passkey
        return passkey

    @abc.abstractmethod
    def _add(self, passkey: Passkey) -> None: ...

    @abc.abstractmethod
    async def _get(self, passkey_id: UUID) -> Passkey | None: ...

    @abc.abstractmethod
    async def _get_by_credential(self, credential_id: bytes) -> Passkey | None: ...

    @abc.abstractmethod
    async def _list_for_user(self, user_id: UUID) -> list[Passkey]: ...

    @abc.abstractmethod
    def _add_challenge(self, challenge: PasskeyChallenge) -> None: ...

    @abc.abstractmethod
    async def _get_challenge(self, digest: str) -> PasskeyChallenge | None: ...


class AuditLog(abc.ABC):
    """The append-only audit trail."""

    @abc.abstractmethod
    def add(self, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    async def list(
        self,
        *,
        user_id: UUID | None = None,
        event_type: str | None = None,
        before: tuple[datetime, UUID] | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:
        """Newest first; ``before`` is the (time, id) of the last entry of the page before."""

    @abc.abstractmethod
    async def forget_personal(self, user_id: UUID) -> None:
        """Erase what names a person (``audit.PERSONAL_DETAILS``) from the entries about
        ``user_id``, keeping the rest: a deleted account's trail outlives it."""


@dataclass(frozen=True, slots=True)
class StoredSecret:
    """An encrypted secret where it is kept: ``pending`` for a set-up not yet confirmed."""

    user_id: UUID
    secret_encrypted: str
    pending: bool = False


class TwoFactorRepository(abc.ABC):
    """Second factors by account, their pending set-ups, and sign-in challenges.

    ``seen`` holds every second factor handed out: on commit a changed one is written,
    one turned off is forgotten with its recovery codes. Accepting a code and spending a
    recovery code or a challenge are written only if nobody did so since it was read, so
    of two requests racing with the same code one loses (InvalidCode, InvalidChallenge).
    """

    def __init__(self) -> None:
        self.seen: dict[UUID, TwoFactor] = {}
        self.challenges_seen: dict[str, SignInChallenge] = {}

    def add(self, two_factor: TwoFactor) -> None:
        self._add(two_factor)
        self.seen[two_factor.user_id] = two_factor

    async def get(self, user_id: UUID) -> TwoFactor | None:
        """The account's second factor with its recovery codes, if two-factor is on."""
        found = await self._get(user_id)
        if found is not None:
            self.seen[found.user_id] = found
        return found

    @abc.abstractmethod
    async def enabled_among(self, user_ids: Iterable[UUID]) -> set[UUID]:
        """Those of ``user_ids`` with two-factor on, in one query."""

    @abc.abstractmethod
    async def get_pending(self, user_id: UUID) -> PendingTwoFactor | None: ...

    @abc.abstractmethod
    async def put_pending(self, pending: PendingTwoFactor) -> None:
        """Keep ``pending`` as the account's one set-up, replacing any earlier one."""

    @abc.abstractmethod
    async def remove_pending(self, user_id: UUID) -> None: ...

    @abc.abstractmethod
    def add_challenge(self, challenge: SignInChallenge) -> None: ...

    @abc.abstractmethod
    async def remove_expired_challenges(self, user_id: UUID, *, now: datetime) -> None:
        """Forget the account's challenges that expired before ``now`` (used or not), so
        each account keeps only the few of the last minutes."""

    @abc.abstractmethod
    async def encrypted_secrets(self) -> list[StoredSecret]:
        """Every secret kept encrypted: each second factor's and each pending set-up's."""

    @abc.abstractmethod
    async def replace_secret(self, stored: StoredSecret, secret_encrypted: str) -> None:
        """Store ``secret_encrypted`` in place of ``stored`` (the same secret re-encrypted)."""

    async def get_challenge(self, token_hash: str) -> SignInChallenge | None:
        found = await self._get_challenge(token_hash)
        if found is not None:
            self.challenges_seen[found.token_hash] = found
        return found

    @abc.abstractmethod
    def _add(self, two_factor: TwoFactor) -> None: ...

    @abc.abstractmethod
    async def _get(self, user_id: UUID) -> TwoFactor | None: ...

    @abc.abstractmethod
    async def _get_challenge(self, token_hash: str) -> SignInChallenge | None: ...
