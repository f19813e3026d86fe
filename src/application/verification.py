"""Use cases of verified addresses: mailing the link again, and using it."""

from __future__ import annotations

from uuid import UUID

from application.admin import authorise
from application.commands import Actor, Client
from application.profile import active_user
from application.results import AdminUserDetail, UserDetail
from application.unit_of_work import UnitOfWork
from domain import errors, events
from domain.ports import AddressTokens, Clock, LoginThrottle
from domain.users import User
from domain.values import EmailAddress

TOO_MANY_LINKS = "Too many links have been asked for this account."


async def request_verification(
    user_id: UUID, client: Client, *, uow: UnitOfWork, clock: Clock, throttle: LoginThrottle
) -> str:
    """Mail the account's address a new link (from a background handler); the address.

    Raises: UserNotFound, EmailAlreadyVerified, TooManyAttempts (too many links asked
    for this account)
    """
    async with uow:
        user = await active_user(uow, user_id)
    if user.email_verified:
        raise errors.EmailAlreadyVerified()
    if (wait := await throttle.reserve(f"verify:{user.id}")) is not None:
        raise errors.TooManyAttempts(wait, TOO_MANY_LINKS)
    async with uow:
        uow.client_ip = client.ip
        uow.record(
            events.EmailVerificationRequested(
                occurred_at=clock.now(), user_id=user.id, email=str(user.email)
            )
        )
        await uow.commit()
    return str(user.email)


async def address_of(token: str, *, uow: UnitOfWork, tokens: AddressTokens, clock: Clock) -> str:
    """The address a link would verify, if it still would: for the page that asks
    before anything changes (mail scanners open links too).

    Raises: InvalidAddressLink
    """
    async with uow:
        _, address = await _linked(uow, token, tokens, clock)
    return str(address)


async def verify_address(
    token: str, client: Client, *, uow: UnitOfWork, tokens: AddressTokens, clock: Clock
) -> UserDetail:
    """Use a link: its address is verified, and becomes the account's if it is a new
    one (taken since the link was sent: EmailTaken).

    Raises: InvalidAddressLink, EmailTaken
    """
    async with uow:
        uow.client_ip = client.ip
        user, address = await _linked(uow, token, tokens, clock)
        if address.key != user.email.key:
            holder = await uow.users.get_by_login(address.key)
            if holder is not None and holder.id != user.id:
                raise errors.EmailTaken(field="email")
        user.verify_email(address, now=clock.now())
        await uow.commit()
    return UserDetail.of(user)


async def _linked(
    uow: UnitOfWork, token: str, tokens: AddressTokens, clock: Clock
) -> tuple[User, EmailAddress]:
    """Inside ``uow``: the active account a good link is for, and its address.

    Raises: InvalidAddressLink
    """
    claimed = tokens.claimed(token)
    if claimed is None:
        raise errors.InvalidAddressLink()
    user_id, text = claimed
    try:
        address = EmailAddress(text)
    except errors.InvalidEmail:
        raise errors.InvalidAddressLink() from None
    user = await uow.users.get(user_id)
    if user is None or not user.active:
        raise errors.InvalidAddressLink()
    if not tokens.check_token(user, address, token, now=clock.now()):
        raise errors.InvalidAddressLink()
    return user, address


async def mark_verified(
    user_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> AdminUserDetail:
    """An administrator vouches for an account's address (they checked it otherwise).

    Raises: PermissionDenied, UserNotFound, EmailAlreadyVerified
    """
    async with uow:
        await authorise(uow, actor)
        user = await uow.users.get(user_id)
        if user is None:
            raise errors.UserNotFound()
        # The trail names who vouched by id; the detail says how, never a name.
        by = "an administrator" if actor.user_id is not None else actor.name
        user.verify_email(user.email, now=clock.now(), by=by)
        await uow.commit()
        two_factor = bool(await uow.two_factor.enabled_among([user.id]))
    return AdminUserDetail.of_account(user, two_factor=two_factor)


async def send_link(user_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock) -> None:
    """An administrator has the account's address sent a new link.

    Raises: PermissionDenied, UserNotFound, EmailAlreadyVerified
    """
    async with uow:
        await authorise(uow, actor)
        user = await uow.users.get(user_id)
        if user is None:
            raise errors.UserNotFound()
        if user.email_verified:
            raise errors.EmailAlreadyVerified()
        uow.record(
            events.EmailVerificationRequested(
                occurred_at=clock.now(), user_id=user.id, email=str(user.email)
            )
        )
        await uow.commit()
