"""The User aggregate: identity, credentials, roles and the events it records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain import errors, events
from domain.roles import role_name
from domain.values import EmailAddress, PasswordHash, Username


@dataclass(eq=False)
class User:
    username: Username
    email: EmailAddress
    password_hash: PasswordHash
    created_at: datetime
    id: UUID = field(default_factory=uuid.uuid4)
    first_name: str = ""
    last_name: str = ""
    active: bool = True
    last_login_at: datetime | None = None
    # When the current address was proved to reach its holder (a link in a mail was
    # used, or an operator vouched for it); None while it is not.
    email_verified_at: datetime | None = None
    roles: set[str] = field(default_factory=set)
    # Set by ``delete``: the repository then removes the account and all it holds.
    deleted: bool = False
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def register(
        cls,
        username: Username,
        email: EmailAddress,
        password_hash: PasswordHash,
        *,
        now: datetime,
        verified: bool = False,
    ) -> User:
        """A new active account with no roles, its address ``verified`` when someone
        vouched for it at once (an operator); records ``UserRegistered``."""
        user = cls(
            username=username,
            email=email,
            password_hash=password_hash,
            created_at=now,
            email_verified_at=now if verified else None,
        )
        user.events.append(
            events.UserRegistered(
                occurred_at=now, user_id=user.id, username=str(username), email=str(email)
            )
        )
        return user

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def verify_email(self, address: EmailAddress, *, now: datetime, by: str = "link") -> None:
        """The holder of ``address`` proved it (``by`` a link, or an operator vouched):
        the current address is now verified, or ``address`` replaces it, verified.

        Raises: EmailAlreadyVerified
        """
        if address.key == self.email.key:
            if self.email_verified:
                raise errors.EmailAlreadyVerified()
            self.email, self.email_verified_at = address, now
            self.events.append(
                events.EmailVerified(occurred_at=now, user_id=self.id, email=str(address), by=by)
            )
            return
        old, self.email, self.email_verified_at = self.email, address, now
        self.events.append(
            events.EmailChanged(
                occurred_at=now, user_id=self.id, old_email=str(old), email=str(address)
            )
        )

    def delete(self, *, now: datetime, by: str) -> None:
        """Erase the account: the repository removes it and everything it holds; the
        trail keeps its id only."""
        if not self.deleted:
            self.deleted = True
            self.events.append(
                events.AccountDeleted(
                    occurred_at=now,
                    user_id=self.id,
                    by=by,
                    email=str(self.email),
                    name=self.full_name,
                )
            )

    def request_email_change(self, address: EmailAddress, *, now: datetime) -> None:
        """Ask for ``address`` to become the account's: nothing changes until its holder
        proves it (``verify_email``)."""
        self.events.append(
            events.EmailChangeRequested(
                occurred_at=now, user_id=self.id, old_email=str(self.email), email=str(address)
            )
        )

    @property
    def full_name(self) -> str:
        """First and last name, whichever are set; the username when neither is."""
        name = f"{self.first_name} {self.last_name}".strip()
        return name or str(self.username)

    def record_login(self, *, now: datetime) -> None:
        if not self.active:
            raise errors.InactiveUser()
        self.last_login_at = now
        self.events.append(
            events.UserLoggedIn(occurred_at=now, user_id=self.id, username=str(self.username))
        )

    def rehash_password(self, password_hash: PasswordHash) -> None:
        """Store a stronger hash of the same password; no event, nothing else changes."""
        self.password_hash = password_hash

    def change_password(
        self, password_hash: PasswordHash, *, now: datetime, via: str = "change"
    ) -> None:
        self.password_hash = password_hash
        self.events.append(events.PasswordChanged(occurred_at=now, user_id=self.id, via=via))

    def update_profile(
        self, *, first_name: str, last_name: str, email: EmailAddress, now: datetime
    ) -> None:
        """Replace the names and the address; records ``ProfileUpdated`` naming what
        changed, or nothing when nothing did."""
        changed = [
            name
            for name, old, new in (
                ("first_name", self.first_name, first_name),
                ("last_name", self.last_name, last_name),
                ("email", self.email.value, email.value),
            )
            if old != new
        ]
        if changed:
            self.first_name, self.last_name, self.email = first_name, last_name, email
            self.events.append(
                events.ProfileUpdated(occurred_at=now, user_id=self.id, changed=",".join(changed))
            )

    def grant_role(self, name: str, *, now: datetime) -> None:
        role = role_name(name)
        if role not in self.roles:
            self.roles.add(role)
            self.events.append(events.RoleGranted(occurred_at=now, user_id=self.id, role=role))

    def revoke_role(self, name: str, *, now: datetime) -> None:
        role = role_name(name)
        if role in self.roles:
            self.roles.discard(role)
            self.events.append(events.RoleRevoked(occurred_at=now, user_id=self.id, role=role))

    def deactivate(self, *, now: datetime) -> None:
        if self.active:
            self.active = False
            self.events.append(events.UserDeactivated(occurred_at=now, user_id=self.id))

    def activate(self, *, now: datetime) -> None:
        if not self.active:
            self.active = True
            self.events.append(events.UserActivated(occurred_at=now, user_id=self.id))
