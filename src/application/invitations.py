"""Use cases of invitations: administrators invite, resend and revoke; an invitee
registers with the link. The commands and results of this context live beside them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from application.accounts import ensure_available, registration_problems
from application.admin import authorise
from application.commands import Actor, RegisterUser, Text
from application.event_bus import EventBus
from application.results import UserDetail
from application.unit_of_work import UnitOfWork
from domain import errors, events
from domain.invitations import (
    ROLES_MAX,
    InvalidInvitation,
    Invitation,
    InvitationCreated,
    InvitationForAnotherAddress,
    InvitationNotFound,
    InvitationPending,
    InvitationResent,
    Status,
    new_token,
)
from domain.ports import Clock, Mailer, MailTemplates, PasswordHasher
from domain.roles import role_name
from domain.users import User
from domain.values import EmailAddress, Username

DEFAULT_LIFETIME = timedelta(days=7)


class Invite(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=1024)

    email: Text = Field(
        min_length=1,
        max_length=254,
        description="The address to invite; no account may have it yet.",
        examples=["grace@example.com"],
    )
    roles: frozenset[Text] = Field(
        default=frozenset(),
        max_length=ROLES_MAX,
        description=f"Roles the new account holds at once (at most {ROLES_MAX}); each must exist.",
        examples=[["editor"]],
    )


class ListInvitations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=25, ge=1, le=100)


class InvitationView(BaseModel):
    """An invitation as administrators see it; the link itself is only ever mailed."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    email: str
    roles: tuple[str, ...] = Field(description="Roles granted when the invitee registers.")
    status: Status = Field(
        description="`pending` (the link works), `accepted`, `revoked` or `expired`."
    )
    created_at: datetime
    expires_at: datetime = Field(description="When the current link stops working.")
    invited_by: str | None = Field(
        description="The username of who invited (null for the command line, or once "
        "that account is gone)."
    )
    accepted_at: datetime | None
    accepted_by: UUID | None = Field(description="The account registered with the link.")

    @classmethod
    def of(cls, invitation: Invitation, *, now: datetime, inviter: str | None) -> InvitationView:
        return cls(
            id=invitation.id,
            email=str(invitation.email),
            roles=tuple(sorted(invitation.roles)),
            status=invitation.status(now=now),
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            invited_by=inviter,
            accepted_at=invitation.accepted_at,
            accepted_by=invitation.accepted_by,
        )


