"""In-memory fakes of the ports, subclassing the real ABCs; for unit tests only."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from application.caching import ReadCache
from application.event_bus import EventBus
from application.outbox import Invalidation, Outbox, PendingInvalidations
from application.results import PasskeyOptions
from application.services import Services
from application.unit_of_work import UnitOfWork
from domain import errors, events
from domain.audit import AuditEntry, impersonal
from domain.invitations import (
    InvalidInvitation,
    Invitation,
    InvitationClosed,
    InvitationPage,
    InvitationRepository,
)
from domain.passkeys import Assertion, NewCredential, Passkey, PasskeyChallenge
from domain.ports import (
    AddressTokens,
    Cache,
    Clock,
    LoginDigest,
    LoginThrottle,
    Mailer,
    MailMessage,
    MailTemplates,
    PasskeyHolder,
    PasskeyVerifier,
    PasswordHasher,
    RecoveryCodeHasher,
    ResetTokens,
    SecretBox,
    Verification,
)
from domain.repositories import (
    AuditLog,
    Member,
    MemberPage,
    PasskeyRepository,
    RoleRepository,
    SessionRepository,
    StoredSecret,
    TrustedBrowserRepository,
    TwoFactorRepository,
    UserRepository,
)
from domain.roles import ADMIN, Role
from domain.sessions import Session, SessionPolicy
from domain.trusted_browsers import TrustedBrowser
from domain.two_factor import (
    PendingTwoFactor,
    SignInChallenge,
    TwoFactor,
    normalise_recovery_code,
)
from domain.users import User
from domain.values import EmailAddress, PasswordHash, login_key

SESSION_POLICY = SessionPolicy(idle_timeout=timedelta(hours=2), lifetime=timedelta(days=30))


class FakeClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakePasswordHasher(PasswordHasher):
    """'hashes' as ``scheme$password``; counts every unit of work done, so tests can
    show unknown users cost the same as known ones."""

    def __init__(self, scheme: str = "fake") -> None:
        self.scheme = scheme
        self.work_done = 0

    async def hash(self, password: str) -> PasswordHash:
        self.work_done += 1
        return PasswordHash(f"{self.scheme}${password}")

    async def verify(self, password: str, password_hash: PasswordHash) -> Verification:
        await asyncio.sleep(0)  # the real one waits for a thread: others run meanwhile
        self.work_done += 1
        scheme, _, stored = password_hash.value.partition("$")
        ok = stored == password
        upgraded = (
            PasswordHash(f"{self.scheme}${password}") if ok and scheme != self.scheme else None
        )
        return Verification(ok=ok, upgraded=upgraded)

    async def dummy_verify(self, password: str) -> None:
        await asyncio.sleep(0)
        self.work_done += 1


class FakeUserRepository(UserRepository):
    """Keeps committed users in ``store``; hands out copies so uncommitted changes
    vanish on rollback, as a database would."""

    def __init__(self, store: dict[UUID, User]) -> None:
        super().__init__()
        self.store = store
        self.pending: dict[UUID, User] = {}

    def _add(self, user: User) -> None:
        self.pending[user.id] = user

    async def _get(self, user_id: UUID) -> User | None:
        return self._copy(self.store.get(user_id))

    async def _get_by_login(self, key: str) -> User | None:
        for user in self.store.values():
            if key in (user.username.key, user.email.key):
                return self._copy(user)
        return None

    async def _exists(self, column: str, key: str) -> bool:
        return any(getattr(user, column).key == key for user in self.store.values())

    async def list_members(self, *, offset: int, limit: int) -> MemberPage:
        active = sorted(
            (user for user in self.store.values() if user.active),
            key=lambda user: (user.created_at, str(user.id)),
        )
        members = [
            Member(u.id, str(u.username), u.first_name, u.last_name, u.created_at)
            for u in active[offset : offset + limit]
        ]
        return MemberPage(members=members, total=len(active))

    async def _search(self, prefix: str, after: str | None, limit: int) -> list[User]:
        matching = sorted(
            (
                user
                for user in self.store.values()
                if user.username.key.startswith(prefix) or user.email.key.startswith(prefix)
            ),
            key=lambda user: user.username.key,
        )
        page = [u for u in matching if after is None or u.username.key > after][:limit]
        return [self._remember_copy(user) for user in page]

    async def usernames(self, user_ids: Iterable[UUID]) -> dict[UUID, str]:
        return {i: str(self.store[i].username) for i in set(user_ids) if i in self.store}

    async def count_active_holding(self, role: str) -> int:
        return sum(1 for user in self.store.values() if user.active and role in user.roles)

    def commit_into_store(self) -> None:
        for user in [*self.pending.values(), *self.seen.values()]:
            if user.deleted:
                self.store.pop(user.id, None)
                continue
            self._check_unique(user)
            self.store[user.id] = self._strip_events(user)
        self.pending.clear()

    def _check_unique(self, user: User) -> None:
        for other in self.store.values():
            if other.id == user.id:
                continue
            if other.username.key == user.username.key:
                raise errors.UsernameTaken(field="username")
            if other.email.key == user.email.key:
                raise errors.EmailTaken(field="email")

    def _remember_copy(self, user: User) -> User:
        copied = self._copy(user)
        assert copied is not None
        self.seen[copied.id] = copied
        return copied

    @staticmethod
    def _copy(user: User | None) -> User | None:
        return None if user is None else copy.deepcopy(user)

    @staticmethod
    def _strip_events(user: User) -> User:
        stored = copy.deepcopy(user)
        stored.events = []
        return stored


class FakeRoleRepository(RoleRepository):
    """Roles in a shared dictionary; holders are counted from the users' role sets."""

    def __init__(self, store: dict[str, Role], users: dict[UUID, User]) -> None:
        super().__init__()
        self.store = store
        self.users = users
        self.pending: list[Role] = []
        self.removed: list[Role] = []

    def _add(self, role: Role) -> None:
        self.pending.append(role)

    async def _get(self, name: str) -> Role | None:
        found = self.store.get(name)
        return None if found is None else copy.deepcopy(found)

    def remove(self, role: Role) -> None:
        self.removed.append(role)

    async def list_with_members(self) -> list[tuple[Role, int]]:
        roles = [copy.deepcopy(self.store[name]) for name in sorted(self.store)]
        return [(role, await self.count_members(role.name)) for role in roles]

    async def count_members(self, name: str) -> int:
        return sum(1 for user in self.users.values() if name in user.roles)

    def commit_into_store(self) -> None:
        for role in self.pending:
            if role.name in self.store:
                raise errors.RoleAlreadyExists(field="name")
        for role in [*self.pending, *self.seen.values()]:
            stored = copy.deepcopy(role)
            stored.events = []
            self.store[role.name] = stored
        for role in self.removed:
            self.store.pop(role.name, None)
        self.pending.clear()
        self.removed.clear()


