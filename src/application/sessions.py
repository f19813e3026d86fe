"""Use cases of sign-in sessions: opening, resolving, listing, ending and revoking them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

from application.accounts import checked_user, failed_login
from application.caching import ReadCache
from application.commands import Client, SignIn
from application.results import (
    CurrentSession,
    SessionView,
    SignedIn,
    TwoFactorRequired,
    UserDetail,
)
from application.revocation import end_sessions
from application.trusted_browsers import vouching_browser
from application.unit_of_work import UnitOfWork
from domain import errors, events
from domain.ports import Clock, LoginDigest, LoginThrottle, PasswordHasher
from domain.sessions import (
    SecondFactor,
    Session,
    SessionPolicy,
    hash_session_key,
    new_session_key,
)
from domain.trusted_browsers import TrustedBrowser
from domain.two_factor import SignInChallenge, new_challenge_token
from domain.users import User

KEY_MAX = 128


async def sign_in(
    cmd: SignIn,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    throttle: LoginThrottle,
    policy: SessionPolicy,
    digest: LoginDigest,
) -> SignedIn | TwoFactorRequired:
    """Authenticate and open a new server-side session with a fresh key; for an account
    with two-factor on, a right password opens no session but a challenge, which
    ``complete_sign_in`` finishes with a code.

    Each attempt takes a place in its account's window before the password is checked,
    whichever of the account's names was typed (a login that names no account has a
    window of its own); once the window is full, refuse without checking. Only a wrong
    password keeps its place (see ``checking``). So at most the limit's worth of wrong passwords are
    checked for an account in a window, however many arrive at once.

    Raises: InvalidCredentials, AccountLocked, EmailNotVerified (with
    ``policy.verified_only``, after a right password)
    """
    async with uow:
        uow.client_ip = cmd.client.ip
        found = await uow.users.get_by_login(cmd.login)
        throttle_key = attempts_key(cmd.login, found, digest)
        if (wait := await throttle.reserve(throttle_key)) is not None:
            who = failed_login(cmd.login, found, digest)
            uow.record(events.SignInThrottled(occurred_at=clock.now(), retry_after=wait, **who))
            await uow.commit()
            raise errors.AccountLocked(wait)
        async with checking(throttle, throttle_key):
            owed, trusted = await _second_factor(uow, cmd, found, now=clock.now())
            user = await checked_user(
                cmd, found, uow=uow, hasher=hasher, clock=clock, digest=digest, record=not owed
            )
            if policy.verified_only and not user.email_verified:
                raise errors.EmailNotVerified(user_id=user.id)  # said only after the password
            if owed:
                return await _challenge(cmd, user, uow=uow, clock=clock)
            if trusted is not None:
                trusted.use(now=clock.now())
            return await start_session(
                user,
                cmd.client,
                remember=cmd.remember,
                api_token=cmd.api_token,
                uow=uow,
                clock=clock,
                policy=policy,
                second_factor=None if trusted is None else SecondFactor.TRUSTED_BROWSER,
            )


async def _second_factor(
    uow: UnitOfWork, cmd: SignIn, found: User | None, *, now: datetime
) -> tuple[bool, TrustedBrowser | None]:
    """Whether a code is owed after the password, and the trusted browser that spares
    it (for an account with two-factor on that signs in from one)."""
    if found is None or not await uow.two_factor.enabled_among([found.id]):
        return False, None
    trusted = await vouching_browser(uow, cmd.trusted_browser, found.id, now=now)
    return trusted is None, trusted


async def _challenge(
    cmd: SignIn, user: User, *, uow: UnitOfWork, clock: Clock
) -> TwoFactorRequired:
    """The half-signed-in state: kept server-side, only its token's hash stored."""
    token, now = new_challenge_token(), clock.now()
    await uow.two_factor.remove_expired_challenges(user.id, now=now)
    challenge = SignInChallenge.issue(
        user.id, token, remember=cmd.remember, api_token=cmd.api_token, now=now
    )
    uow.two_factor.add_challenge(challenge)
    await uow.commit()
    return TwoFactorRequired(challenge=token, expires_at=challenge.expires_at)


async def start_session(
    user: User,
    client: Client,
    *,
    remember: bool,
    api_token: bool,
    uow: UnitOfWork,
    clock: Clock,
    policy: SessionPolicy,
    second_factor: SecondFactor | None = None,
) -> SignedIn:
    """Inside ``uow``: open a session for ``user``, whose sign-in is recorded, and commit."""
    key = new_session_key()
    session = Session.start(
        user.id,
        key,
        now=clock.now(),
        policy=policy,
        persistent=remember,
        user_agent=client.user_agent,
        ip=client.ip,
        api_token=api_token,
        second_factor=second_factor,
    )
    uow.sessions.add(session)
    await uow.commit()
    return SignedIn(
        user=UserDetail.of(user),
        session_key=key,
        session_id=session.id,
        persistent=remember,
        expires_at=session.expires_at,
    )


