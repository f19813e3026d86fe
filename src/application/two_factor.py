"""Use cases of two-factor sign-in: set-up, the code step of signing in, turning it off,
new recovery codes, and an administrator's reset."""

from __future__ import annotations

from uuid import UUID

from application.admin import authorise
from application.commands import (
    Actor,
    Client,
    CompleteSignIn,
    ConfirmTwoFactor,
    DisableTwoFactor,
    RegenerateRecoveryCodes,
)
from application.profile import active_user, confirm_password
from application.results import (
    AdminUserDetail,
    RecoveryCodes,
    SignedIn,
    TwoFactorSetup,
    TwoFactorStatus,
)
from application.revocation import end_sessions
from application.sessions import account_attempts_key, checking, start_session
from application.trusted_browsers import forget_browsers, trust_browser
from application.unit_of_work import UnitOfWork
from domain import errors, events, two_factor
from domain.ports import Clock, LoginThrottle, PasswordHasher, RecoveryCodeHasher, SecretBox
from domain.sessions import SecondFactor, SessionPolicy
from domain.two_factor import PendingTwoFactor, SignInChallenge, TwoFactor
from domain.users import User


async def two_factor_status(user_id: UUID, *, uow: UnitOfWork) -> TwoFactorStatus:
    async with uow:
        return TwoFactorStatus.of(await uow.two_factor.get(user_id))


async def begin_setup(
    user_id: UUID, *, uow: UnitOfWork, box: SecretBox, clock: Clock, verified_needed: bool = False
) -> TwoFactorSetup:
    """A new pending secret for the account (replacing any earlier one), to be proved
    with a code within 10 minutes; it is kept on the server, encrypted. With
    ``verified_needed``, only for a verified address.

    Raises: UserNotFound, TwoFactorAlreadyEnabled, EmailNotVerified
    """
    secret = two_factor.new_secret()
    async with uow:
        user = await active_user(uow, user_id)
        if verified_needed and not user.email_verified:
            raise errors.EmailNotVerified(user_id=user.id)
        if await uow.two_factor.get(user_id) is not None:
            raise errors.TwoFactorAlreadyEnabled()
        pending = PendingTwoFactor.begin(user.id, box.encrypt(secret), now=clock.now())
        await uow.two_factor.put_pending(pending)
        await uow.commit()
    return TwoFactorSetup(
        secret=secret,
        otpauth_uri=two_factor.otpauth_uri(secret, str(user.username)),
        expires_at=pending.expires_at,
    )


async def pending_setup(
    user_id: UUID, *, uow: UnitOfWork, box: SecretBox, clock: Clock
) -> TwoFactorSetup | None:
    """The set-up begun and not yet expired, to show its key again (a reload, a wrong
    code), or None."""
    async with uow:
        user = await active_user(uow, user_id)
        pending = await uow.two_factor.get_pending(user_id)
    if pending is None or pending.is_expired(now=clock.now()):
        return None
    secret = box.decrypt(pending.secret_encrypted)
    return TwoFactorSetup(
        secret=secret,
        otpauth_uri=two_factor.otpauth_uri(secret, str(user.username)),
        expires_at=pending.expires_at,
    )


async def confirm_setup(
    cmd: ConfirmTwoFactor,
    *,
    uow: UnitOfWork,
    box: SecretBox,
    codes: RecoveryCodeHasher,
    clock: Clock,
) -> RecoveryCodes:
    """Turn two-factor on with the first code of the pending secret; the ten recovery
    codes are returned this once (only their digests are kept).

    Raises: UserNotFound, TwoFactorAlreadyEnabled, SetupExpired, InvalidCode
    """
    fresh = two_factor.new_recovery_codes()
    async with uow:
        uow.client_ip = cmd.client.ip
        await active_user(uow, cmd.user_id)
        if await uow.two_factor.get(cmd.user_id) is not None:
            raise errors.TwoFactorAlreadyEnabled()
        pending = await uow.two_factor.get_pending(cmd.user_id)
        if pending is None:
            raise errors.SetupExpired()
        now = clock.now()
        step = pending.confirm(box.decrypt(pending.secret_encrypted), cmd.code.strip(), now=now)
        hashes = [codes.hash(code) for code in fresh]
        uow.two_factor.add(TwoFactor.enable(pending, step=step, code_hashes=hashes, now=now))
        await uow.two_factor.remove_pending(cmd.user_id)
        await uow.commit()
    return RecoveryCodes(codes=tuple(fresh))


