"""Invitations: with REGISTRATION=invite, only an address an administrator invited may
register, through the single-use link mailed to it.

A bounded context keeps its language in one module: the aggregate, the events it
records, the errors it raises and the repository port it is kept through. The link's
token is random and only its hash is stored, so a leaked table opens no account.
"""

from __future__ import annotations

import abc
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from domain import errors, events
from domain.values import EmailAddress

TOKEN_BYTES = 32
TOKEN_MAX = 128  # longer is no token of ours: refused before it is hashed
ROLES_MAX = 10  # roles one invitation may grant

Status = Literal["pending", "accepted", "revoked", "expired"]


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a link's token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class InvitationNotFound(errors.NotFound):
    code = "invitation_not_found"
    default_message = "There is no such invitation."


class InvalidInvitation(errors.DomainError):
    """A link that is expired, used, withdrawn, altered or unknown: one error for all."""

    code = "invalid_invitation"
    default_message = (
        "This invitation cannot be used: it has expired, has been used or withdrawn, or "
        "the link is incomplete. Ask whoever invited you to send a new one."
    )


class InvitationRequired(errors.PermissionDenied):
    """REGISTRATION=invite, and the registration came without a usable invitation."""

    code = "invitation_required"
    default_message = (
        "Registration here is by invitation only. Ask an administrator to invite your "
        "address, then open the link in the mail."
    )


class InvitationClosed(errors.Conflict):
    code = "invitation_closed"
    default_message = "This invitation has been used or withdrawn; it cannot be changed."


class InvitationPending(errors.Conflict):
    code = "invitation_pending"
    default_message = "This address has an open invitation already: resend it instead."


class InvitationForAnotherAddress(errors.ValidationFailed):
    code = "invitation_for_another_address"
    default_message = "The invitation is for another address: register with the one it names."


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationCreated(events.Event):
    """An administrator invited ``email``; the link's ``token`` goes to the mail only."""

    invitation_id: UUID
    email: str
    roles: str  # comma-separated, as the trail shows it
    token: str = field(default="", metadata=events.PRIVATE)


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationResent(events.Event):
    """A new link went to the address; the one before it works no more."""

    invitation_id: UUID
    email: str
    token: str = field(default="", metadata=events.PRIVATE)


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationRevoked(events.Event):
    invitation_id: UUID
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationAccepted(events.Event):
    """The invitee registered: ``user_id`` is the account the link made."""

    invitation_id: UUID
    user_id: UUID


@dataclass(eq=False)
class Invitation:
    email: EmailAddress
    roles: frozenset[str]
    token_hash: str
    created_at: datetime
    expires_at: datetime
    invited_by: UUID | None = None
    accepted_at: datetime | None = None
    accepted_by: UUID | None = None
    revoked_at: datetime | None = None
    id: UUID = field(default_factory=uuid.uuid4)
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def issue(
        cls,
        email: EmailAddress,
        roles: frozenset[str],
        token: str,
        *,
        now: datetime,
        lifetime: timedelta,
        invited_by: UUID | None,
    ) -> Invitation:
        """A pending invitation of ``email`` whose link carries ``token``; records
        ``InvitationCreated`` (whose handler mails the link)."""
        if len(roles) > ROLES_MAX:
            raise errors.ValidationFailed(
                f"An invitation grants at most {ROLES_MAX} roles.", field="roles"
            )
        invitation = cls(
            email=email,
            roles=roles,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + lifetime,
            invited_by=invited_by,
        )
        invitation.events.append(
            InvitationCreated(
                occurred_at=now,
                invitation_id=invitation.id,
                email=str(email),
                roles=",".join(sorted(roles)),
                token=token,
            )
        )
        return invitation

    def status(self, *, now: datetime) -> Status:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "pending" if now < self.expires_at else "expired"

    def is_open(self) -> bool:
        """Neither used nor withdrawn: it may still be resent (expired or not)."""
        return self.accepted_at is None and self.revoked_at is None

    def renew(self, token: str, *, now: datetime, lifetime: timedelta) -> None:
        """A new link for the same invitation, from now on; the old link is dead.

        Raises: InvitationClosed
        """
        if not self.is_open():
            raise InvitationClosed()
        self.token_hash = hash_token(token)
        self.expires_at = now + lifetime
        self.events.append(
            InvitationResent(
                occurred_at=now,
                invitation_id=self.id,
                email=str(self.email),
                token=token,
            )
        )

    def revoke(self, *, now: datetime) -> None:
        """Withdraw the invitation; withdrawing it again changes nothing.

        Raises: InvitationClosed (it was used already)
        """
        if self.accepted_at is not None:
            raise InvitationClosed()
        if self.revoked_at is None:
            self.revoked_at = now
            self.events.append(
                InvitationRevoked(occurred_at=now, invitation_id=self.id, email=str(self.email))
            )

    def accept(self, user_id: UUID, *, now: datetime) -> None:
        """Use the invitation up: the account ``user_id`` was registered with it.

        Raises: InvalidInvitation
        """
        if self.status(now=now) != "pending":
            raise InvalidInvitation()
        self.accepted_at, self.accepted_by = now, user_id
        self.events.append(
            InvitationAccepted(occurred_at=now, invitation_id=self.id, user_id=user_id)
        )


@dataclass(frozen=True, slots=True)
class InvitationPage:
    invitations: list[Invitation]
    total: int


class InvitationRepository(abc.ABC):
    """Invitations by id, link token or address; ``seen`` holds every one handed out,
    so the unit of work collects their events."""

    def __init__(self) -> None:
        self.seen: dict[UUID, Invitation] = {}

    def add(self, invitation: Invitation) -> None:
        self._add(invitation)
        self.seen[invitation.id] = invitation

    async def get(self, invitation_id: UUID) -> Invitation | None:
        return self._remember(await self._get(invitation_id))

    async def get_by_token(self, token: str) -> Invitation | None:
        """The invitation whose link carries ``token``, in whatever state it is."""
        if not token or len(token) > TOKEN_MAX:
            return None
        return self._remember(await self._get_by_token(hash_token(token)))

    async def open_for(self, email: EmailAddress) -> list[Invitation]:
        """The invitations of ``email`` not yet used or withdrawn (expired or not)."""
        return [self._known(each) for each in await self._open_for(email.key)]

    @abc.abstractmethod
    async def page(self, *, offset: int, limit: int) -> InvitationPage:
        """One page of all invitations, the newest first."""

    def _remember(self, invitation: Invitation | None) -> Invitation | None:
        return None if invitation is None else self._known(invitation)

    def _known(self, invitation: Invitation) -> Invitation:
        return self.seen.setdefault(invitation.id, invitation)

    @abc.abstractmethod
    def _add(self, invitation: Invitation) -> None: ...

    @abc.abstractmethod
    async def _get(self, invitation_id: UUID) -> Invitation | None: ...

    @abc.abstractmethod
    async def _get_by_token(self, token_hash: str) -> Invitation | None: ...

    @abc.abstractmethod
    async def _open_for(self, email_key: str) -> list[Invitation]: ...