@asynccontextmanager
async def checking(throttle: LoginThrottle, key: str) -> AsyncIterator[None]:
    """Around a password (or second-factor code) check whose place in ``key``'s window
    is already reserved: the place is kept only when the password or code proved wrong.
    A right one, or a check cut short (the client gone, the database down), told
    nobody anything and gives its place back, so dropped requests cannot lock an
    account out."""
    wrong = False
    try:
        yield
    except (errors.InvalidCredentials, errors.InvalidCode):
        wrong = True
        raise
    finally:
        if not wrong:
            await throttle.release(key)


def account_attempts_key(user: User) -> str:
    """The one window of password checks of an account, whichever name is typed."""
    return f"signin:account:{user.id}"


def attempts_key(login: str, user: User | None, digest: LoginDigest) -> str:
    """The account's window, or for a login that names no account, one of its own,
    keyed by its digest so that what was typed is not kept in the counters either."""
    if user is not None:
        return account_attempts_key(user)
    return f"signin:login:{digest.digest(login)}"


async def resolve_session(
    key: str, *, uow: UnitOfWork, clock: Clock, policy: SessionPolicy, cache: ReadCache
) -> CurrentSession | None:
    """The live session behind a cookie's key and its active user, or None.

    From the cache when it holds a current copy; otherwise one query reads both, and
    the idle clock is written at most once a minute.
    """
    if not key or len(key) > KEY_MAX:
        return None
    key_hash, now = hash_session_key(key), clock.now()
    if (cached := await cache.session(key_hash, now=now, policy=policy)) is not None:
        return cached
    async with uow:
        found = await uow.sessions.get_with_user(key_hash)
        if found is None:
            return None
        session, user = found
        if not session.is_active(now=now, policy=policy) or not user.active:
            return None
        if session.touch(now=now, policy=policy):
            await uow.commit()
    detail = UserDetail.of(user)
    await cache.keep_session(key_hash, session, detail, now=now, policy=policy)
    return CurrentSession(user=detail, session_id=session.id)


async def sign_out(
    key: str, *, uow: UnitOfWork, clock: Clock, client_ip: str | None = None
) -> None:
    """End the session behind ``key``; a copy of its cookie stops working at once."""
    if not key or len(key) > KEY_MAX:
        return
    async with uow:
        uow.client_ip = client_ip
        found = await uow.sessions.get_with_user(hash_session_key(key))
        if found is not None:
            found[0].sign_out(now=clock.now())
            await uow.commit()


async def list_sessions(
    user_id: UUID,
    current_session_id: UUID | None,
    *,
    uow: UnitOfWork,
    clock: Clock,
    policy: SessionPolicy,
) -> list[SessionView]:
    """The user's live sessions: the current one first and marked, then the others,
    most recently used first."""
    now = clock.now()
    async with uow:
        sessions = await uow.sessions.list_for_user(user_id)
    live = [session for session in sessions if session.is_active(now=now, policy=policy)]
    live.sort(key=lambda session: (session.last_seen_at, session.created_at), reverse=True)
    live.sort(key=lambda session: session.id != current_session_id)  # stable: keeps the rest
    return [SessionView.of(session, current=session.id == current_session_id) for session in live]


async def revoke_session(
    user_id: UUID, session_id: UUID, *, uow: UnitOfWork, clock: Clock, client_ip: str | None
) -> None:
    """End one of the user's own sessions.

    Raises: SessionNotFound (also for someone else's session)
    """
    async with uow:
        uow.client_ip = client_ip
        session = await uow.sessions.get(session_id)
        if session is None or session.user_id != user_id or session.revoked_at is not None:
            raise errors.SessionNotFound()
        session.revoke(now=clock.now(), reason="revoked by the user")
        await uow.commit()


async def revoke_other_sessions(
    user_id: UUID,
    keep: UUID | None,
    *,
    uow: UnitOfWork,
    clock: Clock,
    client_ip: str | None,
    reason: str = "signed out everywhere else",
) -> int:
    """End every session of the user but ``keep``; how many ended."""
    async with uow:
        uow.client_ip = client_ip
        ended = await end_sessions(uow, user_id, now=clock.now(), reason=reason, keep=keep)
        await uow.commit()
    return ended