class FakeSessionRepository(SessionRepository):
    def __init__(self, store: dict[UUID, Session], users: dict[UUID, User]) -> None:
        super().__init__()
        self.store = store
        self.users = users
        self.pending: list[Session] = []
        self.revoked_in_bulk: list[UUID] = []

    def _add(self, session: Session) -> None:
        self.pending.append(session)

    async def _get(self, session_id: UUID) -> Session | None:
        found = self.store.get(session_id)
        return None if found is None else copy.deepcopy(found)

    async def _get_with_user(self, key_hash: str) -> tuple[Session, User] | None:
        for session in self.store.values():
            user = self.users.get(session.user_id)
            if session.key_hash == key_hash and user is not None:
                return copy.deepcopy(session), copy.deepcopy(user)
        return None

    async def _list_for_user(self, user_id: UUID) -> list[Session]:
        mine = [s for s in self.store.values() if s.user_id == user_id and s.revoked_at is None]
        return [copy.deepcopy(s) for s in sorted(mine, key=lambda s: s.last_seen_at, reverse=True)]

    async def revoke_all(
        self, user_id: UUID, *, now: datetime, except_id: UUID | None = None
    ) -> list[UUID]:
        self.revoked_in_bulk = [
            s.id
            for s in self.store.values()
            if s.user_id == user_id and s.revoked_at is None and s.id != except_id
        ]
        return list(self.revoked_in_bulk)

    def commit_into_store(self, now: datetime) -> None:
        for session in [*self.pending, *self.seen.values()]:
            stored = copy.deepcopy(session)
            stored.events = []
            self.store[session.id] = stored
        for session_id in self.revoked_in_bulk:
            self.store[session_id].revoked_at = now
        self.pending.clear()