async def complete_sign_in(
    cmd: CompleteSignIn,
    *,
    uow: UnitOfWork,
    box: SecretBox,
    codes: RecoveryCodeHasher,
    clock: Clock,
    throttle: LoginThrottle,
    policy: SessionPolicy,
) -> SignedIn:
    """Finish a sign-in with a current code from the app (each accepted once) or an
    unused recovery code, then open the session as ``sign_in`` does (see
    ``finish_sign_in`` for ``trust_browser``). The challenge
    stays usable after a wrong code until it expires; every wrong code takes a place
    in the account's window of wrong passwords, reserved before checking.

    Raises: InvalidChallenge, InvalidCode, AccountLocked
    """
    async with uow:
        uow.client_ip = cmd.client.ip
        challenge, user, state = await open_challenge(uow, cmd.challenge, clock)
        key = account_attempts_key(user)
        if (wait := await throttle.reserve(key)) is not None:
            uow.record(
                events.SignInThrottled(occurred_at=clock.now(), retry_after=wait, user_id=user.id)
            )
            await uow.commit()
            raise errors.AccountLocked(wait)
        async with checking(throttle, key):
            proof = await _check_code(state, cmd.code, uow=uow, box=box, codes=codes, clock=clock)
            return await finish_sign_in(
                challenge,
                user,
                cmd.client,
                proof=proof,
                trust=cmd.trust_browser,
                uow=uow,
                clock=clock,
                policy=policy,
            )


async def finish_sign_in(
    challenge: SignInChallenge,
    user: User,
    client: Client,
    *,
    proof: SecondFactor,
    trust: bool,
    uow: UnitOfWork,
    clock: Clock,
    policy: SessionPolicy,
) -> SignedIn:
    """Inside ``uow``, the second factor proved by ``proof``: spend the challenge, open
    the session and commit; with ``trust`` (browsers only) the result also carries a
    token that spares this browser the code until ``policy.trust_lifetime`` has passed."""
    now = clock.now()
    challenge.use(now=now)
    user.record_login(now=now)
    trusted = None
    if trust and not challenge.api_token:
        trusted = await trust_browser(uow, user.id, client, now=now, lifetime=policy.trust_lifetime)
    signed_in = await start_session(
        user,
        client,
        remember=challenge.remember,
        api_token=challenge.api_token,
        uow=uow,
        clock=clock,
        policy=policy,
        second_factor=proof,
    )
    if trusted is None:
        return signed_in
    token, browser = trusted
    return signed_in.model_copy(
        update={"trusted_browser": token, "trusted_until": browser.expires_at}
    )


async def open_challenge(
    uow: UnitOfWork, token: str, clock: Clock
) -> tuple[SignInChallenge, User, TwoFactor]:
    """The live challenge behind ``token``, its active account and its second factor.

    Raises: InvalidChallenge
    """
    challenge = await uow.two_factor.get_challenge(two_factor.hash_challenge_token(token))
    if challenge is None or not challenge.is_open(now=clock.now()):
        raise errors.InvalidChallenge()
    user = await uow.users.get(challenge.user_id)
    state = await uow.two_factor.get(challenge.user_id)
    if user is None or not user.active or state is None:
        raise errors.InvalidChallenge()
    return challenge, user, state


async def _check_code(
    state: TwoFactor,
    code: str,
    *,
    uow: UnitOfWork,
    box: SecretBox,
    codes: RecoveryCodeHasher,
    clock: Clock,
) -> SecondFactor:
    """Accept ``code`` on ``state`` (not yet committed) and say which kind it was; a
    wrong one is recorded as a failed sign-in, committed, and raised as InvalidCode."""
    now, typed = clock.now(), code.strip()
    try:
        if two_factor.looks_like_totp(typed):
            state.accept_totp(box.decrypt(state.secret_encrypted), typed, now=now)
            return SecondFactor.CODE
        state.use_recovery_code(codes.hash(typed), now=now)
        return SecondFactor.RECOVERY_CODE
    except errors.InvalidCode:
        uow.record(events.LoginFailed(occurred_at=now, user_id=state.user_id))
        await uow.commit()
        raise


