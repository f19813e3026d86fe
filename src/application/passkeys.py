"""Use cases of passkeys: adding one, signing in with one alone or as the second step of
a password sign-in, naming and removing them, and an administrator's removal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TypedDict
from uuid import UUID

from application.admin import authorise
from application.commands import (
    Actor,
    AddPasskey,
    PasskeyAnswer,
    PasskeySecondFactor,
    PasskeySignIn,
    RemovePasskey,
    RenamePasskey,
)
from application.profile import active_user, confirm_password
from application.results import PasskeyOptions, PasskeyView, SignedIn
from application.sessions import start_session
from application.two_factor import finish_sign_in, open_challenge
from application.unit_of_work import UnitOfWork
from domain import errors, events
from domain.passkeys import (
    Ceremony,
    Passkey,
    PasskeyChallenge,
    challenge_digest,
    new_challenge,
    passkey_name,
)
from domain.ports import Clock, LoginThrottle, PasskeyHolder, PasskeyVerifier, PasswordHasher
from domain.sessions import SecondFactor, SessionPolicy
from domain.two_factor import hash_challenge_token
from domain.users import User


class Parts(TypedDict):
    """What every passkey ceremony is given."""

    uow: UnitOfWork
    verifier: PasskeyVerifier
    clock: Clock


async def begin_registration(
    user_id: UUID,
    *,
    uow: UnitOfWork,
    verifier: PasskeyVerifier,
    clock: Clock,
    verified_needed: bool = False,
) -> PasskeyOptions:
    """The options of the browser's dialog that makes a passkey for the account; with
    ``verified_needed``, only for a verified address.

    Raises: UserNotFound, EmailNotVerified
    """
    challenge = new_challenge()
    async with uow:
        user = await active_user(uow, user_id)
        if verified_needed and not user.email_verified:
            raise errors.EmailNotVerified(user_id=user.id)
        existing = await uow.passkeys.list_for_user(user_id)
        await _issue(uow, challenge, Ceremony.REGISTER, now=clock.now(), user_id=user_id)
    holder = PasskeyHolder(user.id, str(user.username), user.full_name)
    exclude = [passkey.credential_id for passkey in existing]
    return PasskeyOptions(
        public_key=verifier.registration_options(holder, challenge=challenge, exclude=exclude)
    )


async def add_passkey(
    cmd: AddPasskey, *, uow: UnitOfWork, verifier: PasskeyVerifier, clock: Clock
) -> PasskeyView:
    """Keep the passkey the dialog made, once its answer proves right for a challenge
    this account was given.

    Raises: UserNotFound, InvalidPasskeyName, InvalidChallenge, InvalidPasskey
    """
    name = passkey_name(cmd.name)
    async with uow:
        uow.client_ip = cmd.client.ip
        await active_user(uow, cmd.user_id)
        challenge = await _spend(
            uow, verifier, cmd.answer, Ceremony.REGISTER, now=clock.now(), user_id=cmd.user_id
        )
        async with _failures_kept(uow):
            credential = verifier.verify_registration(cmd.answer, challenge=challenge)
            if await uow.passkeys.get_by_credential(credential.credential_id) is not None:
                raise errors.InvalidPasskey("That passkey is added already.")
        passkey = Passkey.register(cmd.user_id, credential, name=name, now=clock.now())
        uow.passkeys.add(passkey)
        await uow.commit()
    return PasskeyView.of(passkey)


async def begin_sign_in(
    *, uow: UnitOfWork, verifier: PasskeyVerifier, clock: Clock
) -> PasskeyOptions:
    """The options of a sign-in that names nobody: the browser offers this site's
    passkeys and the chosen one says whose account it is."""
    challenge = new_challenge()
    async with uow:
        await _issue(uow, challenge, Ceremony.SIGN_IN, now=clock.now())
    return PasskeyOptions(public_key=verifier.authentication_options(challenge=challenge, allow=[]))


async def sign_in(
    cmd: PasskeySignIn,
    *,
    uow: UnitOfWork,
    verifier: PasskeyVerifier,
    clock: Clock,
    policy: SessionPolicy,
) -> SignedIn:
    """Open a session for the account whose passkey signed the challenge: both factors
    at once, so no code is asked even with two-factor on.

    Raises: InvalidChallenge, InvalidPasskey
    """
    async with uow:
        uow.client_ip = cmd.client.ip
        challenge = await _spend(uow, verifier, cmd.answer, Ceremony.SIGN_IN, now=clock.now())
        async with _failures_kept(uow):
            user = await _signed_by(uow, verifier, cmd.answer, challenge, now=clock.now())
        if policy.verified_only and not user.email_verified:
            await uow.commit()  # the challenge is spent all the same
            raise errors.EmailNotVerified(user_id=user.id)
        user.record_login(now=clock.now())
        return await start_session(
            user,
            cmd.client,
            remember=cmd.remember,
            api_token=cmd.api_token,
            uow=uow,
            clock=clock,
            policy=policy,
            second_factor=SecondFactor.PASSKEY,
        )


async def begin_second_factor(
    token: str, *, uow: UnitOfWork, verifier: PasskeyVerifier, clock: Clock
) -> PasskeyOptions:
    """The options for the second step of a password sign-in, offering the account's
    passkeys.

    Raises: InvalidChallenge, InvalidPasskey (the account has none)
    """
    challenge = new_challenge()
    async with uow:
        sign_in_challenge, user, _ = await open_challenge(uow, token, clock)
        passkeys = await uow.passkeys.list_for_user(user.id)
        if not passkeys:
            raise errors.InvalidPasskey("This account has no passkey: enter a code instead.")
        await _issue(
            uow,
            challenge,
            Ceremony.SECOND_FACTOR,
            now=clock.now(),
            user_id=user.id,
            sign_in_challenge=sign_in_challenge.token_hash,
        )
    allow = [passkey.credential_id for passkey in passkeys]
    return PasskeyOptions(
        public_key=verifier.authentication_options(challenge=challenge, allow=allow)
    )


async def complete_sign_in(
    cmd: PasskeySecondFactor,
    *,
    uow: UnitOfWork,
    verifier: PasskeyVerifier,
    clock: Clock,
    policy: SessionPolicy,
) -> SignedIn:
    """Finish a password sign-in with one of the account's passkeys in place of a code.

    Raises: InvalidChallenge, InvalidPasskey
    """
    async with uow:
        uow.client_ip = cmd.client.ip
        sign_in_challenge, user, _ = await open_challenge(uow, cmd.challenge, clock)
        challenge = await _spend(
            uow, verifier, cmd.answer, Ceremony.SECOND_FACTOR, now=clock.now(), user_id=user.id
        )
        stored = uow.passkeys.challenges_seen[challenge_digest(challenge)]
        if stored.sign_in_challenge != hash_challenge_token(cmd.challenge):
            raise errors.InvalidChallenge()
        async with _failures_kept(uow):
            signer = await _signed_by(uow, verifier, cmd.answer, challenge, now=clock.now())
            if signer.id != user.id:
                raise errors.InvalidPasskey()
        return await finish_sign_in(
            sign_in_challenge,
            user,
            cmd.client,
            proof=SecondFactor.PASSKEY,
            trust=cmd.trust_browser,
            uow=uow,
            clock=clock,
            policy=policy,
        )


async def list_passkeys(user_id: UUID, *, uow: UnitOfWork) -> list[PasskeyView]:
    async with uow:
        found = await uow.passkeys.list_for_user(user_id)
    return [PasskeyView.of(passkey) for passkey in found]


async def rename_passkey(cmd: RenamePasskey, *, uow: UnitOfWork) -> PasskeyView:
    """Raises: PasskeyNotFound (also someone else's), InvalidPasskeyName"""
    async with uow:
        passkey = await _own(uow, cmd.user_id, cmd.passkey_id)
        passkey.rename(cmd.name)
        await uow.commit()
    return PasskeyView.of(passkey)


async def begin_confirmation(
    user_id: UUID, *, uow: UnitOfWork, verifier: PasskeyVerifier, clock: Clock
) -> PasskeyOptions:
    """Options for the signed-in holder to prove it is them with one of their passkeys.

    Raises: UserNotFound, InvalidPasskey (the account has none)
    """
    challenge = new_challenge()
    async with uow:
        await active_user(uow, user_id)
        passkeys = await uow.passkeys.list_for_user(user_id)
        if not passkeys:
            raise errors.InvalidPasskey("This account has no passkey.")
        await _issue(uow, challenge, Ceremony.CONFIRM, now=clock.now(), user_id=user_id)
    allow = [passkey.credential_id for passkey in passkeys]
    return PasskeyOptions(
        public_key=verifier.authentication_options(challenge=challenge, allow=allow)
    )


async def remove_passkey(
    cmd: RemovePasskey,
    *,
    uow: UnitOfWork,
    verifier: PasskeyVerifier,
    hasher: PasswordHasher,
    throttle: LoginThrottle,
    clock: Clock,
) -> None:
    """The holder removes a passkey, knowing the password (a wrong one counts toward
    the account's lock, as at sign-in) or answering with one of their passkeys.

    Raises: UserNotFound, PasskeyNotFound, InvalidCredentials, AccountLocked,
    InvalidChallenge, InvalidPasskey
    """
    async with uow:
        user = await active_user(uow, cmd.user_id)
        await _own(uow, cmd.user_id, cmd.passkey_id)
    if cmd.answer is None:
        await confirm_password(
            user, cmd.password, hasher=hasher, throttle=throttle, field="password"
        )
    async with uow:
        uow.client_ip = cmd.client.ip
        if cmd.answer is not None:
            await _confirmed(uow, verifier, cmd.answer, user, now=clock.now())
        passkey = await _own(uow, cmd.user_id, cmd.passkey_id)
        passkey.remove(now=clock.now())
        await uow.commit()


async def _confirmed(
    uow: UnitOfWork, verifier: PasskeyVerifier, answer: PasskeyAnswer, user: User, *, now: datetime
) -> None:
    """Inside ``uow``: ``answer`` signed a confirmation challenge of ``user`` with one
    of their passkeys (its use noted).

    Raises: InvalidChallenge, InvalidPasskey
    """
    challenge = await _spend(uow, verifier, answer, Ceremony.CONFIRM, now=now, user_id=user.id)
    async with _failures_kept(uow):
        if (await _signed_by(uow, verifier, answer, challenge, now=now)).id != user.id:
            raise errors.InvalidPasskey()


async def admin_list_passkeys(user_id: UUID, actor: Actor, *, uow: UnitOfWork) -> list[PasskeyView]:
    """Raises: PermissionDenied, UserNotFound"""
    async with uow:
        await authorise(uow, actor)
        if await uow.users.get(user_id) is None:
            raise errors.UserNotFound()
        found = await uow.passkeys.list_for_user(user_id)
    return [PasskeyView.of(passkey) for passkey in found]


async def admin_remove_passkey(
    user_id: UUID, passkey_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock
) -> None:
    """An administrator removes someone's passkey (a lost or stolen device).

    Raises: PermissionDenied, PasskeyNotFound
    """
    async with uow:
        await authorise(uow, actor)
        passkey = await _own(uow, user_id, passkey_id)
        passkey.remove(now=clock.now())
        await uow.commit()


async def _issue(
    uow: UnitOfWork,
    challenge: bytes,
    ceremony: Ceremony,
    *,
    now: datetime,
    user_id: UUID | None = None,
    sign_in_challenge: str | None = None,
) -> None:
    """Inside ``uow``: keep a new challenge (clearing expired ones) and commit."""
    await uow.passkeys.remove_expired_challenges(now=now)
    uow.passkeys.add_challenge(
        PasskeyChallenge.issue(
            challenge, ceremony, now=now, user_id=user_id, sign_in_challenge=sign_in_challenge
        )
    )
    await uow.commit()


async def _spend(
    uow: UnitOfWork,
    verifier: PasskeyVerifier,
    answer: PasskeyAnswer,
    ceremony: Ceremony,
    *,
    now: datetime,
    user_id: UUID | None = None,
) -> bytes:
    """Spend the stored challenge the answer signed (not yet committed); its bytes.

    Raises: InvalidPasskey (no challenge in it), InvalidChallenge
    """
    challenge = verifier.challenge_of(answer)
    stored = await uow.passkeys.get_challenge(challenge_digest(challenge))
    if stored is None:
        raise errors.InvalidChallenge()
    stored.spend(ceremony, now=now, user_id=user_id)
    return challenge


async def _signed_by(
    uow: UnitOfWork,
    verifier: PasskeyVerifier,
    answer: PasskeyAnswer,
    challenge: bytes,
    *,
    now: datetime,
) -> User:
    """The active account whose passkey signed ``challenge``; the use noted.

    Raises: InvalidPasskey (unknown or removed credential, a bad signature, a counter
    that went backwards, an account that cannot sign in)
    """
    passkey = await uow.passkeys.get_by_credential(verifier.credential_id_of(answer))
    user = None if passkey is None else await uow.users.get(passkey.user_id)
    if passkey is None or user is None:
        raise errors.InvalidPasskey()
    if not user.active:
        uow.record(events.LoginFailed(occurred_at=now, user_id=user.id))
        raise errors.InvalidPasskey()
    try:
        passkey.use(
            verifier.verify_assertion(answer, challenge=challenge, passkey=passkey), now=now
        )
    except errors.InvalidPasskey:
        uow.record(events.LoginFailed(occurred_at=now, user_id=user.id))
        raise
    return user


@asynccontextmanager
async def _failures_kept(uow: UnitOfWork) -> AsyncIterator[None]:
    """Around a check whose challenge is already spent: when the check fails, commit
    what it recorded (the spent challenge, a failed sign-in) before the error goes on,
    so a challenge is single-use whatever was answered with it."""
    try:
        yield
    except errors.InvalidPasskey:
        await uow.commit()
        raise


async def _own(uow: UnitOfWork, user_id: UUID, passkey_id: UUID) -> Passkey:
    passkey = await uow.passkeys.get(passkey_id)
    if passkey is None or passkey.user_id != user_id:
        raise errors.PasskeyNotFound()
    return passkey