class FakePasskeyRepository(PasskeyRepository):
    """Copies in and out of the shared store; as on the database, a use is kept only if
    the stored count is still the one read, a challenge spent only once."""

    def __init__(self, state: FakeState) -> None:
        super().__init__()
        self.state = state
        self.read_counts: dict[UUID, int] = {}
        self.read_spent: dict[str, bool] = {}
        self.expired_before: datetime | None = None

    def _add(self, passkey: Passkey) -> None:
        self.read_counts[passkey.id] = passkey.sign_count

    def _read(self, passkey: Passkey | None) -> Passkey | None:
        if passkey is None or passkey.removed:
            return None
        self.read_counts.setdefault(passkey.id, passkey.sign_count)
        return copy.deepcopy(passkey)

    async def _get(self, passkey_id: UUID) -> Passkey | None:
        return self._read(self.state.passkeys.get(passkey_id))

    async def _get_by_credential(self, credential_id: bytes) -> Passkey | None:
        found = [p for p in self.state.passkeys.values() if p.credential_id == credential_id]
        return self._read(next((p for p in found if not p.removed), None))

    async def _list_for_user(self, user_id: UUID) -> list[Passkey]:
        mine = [p for p in self.state.passkeys.values() if p.user_id == user_id]
        found = [self._read(p) for p in sorted(mine, key=lambda p: p.created_at)]
        return [p for p in found if p is not None]

    def _add_challenge(self, challenge: PasskeyChallenge) -> None:
        self.read_spent[challenge.digest] = False

    async def _get_challenge(self, digest: str) -> PasskeyChallenge | None:
        found = self.state.passkey_challenges.get(digest)
        if found is not None:
            self.read_spent[digest] = found.used_at is not None
        return copy.deepcopy(found)

    async def remove_expired_challenges(self, *, now: datetime) -> None:
        self.expired_before = now

    def commit_into_store(self) -> None:
        for passkey in self.seen.values():
            stored = self.state.passkeys.get(passkey.id)
            if stored is not None and stored.sign_count != self.read_counts[passkey.id]:
                raise errors.InvalidPasskey()  # somebody used it since it was read
            if stored is None and any(
                p.credential_id == passkey.credential_id and not p.removed
                for p in self.state.passkeys.values()
            ):
                raise errors.InvalidPasskey()  # the credential is registered already
        for digest, challenge in self.challenges_seen.items():
            stored_challenge = self.state.passkey_challenges.get(digest)
            spent_here = challenge.used_at is not None and not self.read_spent.get(digest)
            if spent_here and stored_challenge is not None and stored_challenge.used_at:
                raise errors.InvalidChallenge()
        if self.expired_before is not None:
            for digest, issued in list(self.state.passkey_challenges.items()):
                if issued.expires_at < self.expired_before:
                    del self.state.passkey_challenges[digest]
        for passkey in self.seen.values():
            kept = copy.deepcopy(passkey)
            kept.events = []
            self.state.passkeys[passkey.id] = kept
        for digest, challenge in self.challenges_seen.items():
            self.state.passkey_challenges[digest] = copy.deepcopy(challenge)


class FakeInvitationRepository(InvitationRepository):
    """Keeps invitations in a dict; like the database, a change to one that another
    unit of work closed meanwhile fails at commit."""

    def __init__(self, store: dict[UUID, Invitation]) -> None:
        super().__init__()
        self.store = store
        self.pending: list[Invitation] = []

    def _add(self, invitation: Invitation) -> None:
        self.pending.append(invitation)

    async def _get(self, invitation_id: UUID) -> Invitation | None:
        return copy.deepcopy(self.store.get(invitation_id))

    async def _get_by_token(self, token_hash: str) -> Invitation | None:
        found = [each for each in self.store.values() if each.token_hash == token_hash]
        return copy.deepcopy(found[0]) if found else None

    async def _open_for(self, email_key: str) -> list[Invitation]:
        return [
            copy.deepcopy(each)
            for each in self.store.values()
            if each.email.key == email_key and each.is_open()
        ]

    async def page(self, *, offset: int, limit: int) -> InvitationPage:
        newest = sorted(self.store.values(), key=lambda each: each.created_at, reverse=True)
        return InvitationPage(
            [copy.deepcopy(each) for each in newest[offset : offset + limit]], len(newest)
        )

    def check(self) -> None:
        for invitation in self.seen.values():
            stored = self.store.get(invitation.id)
            if stored is None or stored.is_open() or _same_invitation(stored, invitation):
                continue
            raise InvalidInvitation() if invitation.accepted_at else InvitationClosed()

    def commit_into_store(self) -> None:
        for invitation in [*self.pending, *self.seen.values()]:
            kept = copy.deepcopy(invitation)
            kept.events = []
            self.store[invitation.id] = kept
        self.pending.clear()