class InvitationList(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: tuple[InvitationView, ...]
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


async def invite(
    cmd: Invite, actor: Actor, *, uow: UnitOfWork, clock: Clock, lifetime: timedelta
) -> InvitationView:
    """Invite an address that has no account and no pending invitation; the link is
    mailed once the invitation is committed.

    Raises: PermissionDenied, InvalidEmail, ValidationFailed, InvalidRoleName,
    RoleNotFound, EmailTaken, InvitationPending
    """
    email = EmailAddress(cmd.email)
    try:
        names = frozenset(role_name(name) for name in cmd.roles)
    except errors.InvalidRoleName as error:
        raise errors.InvalidRoleName(field="roles") from error
    async with uow:
        await authorise(uow, actor)
        if await uow.users.email_exists(email.key):
            raise errors.EmailTaken(field="email")
        now = clock.now()
        if any(each.status(now=now) == "pending" for each in await uow.invitations.open_for(email)):
            raise InvitationPending(field="email")
        for name in sorted(names):
            if await uow.roles.get(name) is None:
                raise errors.RoleNotFound(f"There is no role named {name!r}.", field="roles")
        invitation = Invitation.issue(
            email, names, new_token(), now=now, lifetime=lifetime, invited_by=actor.user_id
        )
        uow.invitations.add(invitation)
        await uow.commit()
        return await _view(uow, invitation, now)


async def list_invitations(
    query: ListInvitations, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> InvitationList:
    """Every invitation, the newest first, one page at a time.

    Raises: PermissionDenied
    """
    async with uow:
        await authorise(uow, actor)
        found = await uow.invitations.page(
            offset=(query.page - 1) * query.per_page, limit=query.per_page
        )
        inviters = await uow.users.usernames(
            {each.invited_by for each in found.invitations if each.invited_by is not None}
        )
    now = clock.now()
    items = tuple(
        InvitationView.of(each, now=now, inviter=_name(inviters, each.invited_by))
        for each in found.invitations
    )
    return InvitationList(items=items, page=query.page, per_page=query.per_page, total=found.total)


async def get_invitation(
    invitation_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> InvitationView:
    """Raises: PermissionDenied, InvitationNotFound"""
    async with uow:
        await authorise(uow, actor)
        return await _view(uow, await _invitation(uow, invitation_id), clock.now())


async def resend(
    invitation_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock, lifetime: timedelta
) -> InvitationView:
    """Mail a new link, valid for a whole lifetime from now; the old link is dead.

    Raises: PermissionDenied, InvitationNotFound, InvitationClosed
    """

    def renew(invitation: Invitation, now: datetime) -> None:
        invitation.renew(new_token(), now=now, lifetime=lifetime)

    return await _changed(invitation_id, actor, renew, uow=uow, clock=clock)


async def revoke(
    invitation_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> InvitationView:
    """Withdraw an invitation: its link stops working at once.

    Raises: PermissionDenied, InvitationNotFound, InvitationClosed
    """

    def withdraw(invitation: Invitation, now: datetime) -> None:
        invitation.revoke(now=now)

    return await _changed(invitation_id, actor, withdraw, uow=uow, clock=clock)


async def invited_address(token: str, *, uow: UnitOfWork, clock: Clock) -> str:
    """The address a usable link invites, for the registration form to show.

    Raises: InvalidInvitation
    """
    async with uow:
        invitation = await _usable(uow, token, clock.now())
    return str(invitation.email)


async def register_invited(
    cmd: RegisterUser, token: str, *, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock
) -> UserDetail:
    """Register the invited address, verified (the link proved it), with the roles the
    invitation names that still exist, and use the invitation up: all in one commit.
    Of two registrations racing with one link, one wins; the other is told the link
    is used.

    Raises: InvalidInvitation, InvitationForAnotherAddress, InvalidUsername,
    InvalidEmail, WeakPassword, UsernameTaken, EmailTaken
    """
    errors.raise_together(registration_problems(cmd.username, cmd.email, cmd.password))
    username, email = Username(cmd.username), EmailAddress(cmd.email)
    try:
        return await _register_with(token, username, email, cmd.password, uow, hasher, clock)
    except errors.EmailTaken:
        # A racing registration with the same link may have made the account between
        # our reads (or before our insert): then the link is used, and that is the answer.
        async with uow:
            await _usable(uow, token, clock.now())
        raise


async def _register_with(
    token: str,
    username: Username,
    email: EmailAddress,
    password: str,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
) -> UserDetail:
    async with uow:
        invitation = await _usable(uow, token, clock.now())
        if invitation.email.key != email.key:
            raise InvitationForAnotherAddress(field="email")
        await ensure_available(uow, username, email)
    password_hash = await hasher.hash(password)
    async with uow:
        now = clock.now()
        invitation = await _usable(uow, token, now)
        user = User.register(username, invitation.email, password_hash, now=now, verified=True)
        for name in sorted(invitation.roles):
            if await uow.roles.get(name) is not None:  # a role deleted since is skipped
                user.grant_role(name, now=now)
        invitation.accept(user.id, now=now)
        uow.users.add(user)
        await uow.commit()
    return UserDetail.of(user)


async def _changed(
    invitation_id: UUID,
    actor: Actor,
    change: Callable[[Invitation, datetime], None],
    *,
    uow: UnitOfWork,
    clock: Clock,
) -> InvitationView:
    """Authorise ``actor``, make ``change`` to the invitation and commit it."""
    async with uow:
        await authorise(uow, actor)
        invitation = await _invitation(uow, invitation_id)
        now = clock.now()
        change(invitation, now)
        await uow.commit()
        return await _view(uow, invitation, now)


async def _usable(uow: UnitOfWork, token: str, now: datetime) -> Invitation:
    invitation = await uow.invitations.get_by_token(token)
    if invitation is None or invitation.status(now=now) != "pending":
        raise InvalidInvitation()
    return invitation


async def _invitation(uow: UnitOfWork, invitation_id: UUID) -> Invitation:
    invitation = await uow.invitations.get(invitation_id)
    if invitation is None:
        raise InvitationNotFound()
    return invitation


async def _view(uow: UnitOfWork, invitation: Invitation, now: datetime) -> InvitationView:
    ids = [invitation.invited_by] if invitation.invited_by is not None else []
    inviters = await uow.users.usernames(ids)
    return InvitationView.of(invitation, now=now, inviter=_name(inviters, invitation.invited_by))


def _name(names: dict[UUID, str], user_id: UUID | None) -> str | None:
    return None if user_id is None else names.get(user_id)


@dataclass(frozen=True)
class InvitationMail:
    """Mails each new link: when an invitation is made and when it is resent. Runs in
    the background after the commit, like every mail."""

    mailer: Mailer
    templates: MailTemplates
    lifetime: timedelta

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(InvitationCreated, self.send_link, background=True)
        bus.subscribe(InvitationResent, self.send_link, background=True)

    async def send_link(self, event: events.Event) -> None:
        assert isinstance(event, InvitationCreated | InvitationResent)
        message = self.templates.render(
            "invitation", event.email, token=event.token, days=lifetime_in_words(self.lifetime)
        )
        await self.mailer.send(message)


def lifetime_in_words(lifetime: timedelta) -> str:
    """The lifetime in words for the mail: "7 days", "1 day", "12 hours"."""
    if lifetime >= timedelta(days=1):
        days = round(lifetime / timedelta(days=1))
        return f"{days} day{'s' if days != 1 else ''}"
    hours = max(1, round(lifetime / timedelta(hours=1)))
    return f"{hours} hour{'s' if hours != 1 else ''}"
