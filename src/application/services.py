"""The facade the web layer and the CLI call: each use case with its dependencies bound."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from application import (
    accounts,
    admin,
    audit,
    deletion,
    export,
    invitations,
    members,
    passkeys,
    password_reset,
    profile,
    sessions,
    trusted_browsers,
    two_factor,
    verification,
)
from application.caching import ReadCache
from application.commands import (
    Actor,
    AddPasskey,
    AuditQuery,
    ChangePassword,
    Client,
    CompleteSignIn,
    ConfirmTwoFactor,
    CreateUser,
    DefineRole,
    DeleteAccount,
    DisableTwoFactor,
    ListMembers,
    NewAccount,
    PasskeySecondFactor,
    PasskeySignIn,
    RegenerateRecoveryCodes,
    RegisterUser,
    RemovePasskey,
    RenamePasskey,
    RequestPasswordReset,
    ResetPassword,
    RoleChange,
    SearchUsers,
    SignIn,
    UpdateProfile,
)
from application.event_bus import EventBus
from application.results import (
    AdminUserDetail,
    AuditPage,
    CurrentSession,
    MemberPage,
    PasskeyOptions,
    PasskeyView,
    RecoveryCodes,
    RoleSummary,
    SessionView,
    SignedIn,
    TrustedBrowserView,
    TwoFactorRequired,
    TwoFactorSetup,
    TwoFactorStatus,
    UserDetail,
    UserPage,
)
from application.unit_of_work import UnitOfWork
from domain.errors import ServiceUnavailable
from domain.ports import (
    AddressTokens,
    Clock,
    Dependency,
    LoginDigest,
    LoginThrottle,
    PasskeyVerifier,
    PasswordHasher,
    RecoveryCodeHasher,
    ResetTokens,
    SecretBox,
)
from domain.sessions import SessionPolicy

SETUP = Actor.system("setup")


@dataclass(frozen=True)
class Services:
    """Every call gets a fresh unit of work from ``uow_factory``; none is shared."""

    uow_factory: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    clock: Clock
    bus: EventBus
    throttle: LoginThrottle
    session_policy: SessionPolicy
    tokens: ResetTokens
    reset_throttle: LoginThrottle
    login_digest: LoginDigest
    secret_box: SecretBox
    recovery_codes: RecoveryCodeHasher
    passkey_verifier: PasskeyVerifier
    address_tokens: AddressTokens
    # EMAIL_VERIFICATION is not "none": a second factor or a passkey needs a verified
    # address (else someone could register with another's address and lock them out).
    verification_on: bool = False
    # REGISTRATION=invite: only an invitation's link registers (see invitations.py).
    invite_only: bool = False
    invitation_lifetime: timedelta = invitations.DEFAULT_LIFETIME
    dependencies: Mapping[str, Dependency] = field(default_factory=dict)
    cache: ReadCache = field(default_factory=ReadCache.off)

    async def register(self, cmd: RegisterUser) -> UserDetail:
        return await accounts.register(
            cmd,
            uow=self.uow_factory(),
            hasher=self.hasher,
            clock=self.clock,
            invite_only=self.invite_only,
        )

    async def register_quietly(self, cmd: RegisterUser) -> None:
        await accounts.register_quietly(
            cmd,
            uow=self.uow_factory(),
            hasher=self.hasher,
            clock=self.clock,
            invite_only=self.invite_only,
        )

    async def invite(self, cmd: invitations.Invite, actor: Actor) -> invitations.InvitationView:
        return await invitations.invite(
            cmd,
            actor,
            uow=self.uow_factory(),
            clock=self.clock,
            lifetime=self.invitation_lifetime,
        )

    async def list_invitations(
        self, query: invitations.ListInvitations, actor: Actor
    ) -> invitations.InvitationList:
        return await invitations.list_invitations(
            query, actor, uow=self.uow_factory(), clock=self.clock
        )

    async def get_invitation(self, invitation_id: UUID, actor: Actor) -> invitations.InvitationView:
        return await invitations.get_invitation(
            invitation_id, actor, uow=self.uow_factory(), clock=self.clock
        )

    async def resend_invitation(
        self, invitation_id: UUID, actor: Actor
    ) -> invitations.InvitationView:
        return await invitations.resend(
            invitation_id,
            actor,
            uow=self.uow_factory(),
            clock=self.clock,
            lifetime=self.invitation_lifetime,
        )

    async def revoke_invitation(
        self, invitation_id: UUID, actor: Actor
    ) -> invitations.InvitationView:
        return await invitations.revoke(
            invitation_id, actor, uow=self.uow_factory(), clock=self.clock
        )

    async def invited_address(self, token: str) -> str:
        return await invitations.invited_address(token, uow=self.uow_factory(), clock=self.clock)

    async def register_invited(self, cmd: RegisterUser, token: str) -> UserDetail:
        return await invitations.register_invited(
            cmd, token, uow=self.uow_factory(), hasher=self.hasher, clock=self.clock
        )

    async def create_user(self, cmd: CreateUser, actor: Actor = SETUP) -> UserDetail:
        """An operator's account creation; ``actor`` defaults to the system (scripts and
        tests), the command line passes itself, an administrator their own account."""
        return await accounts.create_user(
            cmd, actor, uow=self.uow_factory(), hasher=self.hasher, clock=self.clock
        )

    async def check_new_account(self, cmd: NewAccount, actor: Actor = SETUP) -> None:
        await accounts.check_new_account(cmd, actor, uow=self.uow_factory())

    async def sign_in(self, cmd: SignIn) -> SignedIn | TwoFactorRequired:
        return await sessions.sign_in(
            cmd,
            uow=self.uow_factory(),
            hasher=self.hasher,
            clock=self.clock,
            throttle=self.throttle,
            policy=self.session_policy,
            digest=self.login_digest,
        )

    async def complete_sign_in(self, cmd: CompleteSignIn) -> SignedIn:
        return await two_factor.complete_sign_in(
            cmd,
            uow=self.uow_factory(),
            box=self.secret_box,
            codes=self.recovery_codes,
            clock=self.clock,
            throttle=self.throttle,
            policy=self.session_policy,
        )

    async def two_factor_status(self, user_id: UUID) -> TwoFactorStatus:
        return await two_factor.two_factor_status(user_id, uow=self.uow_factory())

    async def begin_two_factor_setup(self, user_id: UUID) -> TwoFactorSetup:
        return await two_factor.begin_setup(
            user_id,
            uow=self.uow_factory(),
            box=self.secret_box,
            clock=self.clock,
            verified_needed=self.verification_on,
        )

    async def pending_two_factor_setup(self, user_id: UUID) -> TwoFactorSetup | None:
        return await two_factor.pending_setup(
            user_id, uow=self.uow_factory(), box=self.secret_box, clock=self.clock
        )

    async def confirm_two_factor_setup(self, cmd: ConfirmTwoFactor) -> RecoveryCodes:
        return await two_factor.confirm_setup(
            cmd,
            uow=self.uow_factory(),
            box=self.secret_box,
            codes=self.recovery_codes,
            clock=self.clock,
        )

    async def disable_two_factor(self, cmd: DisableTwoFactor) -> None:
        await two_factor.disable(
            cmd,
            uow=self.uow_factory(),
            hasher=self.hasher,
            box=self.secret_box,
            codes=self.recovery_codes,
            clock=self.clock,
            throttle=self.throttle,
        )

    async def regenerate_recovery_codes(self, cmd: RegenerateRecoveryCodes) -> RecoveryCodes:
        return await two_factor.regenerate_recovery_codes(
            cmd,
            uow=self.uow_factory(),
            hasher=self.hasher,
            codes=self.recovery_codes,
            clock=self.clock,
            throttle=self.throttle,
        )

    async def resolve_session(self, key: str) -> CurrentSession | None:
        return await sessions.resolve_session(
            key,
            uow=self.uow_factory(),
            clock=self.clock,
            policy=self.session_policy,
            cache=self.cache,
        )

    async def sign_out(self, key: str, client: Client) -> None:
        await sessions.sign_out(key, uow=self.uow_factory(), clock=self.clock, client_ip=client.ip)

    async def list_sessions(self, user_id: UUID, current: UUID | None) -> list[SessionView]:
        return await sessions.list_sessions(
            user_id, current, uow=self.uow_factory(), clock=self.clock, policy=self.session_policy
        )

    async def revoke_session(self, user_id: UUID, session_id: UUID, client: Client) -> None:
        await sessions.revoke_session(
            user_id, session_id, uow=self.uow_factory(), clock=self.clock, client_ip=client.ip
        )

    async def revoke_other_sessions(self, user_id: UUID, keep: UUID | None, client: Client) -> int:
        return await sessions.revoke_other_sessions(
            user_id, keep, uow=self.uow_factory(), clock=self.clock, client_ip=client.ip
        )

    async def begin_passkey_registration(self, user_id: UUID) -> PasskeyOptions:
        return await passkeys.begin_registration(
            user_id, **self._passkey_parts(), verified_needed=self.verification_on
        )

    async def add_passkey(self, cmd: AddPasskey) -> PasskeyView:
        return await passkeys.add_passkey(cmd, **self._passkey_parts())

    async def begin_passkey_sign_in(self) -> PasskeyOptions:
        return await passkeys.begin_sign_in(**self._passkey_parts())

    async def sign_in_with_passkey(self, cmd: PasskeySignIn) -> SignedIn:
        return await passkeys.sign_in(cmd, **self._passkey_parts(), policy=self.session_policy)

    async def begin_passkey_second_factor(self, challenge: str) -> PasskeyOptions:
        return await passkeys.begin_second_factor(challenge, **self._passkey_parts())

    async def complete_sign_in_with_passkey(self, cmd: PasskeySecondFactor) -> SignedIn:
        return await passkeys.complete_sign_in(
            cmd, **self._passkey_parts(), policy=self.session_policy
        )

    async def begin_passkey_confirmation(self, user_id: UUID) -> PasskeyOptions:
        return await passkeys.begin_confirmation(user_id, **self._passkey_parts())

    async def list_passkeys(self, user_id: UUID) -> list[PasskeyView]:
        return await passkeys.list_passkeys(user_id, uow=self.uow_factory())

    async def rename_passkey(self, cmd: RenamePasskey) -> PasskeyView:
        return await passkeys.rename_passkey(cmd, uow=self.uow_factory())

    async def remove_passkey(self, cmd: RemovePasskey) -> None:
        await passkeys.remove_passkey(
            cmd,
            uow=self.uow_factory(),
            verifier=self.passkey_verifier,
            hasher=self.hasher,
            throttle=self.throttle,
            clock=self.clock,
        )

    async def admin_list_passkeys(self, user_id: UUID, actor: Actor) -> list[PasskeyView]:
        return await passkeys.admin_list_passkeys(user_id, actor, uow=self.uow_factory())

    async def admin_remove_passkey(self, user_id: UUID, passkey_id: UUID, actor: Actor) -> None:
        await passkeys.admin_remove_passkey(
            user_id, passkey_id, actor, uow=self.uow_factory(), clock=self.clock
        )

    def _passkey_parts(self) -> passkeys.Parts:
        return {
            "uow": self.uow_factory(),
            "verifier": self.passkey_verifier,
            "clock": self.clock,
        }

    async def request_verification(self, user_id: UUID, client: Client) -> str:
        return await verification.request_verification(
            user_id, client, uow=self.uow_factory(), clock=self.clock, throttle=self.reset_throttle
        )

    async def address_of(self, token: str) -> str:
        return await verification.address_of(
            token, uow=self.uow_factory(), tokens=self.address_tokens, clock=self.clock
        )

    async def verify_address(self, token: str, client: Client) -> UserDetail:
        return await verification.verify_address(
            token, client, uow=self.uow_factory(), tokens=self.address_tokens, clock=self.clock
        )

    async def mark_verified(self, user_id: UUID, actor: Actor) -> AdminUserDetail:
        return await verification.mark_verified(
            user_id, actor, uow=self.uow_factory(), clock=self.clock
        )

    async def send_verification_link(self, user_id: UUID, actor: Actor) -> None:
        await verification.send_link(user_id, actor, uow=self.uow_factory(), clock=self.clock)

    async def export_account(self, user_id: UUID, client: Client) -> export.AccountExport:
        return await export.export_account(
            user_id, client, uow=self.uow_factory(), clock=self.clock, throttle=self.reset_throttle
        )

    async def delete_own_account(self, cmd: DeleteAccount) -> None:
        await deletion.delete_own_account(
            cmd,
            uow=self.uow_factory(),
            hasher=self.hasher,
            box=self.secret_box,
            codes=self.recovery_codes,
            clock=self.clock,
            throttle=self.throttle,
        )

    async def delete_user(self, user_id: UUID, actor: Actor) -> None:
        await deletion.delete_user(user_id, actor, uow=self.uow_factory(), clock=self.clock)

    async def list_trusted_browsers(
        self, user_id: UUID, current_token: str | None
    ) -> list[TrustedBrowserView]:
        return await trusted_browsers.list_trusted_browsers(
            user_id, current_token, uow=self.uow_factory(), clock=self.clock
        )

    async def forget_trusted_browser(self, user_id: UUID, browser_id: UUID, client: Client) -> None:
        await trusted_browsers.forget_trusted_browser(
            user_id, browser_id, uow=self.uow_factory(), clock=self.clock, client_ip=client.ip
        )

    async def record_throttled_request(
        self, endpoint: str, client: Client, user_id: UUID | None
    ) -> None:
        await audit.record_throttled_request(
            endpoint, client, user_id, uow=self.uow_factory(), clock=self.clock
        )

    async def update_profile(self, cmd: UpdateProfile) -> UserDetail:
        return await profile.update_profile(
            cmd,
            uow=self.uow_factory(),
            hasher=self.hasher,
            clock=self.clock,
            throttle=self.throttle,
            confirm_address=self.verification_on,
        )

    async def change_password(self, cmd: ChangePassword) -> int:
        return await profile.change_password(
            cmd,
            uow=self.uow_factory(),
            hasher=self.hasher,
            clock=self.clock,
            throttle=self.throttle,
        )

    async def request_password_reset(self, cmd: RequestPasswordReset) -> None:
        await password_reset.request_password_reset(
            cmd, uow=self.uow_factory(), clock=self.clock, throttle=self.reset_throttle
        )

    async def check_reset_token(self, token: str) -> str:
        return await password_reset.check_reset_token(
            token, uow=self.uow_factory(), tokens=self.tokens, clock=self.clock
        )

    async def reset_password(self, cmd: ResetPassword) -> None:
        await password_reset.reset_password(
            cmd,
            uow=self.uow_factory(),
            hasher=self.hasher,
            tokens=self.tokens,
            clock=self.clock,
            throttle=self.throttle,
        )

    # Administration: each use case checks that ``actor`` may act.

    async def search_users(self, query: SearchUsers, actor: Actor) -> UserPage:
        return await admin.search_users(query, actor, uow=self.uow_factory())

    async def admin_get_user(self, user_id: UUID, actor: Actor) -> AdminUserDetail:
        return await admin.get_user(user_id, actor, uow=self.uow_factory())

    async def find_user(self, login: str, actor: Actor) -> UserDetail:
        return await admin.find_user(login, actor, uow=self.uow_factory())

    async def activate_user(self, user_id: UUID, actor: Actor) -> UserDetail:
        return await admin.activate_user(user_id, actor, uow=self.uow_factory(), clock=self.clock)

    async def deactivate_user(self, user_id: UUID, actor: Actor) -> UserDetail:
        return await admin.deactivate_user(user_id, actor, uow=self.uow_factory(), clock=self.clock)

    async def grant_role(self, cmd: RoleChange, actor: Actor) -> UserDetail:
        return await admin.grant_role(cmd, actor, uow=self.uow_factory(), clock=self.clock)

    async def revoke_role(self, cmd: RoleChange, actor: Actor) -> UserDetail:
        return await admin.revoke_role(cmd, actor, uow=self.uow_factory(), clock=self.clock)

    async def list_roles(self, actor: Actor) -> list[RoleSummary]:
        return await admin.list_roles(actor, uow=self.uow_factory())

    async def create_role(self, cmd: DefineRole, actor: Actor) -> RoleSummary:
        return await admin.create_role(cmd, actor, uow=self.uow_factory(), clock=self.clock)

    async def describe_role(self, cmd: DefineRole, actor: Actor) -> RoleSummary:
        return await admin.describe_role(cmd, actor, uow=self.uow_factory(), clock=self.clock)

    async def delete_role(self, name: str, actor: Actor) -> None:
        await admin.delete_role(name, actor, uow=self.uow_factory(), clock=self.clock)

    async def rotate_secrets(self) -> int:
        return await two_factor.rotate_secrets(uow=self.uow_factory(), box=self.secret_box)

    async def reset_two_factor(self, user_id: UUID, actor: Actor) -> AdminUserDetail:
        return await two_factor.reset(user_id, actor, uow=self.uow_factory(), clock=self.clock)

    async def list_audit(self, query: AuditQuery, actor: Actor) -> AuditPage:
        return await admin.list_audit(query, actor, uow=self.uow_factory())

    async def list_members(self, query: ListMembers) -> MemberPage:
        return await members.list_members(query, uow=self.uow_factory(), cache=self.cache)

    async def get_user(self, user_id: UUID) -> UserDetail | None:
        return await members.get_user(user_id, uow=self.uow_factory())

    async def check_ready(self) -> dict[str, bool]:
        """Whether the database and every other dependency answer, by name."""
        state: dict[str, bool] = {}
        checks: dict[str, Callable[[], Awaitable[None]]] = {"database": self._check_database}
        checks |= {name: dependency.check for name, dependency in self.dependencies.items()}
        for name, check in checks.items():
            try:
                await check()
            except ServiceUnavailable:
                state[name] = False
            else:
                state[name] = True
        return state

    async def _check_database(self) -> None:
        async with self.uow_factory():
            pass