def _same_invitation(one: Invitation, other: Invitation) -> bool:
    return (one.token_hash, one.expires_at, one.accepted_at, one.revoked_at) == (
        other.token_hash,
        other.expires_at,
        other.accepted_at,
        other.revoked_at,
    )


class FakeTrustedBrowserRepository(TrustedBrowserRepository):
    def __init__(self, store: dict[UUID, TrustedBrowser]) -> None:
        super().__init__()
        self.store = store
        self.pending: list[TrustedBrowser] = []
        self.stale_before: tuple[UUID, datetime] | None = None

    def _add(self, browser: TrustedBrowser) -> None:
        self.pending.append(browser)

    async def _get(self, browser_id: UUID) -> TrustedBrowser | None:
        return copy.deepcopy(self.store.get(browser_id))

    async def _get_by_token(self, token_hash: str) -> TrustedBrowser | None:
        found = [b for b in self.store.values() if b.token_hash == token_hash]
        return copy.deepcopy(found[0]) if found else None

    async def _list_for_user(self, user_id: UUID) -> list[TrustedBrowser]:
        mine = [b for b in self.store.values() if b.user_id == user_id and b.revoked_at is None]
        return [copy.deepcopy(b) for b in sorted(mine, key=lambda b: b.created_at, reverse=True)]

    async def remove_stale(self, user_id: UUID, *, now: datetime) -> None:
        self.stale_before = (user_id, now)

    def commit_into_store(self) -> None:
        if self.stale_before is not None:
            user_id, now = self.stale_before
            for browser_id, browser in list(self.store.items()):
                gone = browser.expires_at < now or (browser.revoked_at or now) < now
                if browser.user_id == user_id and gone:
                    del self.store[browser_id]
        for browser in [*self.pending, *self.seen.values()]:
            kept = copy.deepcopy(browser)
            kept.events = []
            self.store[browser.id] = kept
        self.pending.clear()