async def disable(
    cmd: DisableTwoFactor,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    box: SecretBox,
    codes: RecoveryCodeHasher,
    clock: Clock,
    throttle: LoginThrottle,
) -> None:
    """Turn two-factor off, knowing the password and a code (or a recovery code); every
    trusted browser is forgotten. A wrong password or code counts as a failed sign-in
    for the account.

    Raises: UserNotFound, TwoFactorNotEnabled, InvalidCredentials, InvalidCode,
    AccountLocked
    """
    user = await checked_password(
        cmd.user_id, cmd.password, uow=uow, hasher=hasher, throttle=throttle
    )
    async with uow:
        uow.client_ip = cmd.client.ip
        state = await _enabled(uow, user.id)
        await prove_code(
            uow, user, state, cmd.code, box=box, codes=codes, clock=clock, throttle=throttle
        )
        state.disable(now=clock.now())
        await forget_browsers(uow, user.id, now=clock.now(), reason="two-factor turned off")
        await uow.commit()


async def prove_code(
    uow: UnitOfWork,
    user: User,
    state: TwoFactor,
    code: str,
    *,
    box: SecretBox,
    codes: RecoveryCodeHasher,
    clock: Clock,
    throttle: LoginThrottle,
) -> None:
    """Inside ``uow``: accept a current code or an unused recovery code of the account,
    its place in the account's window reserved first (a wrong one keeps it).

    Raises: InvalidCode, AccountLocked
    """
    key = account_attempts_key(user)
    if (wait := await throttle.reserve(key)) is not None:
        raise errors.AccountLocked(wait)
    async with checking(throttle, key):
        await _check_code(state, code, uow=uow, box=box, codes=codes, clock=clock)


async def regenerate_recovery_codes(
    cmd: RegenerateRecoveryCodes,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    codes: RecoveryCodeHasher,
    clock: Clock,
    throttle: LoginThrottle,
) -> RecoveryCodes:
    """Ten new recovery codes, knowing the password; every old one stops working.

    Raises: UserNotFound, TwoFactorNotEnabled, InvalidCredentials, AccountLocked
    """
    user = await checked_password(
        cmd.user_id, cmd.password, uow=uow, hasher=hasher, throttle=throttle
    )
    fresh = two_factor.new_recovery_codes()
    async with uow:
        uow.client_ip = cmd.client.ip
        state = await _enabled(uow, user.id)
        state.replace_recovery_codes([codes.hash(code) for code in fresh], now=clock.now())
        await uow.commit()
    return RecoveryCodes(codes=tuple(fresh))


async def reset(user_id: UUID, actor: Actor, *, uow: UnitOfWork, clock: Clock) -> AdminUserDetail:
    """An administrator turns two-factor off for someone who lost their phone; every
    session of that account ends.

    Raises: PermissionDenied, UserNotFound, CannotResetOwnTwoFactor, TwoFactorNotEnabled
    """
    async with uow:
        await authorise(uow, actor)
        user = await uow.users.get(user_id)
        if user is None:
            raise errors.UserNotFound()
        if user.id == actor.user_id:
            raise errors.CannotResetOwnTwoFactor()
        state = await _enabled(uow, user_id)
        now = clock.now()
        state.reset(now=now)
        await end_sessions(uow, user_id, now=now, reason="two-factor reset by an administrator")
        await uow.commit()
    return AdminUserDetail.of_account(user, two_factor=False)


async def rotate_secrets(*, uow: UnitOfWork, box: SecretBox) -> int:
    """Re-encrypt every stored secret with the first key, in one transaction, so the
    other keys can then be retired; how many were re-encrypted.

    Raises: ValueError (a secret no configured key opens: nothing is changed)
    """
    async with uow:
        stored = await uow.two_factor.encrypted_secrets()
        for secret in stored:
            await uow.two_factor.replace_secret(secret, box.rotate(secret.secret_encrypted))
        await uow.commit()
    return len(stored)


async def checked_password(
    user_id: UUID,
    password: str,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    throttle: LoginThrottle,
) -> User:
    """The active account, its password checked outside any transaction.

    Raises: UserNotFound, InvalidCredentials, AccountLocked
    """
    async with uow:
        user = await active_user(uow, user_id)
    await confirm_password(user, password, hasher=hasher, throttle=throttle, field="password")
    return user


async def _enabled(uow: UnitOfWork, user_id: UUID) -> TwoFactor:
    state = await uow.two_factor.get(user_id)
    if state is None:
        raise errors.TwoFactorNotEnabled()
    return state
