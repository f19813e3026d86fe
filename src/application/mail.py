"""Mail the account events call for, sent by background handlers on the event bus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from application.event_bus import EventBus
from application.unit_of_work import UnitOfWork
from domain import events
from domain.ports import AddressTokens, Clock, Mailer, MailTemplates, ResetTokens
from domain.users import User
from domain.values import EmailAddress

# The notice each change of how an account signs in mails its holder, by template.
NOTICES: dict[type[events.Event], str] = {
    events.TwoFactorEnabled: "two_factor_enabled",
    events.TwoFactorDisabled: "two_factor_disabled",
    events.TwoFactorReset: "two_factor_reset",
    events.RecoveryCodeUsed: "recovery_code_used",
    events.PasskeyAdded: "passkey_added",
    events.PasskeyRemoved: "passkey_removed",
}


@dataclass(frozen=True)
class AccountMail:
    """Composes and sends the welcome and password-reset mails, and the notices of
    two-factor changes.

    Runs after the change is committed and outside the request: a mail that cannot
    be sent is logged by the mailer and never undoes or delays the change.
    """

    uow_factory: Callable[[], UnitOfWork]
    mailer: Mailer
    templates: MailTemplates
    tokens: ResetTokens
    clock: Clock
    address_tokens: AddressTokens | None = None
    # Whether registrations are asked to verify their address (EMAIL_VERIFICATION).
    verification: bool = False

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(events.UserRegistered, self.welcome, background=True)
        bus.subscribe(events.PasswordResetRequested, self.password_reset, background=True)
        bus.subscribe(events.EmailVerificationRequested, self.verification_link, background=True)
        bus.subscribe(events.EmailChangeRequested, self.address_change, background=True)
        bus.subscribe(events.RegistrationTriedWithAddress, self.registration_tried, background=True)
        bus.subscribe(events.AccountDeleted, self.account_deleted, background=True)
        for kind in NOTICES:
            bus.subscribe(kind, self.two_factor_notice, background=True)

    async def welcome(self, event: events.Event) -> None:
        assert isinstance(event, events.UserRegistered)
        user = await self._active_user(event.user_id)
        if user is None:
            return
        values: dict[str, object] = {"name": user.full_name}
        if self.verification and not user.email_verified:
            values["token"] = self._address_token(user)
        await self.mailer.send(self.templates.render("welcome", str(user.email), **values))

    async def verification_link(self, event: events.Event) -> None:
        """A new link to the address it was asked for, while it is still the account's
        and not yet verified."""
        assert isinstance(event, events.EmailVerificationRequested)
        user = await self._active_user(event.user_id)
        if user is None or user.email_verified or str(user.email) != event.email:
            return
        await self.mailer.send(
            self.templates.render(
                "verify_address",
                str(user.email),
                name=user.full_name,
                token=self._address_token(user),
            )
        )

    async def registration_tried(self, event: events.Event) -> None:
        """Tell an address's holder someone tried to register with it (and how to get in,
        if it was them and they forgot)."""
        assert isinstance(event, events.RegistrationTriedWithAddress)
        user = await self._active_user(event.user_id)
        if user is not None:
            message = self.templates.render(
                "registration_tried", str(user.email), name=user.full_name
            )
            await self.mailer.send(message)

    async def account_deleted(self, event: events.Event) -> None:
        """The last mail to a deleted account's address (carried by the event alone:
        the account and its address are gone)."""
        assert isinstance(event, events.AccountDeleted)
        if event.email:
            message = self.templates.render("account_deleted", event.email, name=event.name)
            await self.mailer.send(message)

    async def address_change(self, event: events.Event) -> None:
        """The link to the new address, and a notice to the old one (whose holder may
        not be the one who asked)."""
        assert isinstance(event, events.EmailChangeRequested)
        user = await self._active_user(event.user_id)
        if user is None or str(user.email) != event.old_email:
            return
        new = EmailAddress(event.email)
        token = self._address_token(user, new)
        name = user.full_name
        await self.mailer.send(
            self.templates.render("confirm_address", event.email, name=name, token=token)
        )
        await self.mailer.send(
            self.templates.render(
                "address_change_notice", event.old_email, name=name, new=event.email
            )
        )

    def _address_token(self, user: User, address: EmailAddress | None = None) -> str:
        assert self.address_tokens is not None, "address links need AddressTokens"
        return self.address_tokens.make_token(user, address or user.email, now=self.clock.now())

    async def password_reset(self, event: events.Event) -> None:
        assert isinstance(event, events.PasswordResetRequested)
        if event.user_id is None:
            return
        user = await self._active_user(event.user_id)
        if user is None:
            return
        token = self.tokens.make_token(user, now=self.clock.now())
        await self.mailer.send(
            self.templates.render(
                "password_reset", str(user.email), name=user.full_name, token=token
            )
        )

    async def two_factor_notice(self, event: events.Event) -> None:
        """Tell the account holder how they sign in changed (a second factor, a passkey),
        so a change they did not make is noticed; a used recovery code says how many
        are left."""
        assert isinstance(
            event,
            events.TwoFactorEnabled
            | events.TwoFactorDisabled
            | events.TwoFactorReset
            | events.RecoveryCodeUsed
            | events.PasskeyAdded
            | events.PasskeyRemoved,
        )
        user = await self._active_user(event.user_id)
        if user is None:
            return
        values: dict[str, object] = {"name": user.full_name}
        if isinstance(event, events.RecoveryCodeUsed):
            values["remaining"] = event.remaining
        await self.mailer.send(
            self.templates.render(NOTICES[type(event)], str(user.email), **values)
        )

    async def _active_user(self, user_id: UUID) -> User | None:
        async with self.uow_factory() as uow:
            user = await uow.users.get(user_id)
        return user if user is not None and user.active else None
