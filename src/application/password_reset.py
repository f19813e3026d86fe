"""Use cases of a forgotten password: asking for a link, and setting a new password with it."""

from __future__ import annotations

from application.commands import RequestPasswordReset, ResetPassword
from application.revocation import end_sessions
from application.sessions import account_attempts_key
from application.unit_of_work import UnitOfWork
from domain import errors, events, password_policy
from domain.ports import Clock, LoginThrottle, PasswordHasher, ResetTokens
from domain.users import User
from domain.values import EmailAddress

TOO_MANY_LINKS = "Too many reset links have been asked for this address."


async def request_password_reset(
    cmd: RequestPasswordReset, *, uow: UnitOfWork, clock: Clock, throttle: LoginThrottle
) -> None:
    """Record the request; the mail goes out from a background handler.

    The same work is done, and the same nothing returned, whether or not an active
    account has the address, so the answer gives nothing away.

    Raises: InvalidEmail, TooManyAttempts (too many requests for this address)
    """
    email = EmailAddress(cmd.email)
    key = "reset:" + email.key
    if (wait := await throttle.reserve(key)) is not None:
        raise errors.TooManyAttempts(wait, TOO_MANY_LINKS)
    async with uow:
        uow.client_ip = cmd.client.ip
        user = await uow.users.get_by_login(email.key)
        owner = user.id if user is not None and user.active and user.email == email else None
        uow.record(
            events.PasswordResetRequested(occurred_at=clock.now(), email=email.value, user_id=owner)
        )
        await uow.commit()


async def check_reset_token(
    token: str, *, uow: UnitOfWork, tokens: ResetTokens, clock: Clock
) -> str:
    """The username of the account whose password the token can still set (for the
    form, so that a password manager files the new password under it).

    Raises: InvalidResetToken
    """
    async with uow:
        user = await _token_user(token, uow=uow, tokens=tokens, clock=clock)
    return str(user.username)


async def reset_password(
    cmd: ResetPassword,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    tokens: ResetTokens,
    clock: Clock,
    throttle: LoginThrottle,
) -> None:
    """Set a new password with a token from the mail; every session of the account ends.
    The token then stops working, since it was bound to the old password hash. Whoever
    holds the mailbox has proved enough: earlier failed sign-ins are forgotten.

    Raises: InvalidResetToken, WeakPassword, SamePassword
    """
    async with uow:
        user = await _token_user(cmd.token, uow=uow, tokens=tokens, clock=clock)
    if (await hasher.verify(cmd.new_password, user.password_hash)).ok:
        raise errors.SamePassword(field="new_password")
    password_policy.check_password(
        cmd.new_password, username=str(user.username), email=str(user.email), field="new_password"
    )
    new_hash = await hasher.hash(cmd.new_password)
    async with uow:
        uow.client_ip = cmd.client.ip
        # Check again inside the writing transaction: two uses racing each other must
        # not both succeed.
        user = await _token_user(cmd.token, uow=uow, tokens=tokens, clock=clock)
        now = clock.now()
        user.change_password(new_hash, now=now, via="reset")
        await end_sessions(uow, user.id, now=now, reason="password reset")
        await uow.commit()
    await throttle.reset(account_attempts_key(user))


async def _token_user(token: str, *, uow: UnitOfWork, tokens: ResetTokens, clock: Clock) -> User:
    user_id = tokens.claimed_user(token)
    user = None if user_id is None else await uow.users.get(user_id)
    if user is None or not user.active or not tokens.check_token(user, token, now=clock.now()):
        raise errors.InvalidResetToken()
    return user
