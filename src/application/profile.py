"""Use cases of a signed-in account looking after itself: profile and password."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from uuid import UUID

from application.commands import ChangePassword, UpdateProfile
from application.results import UserDetail
from application.revocation import end_sessions
from application.sessions import account_attempts_key, checking
from application.unit_of_work import UnitOfWork
from domain import errors, password_policy
from domain.ports import Clock, LoginThrottle, PasswordHasher
from domain.users import User
from domain.values import EmailAddress, clean_name


async def update_profile(
    cmd: UpdateProfile,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    throttle: LoginThrottle,
    confirm_address: bool = False,
) -> UserDetail:
    """Change the names and the e-mail address; with ``confirm_address`` a new address
    (not only a new spelling of this one) takes effect only once the link mailed to it
    is used (``verify_address``), and the old one keeps working until then.

    Raises: InvalidName, InvalidEmail, EmailTaken, CurrentPasswordRequired (a new
    address without the current password), InvalidCredentials (with a wrong one),
    AccountLocked, UserNotFound
    """
    async with uow:
        user = await active_user(uow, cmd.user_id)
        first, last, email = _checked(cmd, user.email)
        taken = email.key != user.email.key and await uow.users.email_exists(email.key)
    if taken:
        raise errors.EmailTaken(field="email")
    if email != user.email:  # checked outside the transaction: hashing takes a while
        if not cmd.current_password:  # not a guess: no place in the sign-in window
            raise errors.CurrentPasswordRequired(field="current_password")
        await confirm_password(user, cmd.current_password, hasher=hasher, throttle=throttle)
    async with uow:
        uow.client_ip = cmd.client.ip
        user = await active_user(uow, cmd.user_id)
        now = clock.now()
        if confirm_address and email.key != user.email.key:
            user.update_profile(first_name=first, last_name=last, email=user.email, now=now)
            user.request_email_change(email, now=now)
        else:
            user.update_profile(first_name=first, last_name=last, email=email, now=now)
        await uow.commit()
    return UserDetail.of(user)


def _checked(cmd: UpdateProfile, current: EmailAddress) -> tuple[str, str, EmailAddress]:
    """The names and address by the rules, or every rule they break at once. The
    current address, sent back unchanged, is kept as it is: one an older rule accepted
    must not stop its owner from changing their names."""
    first = partial(clean_name, cmd.first_name, field_name="first_name")
    last = partial(clean_name, cmd.last_name, field_name="last_name")
    email = partial(_address, cmd.email, current)
    errors.raise_together([error for check in (first, last, email) if (error := _broken(check))])
    return first(), last(), email()


def _address(raw: str, current: EmailAddress) -> EmailAddress:
    return current if raw == current.value else EmailAddress(raw)


def _broken(check: Callable[[], object]) -> errors.ValidationFailed | None:
    try:
        check()
    except errors.ValidationFailed as error:
        return error
    return None


async def change_password(
    cmd: ChangePassword,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    throttle: LoginThrottle,
) -> int:
    """Replace the password, knowing the current one; every other session ends.

    A wrong current password counts as a failed sign-in for the account.
    Returns how many other sessions ended.

    Raises: InvalidCredentials, AccountLocked, SamePassword, WeakPassword, UserNotFound
    """
    async with uow:
        user = await active_user(uow, cmd.user_id)
    await confirm_password(user, cmd.current_password, hasher=hasher, throttle=throttle)
    if cmd.new_password == cmd.current_password:
        raise errors.SamePassword(field="new_password")
    password_policy.check_password(
        cmd.new_password, username=str(user.username), email=str(user.email), field="new_password"
    )
    new_hash = await hasher.hash(cmd.new_password)
    async with uow:
        uow.client_ip = cmd.client.ip
        user = await active_user(uow, cmd.user_id)
        user.change_password(new_hash, now=clock.now())
        ended = await end_sessions(
            uow, user.id, now=clock.now(), reason="password changed", keep=cmd.session_id
        )
        await uow.commit()
    return ended


async def active_user(uow: UnitOfWork, user_id: UUID) -> User:
    """Inside ``uow``: the account, if it exists and is active.

    Raises: UserNotFound
    """
    user = await uow.users.get(user_id)
    if user is None or not user.active:
        raise errors.UserNotFound()
    return user


async def confirm_password(
    user: User,
    password: str,
    *,
    hasher: PasswordHasher,
    throttle: LoginThrottle,
    field: str = "current_password",
) -> None:
    """Check the account's current password as a sign-in would: an attempt in the
    account's window, reserved before hashing.

    Raises: AccountLocked, InvalidCredentials (naming ``field``)
    """
    key = account_attempts_key(user)
    if (wait := await throttle.reserve(key)) is not None:
        raise errors.AccountLocked(wait)
    async with checking(throttle, key):
        if not (await hasher.verify(password, user.password_hash)).ok:
            raise errors.InvalidCredentials("The current password is not right.", field=field)