class FakeTwoFactorRepository(TwoFactorRepository):
    """Copies in and out of the shared store; a change is kept only on commit, and, as
    on the database, only if the stored row is still as it was read."""

    def __init__(self, state: FakeState) -> None:
        super().__init__()
        self.state = state
        self.pending: list[TwoFactor] = []
        self.new_challenges: list[SignInChallenge] = []
        self.read: dict[UUID, TwoFactor] = {}
        self.pending_setups: dict[UUID, PendingTwoFactor | None] = {}
        self.read_used: dict[str, bool] = {}
        self.replaced: list[tuple[StoredSecret, str]] = []
        self.expired_before: tuple[UUID, datetime] | None = None

    def _add(self, two_factor: TwoFactor) -> None:
        self.pending.append(two_factor)

    async def _get(self, user_id: UUID) -> TwoFactor | None:
        found = self.state.two_factor.get(user_id)
        if found is None:
            return None
        self.read[user_id] = copy.deepcopy(found)
        return copy.deepcopy(found)

    async def enabled_among(self, user_ids: Iterable[UUID]) -> set[UUID]:
        return set(user_ids) & set(self.state.two_factor)

    async def get_pending(self, user_id: UUID) -> PendingTwoFactor | None:
        if user_id in self.pending_setups:
            return copy.deepcopy(self.pending_setups[user_id])
        return copy.deepcopy(self.state.pending_two_factor.get(user_id))

    async def put_pending(self, pending: PendingTwoFactor) -> None:
        self.pending_setups[pending.user_id] = copy.deepcopy(pending)

    async def remove_pending(self, user_id: UUID) -> None:
        self.pending_setups[user_id] = None

    def add_challenge(self, challenge: SignInChallenge) -> None:
        self.new_challenges.append(challenge)

    async def remove_expired_challenges(self, user_id: UUID, *, now: datetime) -> None:
        self.expired_before = (user_id, now)

    async def encrypted_secrets(self) -> list[StoredSecret]:
        found = [StoredSecret(k, v.secret_encrypted) for k, v in self.state.two_factor.items()]
        pending = self.state.pending_two_factor.items()
        return found + [StoredSecret(k, v.secret_encrypted, pending=True) for k, v in pending]

    async def replace_secret(self, stored: StoredSecret, secret_encrypted: str) -> None:
        self.replaced.append((stored, secret_encrypted))

    async def _get_challenge(self, token_hash: str) -> SignInChallenge | None:
        found = self.state.challenges.get(token_hash)
        if found is not None:
            self.read_used[token_hash] = found.used_at is not None
        return copy.deepcopy(found)

    def commit_into_store(self) -> None:
        for user_id in self.seen:
            stored = self.state.two_factor.get(user_id)
            if user_id in self.read and stored is not None:
                read = self.read[user_id]
                if stored.last_step != read.last_step or stored.recovery_codes_left != (
                    read.recovery_codes_left
                ):
                    raise errors.InvalidCode()  # somebody used a code since it was read
        for challenge in self.challenges_seen.values():
            stored_challenge = self.state.challenges.get(challenge.token_hash)
            spent_here = challenge.used_at and not self.read_used.get(challenge.token_hash)
            if spent_here and stored_challenge and stored_challenge.used_at:
                raise errors.InvalidChallenge()
        for state in [*self.pending, *self.seen.values()]:
            if state.enabled:
                kept = copy.deepcopy(state)
                kept.events = []
                self.state.two_factor[state.user_id] = kept
            else:
                self.state.two_factor.pop(state.user_id, None)
        if self.expired_before is not None:
            user_id, now = self.expired_before
            for token_hash, issued in list(self.state.challenges.items()):
                if issued.user_id == user_id and issued.expires_at < now:
                    del self.state.challenges[token_hash]
        for challenge in [*self.new_challenges, *self.challenges_seen.values()]:
            self.state.challenges[challenge.token_hash] = copy.deepcopy(challenge)
        for user_id, setup in self.pending_setups.items():
            if setup is None:
                self.state.pending_two_factor.pop(user_id, None)
            else:
                self.state.pending_two_factor[user_id] = setup
        for where, secret_encrypted in self.replaced:
            kept_at: PendingTwoFactor | TwoFactor | None = (
                self.state.pending_two_factor.get(where.user_id)
                if where.pending
                else self.state.two_factor.get(where.user_id)
            )
            if kept_at is not None:
                kept_at.secret_encrypted = secret_encrypted
        self.pending.clear()
        self.new_challenges.clear()


class FakeOutbox(Outbox, PendingInvalidations):
    """The outbox both ways: what units of work added on commit, what the relay reads.
    ``failing`` makes reading it raise, as a database that went away would."""

    def __init__(self, store: list[Invalidation]) -> None:
        self.store = store
        self.pending: list[Invalidation] = []
        self.failing = False

    def add(self, invalidation: Invalidation) -> None:
        self.pending.append(invalidation)

    def commit_into_store(self) -> None:
        self.store.extend(self.pending)
        self.pending.clear()

    async def oldest(self, limit: int) -> list[Invalidation]:
        if self.failing:
            raise errors.ServiceUnavailable()
        return sorted(self.store, key=lambda each: each.created_at)[:limit]

    async def remove(self, ids: Sequence[UUID]) -> None:
        gone = set(ids)
        self.store[:] = [each for each in self.store if each.id not in gone]


class FakeAuditLog(AuditLog):
    def __init__(self, store: list[AuditEntry]) -> None:
        self.store = store
        self.pending: list[AuditEntry] = []
        self.forgotten: UUID | None = None

    def add(self, entry: AuditEntry) -> None:
        self.pending.append(entry)

    async def list(
        self,
        *,
        user_id: UUID | None = None,
        event_type: str | None = None,
        before: tuple[datetime, UUID] | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:
        """Newest first by (time, id), as the database orders them."""
        found = [
            e
            for e in sorted(self.store, key=lambda e: (e.occurred_at, e.id), reverse=True)
            if (user_id is None or e.user_id == user_id)
            and (event_type is None or e.event_type == event_type)
            and (before is None or (e.occurred_at, e.id) < before)
        ]
        return found[:limit]

    async def forget_personal(self, user_id: UUID) -> None:
        self.forgotten = user_id

    def commit_into_store(self) -> None:
        self.store.extend(self.pending)
        self.pending.clear()
        if (user_id := self.forgotten) is not None:
            self.store[:] = [
                dataclasses.replace(e, details=impersonal(e.details)) if e.user_id == user_id else e
                for e in self.store
            ]


class FakeLoginThrottle(LoginThrottle):
    """Counts attempts per key with no clock: ``limit`` go ahead, the rest are refused
    until a place is released or the key reset."""

    def __init__(self, limit: int = 5, wait: int = 900) -> None:
        self.limit = limit
        self.wait = wait
        self.attempts: dict[str, int] = {}

    async def reserve(self, key: str) -> int | None:
        if self.attempts.get(key, 0) >= self.limit:
            return self.wait
        self.attempts[key] = self.attempts.get(key, 0) + 1
        return None

    async def release(self, key: str) -> None:
        if self.attempts.get(key, 0) > 0:
            self.attempts[key] -= 1

    async def reset(self, key: str) -> None:
        self.attempts.pop(key, None)


class FakeCache(Cache):
    """A dict whose entries expire by the fake clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.entries: dict[str, tuple[str, datetime]] = {}

    async def get(self, key: str) -> str | None:
        found = self.entries.get(key)
        if found is None or self.clock.now() >= found[1]:
            self.entries.pop(key, None)
            return None
        return found[0]

    async def set(self, key: str, value: str, *, ttl: float) -> None:
        self.entries[key] = (value, self.clock.now() + timedelta(seconds=ttl))

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        if await self.get(key) is not None:
            return False
        await self.set(key, value, ttl=ttl)
        return True


class FakeResetTokens(ResetTokens):
    """``user-id.issued.password-hash.email``, unsigned: enough to show the use cases
    refuse a token once the password or address changes, or after ``max_age``."""

    def __init__(self, max_age: timedelta = timedelta(hours=1)) -> None:
        self.max_age = max_age

    def make_token(self, user: User, *, now: datetime) -> str:
        return "|".join((str(user.id), now.isoformat(), user.password_hash.value, user.email.key))

    def claimed_user(self, token: str) -> UUID | None:
        try:
            return UUID(token.split("|")[0])
        except ValueError:
            return None

    def check_token(self, user: User, token: str, *, now: datetime) -> bool:
        parts = token.split("|")
        if len(parts) != 4:
            return False
        user_id, issued, password_hash, email = parts
        fresh = now - datetime.fromisoformat(issued) <= self.max_age
        current = (user_id, password_hash, email) == (
            str(user.id),
            user.password_hash.value,
            user.email.key,
        )
        return fresh and current


class FakeAddressTokens(AddressTokens):
    """``user-id|address|issued|current-key|verified``, unsigned: enough to show the use
    cases refuse a link once used, once the address changes, or after ``max_age``."""

    def __init__(self, max_age: timedelta = timedelta(days=3)) -> None:
        self.max_age = max_age

    def make_token(self, user: User, address: EmailAddress, *, now: datetime) -> str:
        return "|".join((str(user.id), str(address), now.isoformat(), *self._state(user)))

    def claimed(self, token: str) -> tuple[UUID, str] | None:
        parts = token.split("|")
        try:
            return (UUID(parts[0]), parts[1]) if len(parts) == 5 else None
        except ValueError:
            return None

    def check_token(self, user: User, address: EmailAddress, token: str, *, now: datetime) -> bool:
        parts = token.split("|")
        if len(parts) != 5 or self.claimed(token) is None:
            return False
        user_id, given, issued, *state = parts
        fresh = timedelta(0) <= now - datetime.fromisoformat(issued) <= self.max_age
        same = EmailAddress(given).key == address.key and user_id == str(user.id)
        return fresh and same and tuple(state) == self._state(user)

    @staticmethod
    def _state(user: User) -> tuple[str, str]:
        verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
        return user.email.key, verified


class RecordingMailer(Mailer):
    def __init__(self) -> None:
        self.sent: list[MailMessage] = []

    async def send(self, message: MailMessage) -> None:
        self.sent.append(message)


class PlainMailTemplates(MailTemplates):
    def render(self, template: str, to: str, **values: object) -> MailMessage:
        body = " ".join(f"{key}={value}" for key, value in sorted(values.items()))
        return MailMessage(to=to, subject=template, text=body, html=f"<p>{body}</p>")


class FakeUnitOfWork(UnitOfWork):
    """Commits into shared dictionaries; counts commits and rollbacks."""

    users: FakeUserRepository
    roles: FakeRoleRepository
    sessions: FakeSessionRepository
    two_factor: FakeTwoFactorRepository
    trusted_browsers: FakeTrustedBrowserRepository
    passkeys: FakePasskeyRepository
    invitations: FakeInvitationRepository
    audit: FakeAuditLog
    outbox: FakeOutbox

    def __init__(self, bus: EventBus, state: FakeState) -> None:
        super().__init__(bus)
        self.state = state

    async def _begin(self) -> None:
        self.users = FakeUserRepository(self.state.users)
        self.roles = FakeRoleRepository(self.state.roles, self.state.users)
        self.sessions = FakeSessionRepository(self.state.sessions, self.state.users)
        self.two_factor = FakeTwoFactorRepository(self.state)
        self.trusted_browsers = FakeTrustedBrowserRepository(self.state.trusted_browsers)
        self.passkeys = FakePasskeyRepository(self.state)
        self.invitations = FakeInvitationRepository(self.state.invitations)
        self.audit = FakeAuditLog(self.state.audit)
        self.outbox = FakeOutbox(self.state.outbox)
        self.committed = False

    async def _commit(self) -> None:
        self.invitations.check()  # first: these may refuse, like the database would
        self.passkeys.commit_into_store()
        self.roles.commit_into_store()
        self.users.commit_into_store()
        self.two_factor.commit_into_store()
        self.trusted_browsers.commit_into_store()
        self.invitations.commit_into_store()
        self.sessions.commit_into_store(self.state.now())
        self.audit.commit_into_store()
        self.outbox.commit_into_store()
        self._cascade()
        self.committed = True
        self.state.commits += 1

    async def _close(self) -> None:
        if not self.committed:
            self.state.rollbacks += 1

    def _cascade(self) -> None:
        """What ON DELETE CASCADE does: a deleted account's rows go with it."""
        for table in (self.state.two_factor, self.state.pending_two_factor):
            for user_id in set(table) - set(self.state.users):
                del table[user_id]
        for rows in (self.state.sessions, self.state.passkeys, self.state.trusted_browsers):
            for key, row in list(rows.items()):
                if row.user_id not in self.state.users:
                    del rows[key]
        for key, invitation in list(self.state.invitations.items()):
            accepted_by = invitation.accepted_by
            if accepted_by is not None and accepted_by not in self.state.users:
                del self.state.invitations[key]


class FakeState:
    """What the fake database holds, shared by every fake unit of work of one test."""

    def __init__(self, clock: Clock) -> None:
        self.now = clock.now
        self.users: dict[UUID, User] = {}
        self.roles: dict[str, Role] = {ADMIN: Role(ADMIN, "Manages users and roles.", clock.now())}
        self.sessions: dict[UUID, Session] = {}
        self.two_factor: dict[UUID, TwoFactor] = {}
        self.pending_two_factor: dict[UUID, PendingTwoFactor] = {}
        self.challenges: dict[str, SignInChallenge] = {}
        self.trusted_browsers: dict[UUID, TrustedBrowser] = {}
        self.passkeys: dict[UUID, Passkey] = {}
        self.passkey_challenges: dict[str, PasskeyChallenge] = {}
        self.invitations: dict[UUID, Invitation] = {}
        self.audit: list[AuditEntry] = []
        self.outbox: list[Invalidation] = []
        self.commits = 0
        self.rollbacks = 0


class RecordingBus(EventBus):
    """An event bus that also remembers everything published."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[events.Event] = []

    async def publish(self, published: object) -> None:
        batch = list(published)  # type: ignore[call-overload]
        self.published.extend(batch)
        await super().publish(batch)


class FakeSecretBox(SecretBox):
    """Sealed visibly (so a test can see nothing is stored in the clear), reversibly."""

    PREFIX = "sealed:"

    def encrypt(self, plain: str) -> str:
        return self.PREFIX + plain[::-1]

    def decrypt(self, token: str) -> str:
        if not token.startswith(self.PREFIX):
            raise ValueError("no configured key opens this secret")
        return token.removeprefix(self.PREFIX)[::-1]

    def rotate(self, token: str) -> str:
        return self.encrypt(self.decrypt(token))


class FakeRecoveryCodeHasher(RecoveryCodeHasher):
    def hash(self, code: str) -> str:
        return "rc-" + hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


class FakeLoginDigest(LoginDigest):
    """Readable in test failures, and still never the login itself."""

    def digest(self, login: str) -> str:
        return "digest-" + hashlib.sha256(login_key(login).encode()).hexdigest()[:8]


class FakePasskeyVerifier(PasskeyVerifier):
    """Answers are plain dictionaries a FakeAuthenticator writes: the challenge in hex,
    the credential id, and for a sign-in the key it "signed" with and its count. The
    checks a real relying party makes are made on them: the challenge is the one given,
    the signing key is the stored public key, the ceremony is the right one."""

    def registration_options(
        self, holder: PasskeyHolder, *, challenge: bytes, exclude: list[bytes]
    ) -> dict[str, object]:
        return {
            "challenge": challenge.hex(),
            "user": {"id": holder.user_id.hex, "name": holder.name},
            "excludeCredentials": [each.hex() for each in exclude],
        }

    def authentication_options(self, *, challenge: bytes, allow: list[bytes]) -> dict[str, object]:
        return {"challenge": challenge.hex(), "allowCredentials": [each.hex() for each in allow]}

    def challenge_of(self, answer: Mapping[str, object]) -> bytes:
        return bytes.fromhex(self._text(answer, "challenge"))

    def credential_id_of(self, answer: Mapping[str, object]) -> bytes:
        return bytes.fromhex(self._text(answer, "rawId"))

    def verify_registration(
        self, answer: Mapping[str, object], *, challenge: bytes
    ) -> NewCredential:
        if answer.get("type") != "create" or self.challenge_of(answer) != challenge:
            raise errors.InvalidPasskey()
        return NewCredential(
            credential_id=self.credential_id_of(answer),
            public_key=bytes.fromhex(self._text(answer, "publicKey")),
            sign_count=0,
            transports=("internal",),
            authenticator="built into a device",
        )

    def verify_assertion(
        self, answer: Mapping[str, object], *, challenge: bytes, passkey: Passkey
    ) -> Assertion:
        signed_with = bytes.fromhex(self._text(answer, "signedWith"))
        if answer.get("type") != "get" or self.challenge_of(answer) != challenge:
            raise errors.InvalidPasskey()
        if (
            signed_with != passkey.public_key
            or self.credential_id_of(answer) != passkey.credential_id
        ):
            raise errors.InvalidPasskey()
        count = answer.get("signCount", 0)
        return Assertion(passkey.credential_id, sign_count=count if isinstance(count, int) else 0)

    @staticmethod
    def _text(answer: Mapping[str, object], key: str) -> str:
        value = answer.get(key)
        if not isinstance(value, str):
            raise errors.InvalidPasskey()
        try:
            bytes.fromhex(value)
        except ValueError:
            raise errors.InvalidPasskey() from None
        return value


class FakeAuthenticator:
    """A device holding one passkey, answering a FakePasskeyVerifier's options."""

    def __init__(self, *, counts: bool = True) -> None:
        self.credential_id = uuid4().bytes
        self.key = b"public-" + self.credential_id
        self.count = 0
        self.counts = counts

    def create(self, options: PasskeyOptions) -> dict[str, Any]:
        return {
            "type": "create",
            "rawId": self.credential_id.hex(),
            "challenge": options.public_key["challenge"],
            "publicKey": self.key.hex(),
        }

    def get(self, options: PasskeyOptions) -> dict[str, Any]:
        if self.counts:
            self.count += 1
        return {
            "type": "get",
            "rawId": self.credential_id.hex(),
            "challenge": options.public_key["challenge"],
            "signedWith": self.key.hex(),
            "signCount": self.count,
        }


def fake_services() -> tuple[Services, FakeState, RecordingBus]:
    clock = FakeClock()
    state = FakeState(clock)
    bus = RecordingBus()
    services = Services(
        uow_factory=lambda: FakeUnitOfWork(bus, state),
        hasher=FakePasswordHasher(),
        clock=clock,
        bus=bus,
        throttle=FakeLoginThrottle(),
        session_policy=SESSION_POLICY,
        tokens=FakeResetTokens(),
        reset_throttle=FakeLoginThrottle(limit=3, wait=3600),
        login_digest=FakeLoginDigest(),
        secret_box=FakeSecretBox(),
        recovery_codes=FakeRecoveryCodeHasher(),
        passkey_verifier=FakePasskeyVerifier(),
        address_tokens=FakeAddressTokens(),
        cache=ReadCache(FakeCache(clock), ttl=300),
    )
    services.cache.subscribe(bus)
    return services, state, bus
