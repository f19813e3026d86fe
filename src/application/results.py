"""Outputs of the use cases: plain pydantic models, never a password hash."""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.passkeys import Passkey
from domain.repositories import Member
from domain.roles import ADMIN
from domain.sessions import SecondFactor, Session
from domain.trusted_browsers import TrustedBrowser
from domain.two_factor import TwoFactor
from domain.users import User

_FROZEN = ConfigDict(frozen=True)


class UserDetail(BaseModel):
    model_config = _FROZEN

    id: UUID
    username: str
    email: str
    first_name: str
    last_name: str
    full_name: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    roles: tuple[str, ...]
    email_verified: bool = Field(
        default=False, description="Whether the address was proved to reach its holder."
    )

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    @classmethod
    def of(cls, user: User) -> UserDetail:
        return cls(
            id=user.id,
            username=str(user.username),
            email=str(user.email),
            first_name=user.first_name,
            last_name=user.last_name,
            full_name=user.full_name,
            active=user.active,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            roles=tuple(sorted(user.roles)),
            email_verified=user.email_verified,
        )


class AdminUserDetail(UserDetail):
    """An account as administrators see it: with whether two-factor is on."""

    two_factor: bool = Field(description="Whether signing in asks for a second factor.")

    @classmethod
    def of_account(cls, user: User, *, two_factor: bool) -> AdminUserDetail:
        return cls(**UserDetail.of(user).model_dump(), two_factor=two_factor)


class MemberSummary(BaseModel):
    model_config = _FROZEN

    id: UUID
    username: str
    full_name: str
    member_since: datetime

    @classmethod
    def of(cls, member: Member) -> MemberSummary:
        return cls(
            id=member.id,
            username=member.username,
            full_name=member.full_name,
            member_since=member.created_at,
        )

    @property
    def named(self) -> bool:
        """Whether the member gave a name; otherwise ``full_name`` is the username."""
        return self.full_name != self.username


class MemberPage(BaseModel):
    model_config = _FROZEN

    items: tuple[MemberSummary, ...]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def past_the_end(self) -> bool:
        """A page after the last; the first page of an empty list is not."""
        return self.page > self.pages


class SignedIn(BaseModel):
    """A successful sign-in: the new session's secret key goes into the cookie."""

    model_config = _FROZEN

    user: UserDetail
    session_key: str = Field(repr=False)
    session_id: UUID
    persistent: bool
    expires_at: datetime
    # The token for the trusted-browser cookie, when the sign-in asked to trust it.
    trusted_browser: str | None = Field(default=None, repr=False)
    trusted_until: datetime | None = None


class TwoFactorRequired(BaseModel):
    """The password was right, but the account has two-factor on: no session yet. The
    ``challenge`` finishes the sign-in with a code (``complete_sign_in``), once, before
    ``expires_at``."""

    model_config = _FROZEN

    challenge: str = Field(repr=False)
    expires_at: datetime


class TwoFactorSetup(BaseModel):
    """A pending secret to add to an authenticator app: by the URI (a QR code, a link)
    or by typing the key."""

    model_config = _FROZEN

    secret: str = Field(repr=False)
    otpauth_uri: str = Field(repr=False)
    expires_at: datetime


class RecoveryCodes(BaseModel):
    """Fresh single-use recovery codes, shown once: only their digests are kept."""

    model_config = _FROZEN

    codes: tuple[str, ...] = Field(repr=False)


class TwoFactorStatus(BaseModel):
    model_config = _FROZEN

    enabled: bool
    enabled_at: datetime | None = None
    recovery_codes_left: int = 0

    @classmethod
    def of(cls, state: TwoFactor | None) -> TwoFactorStatus:
        if state is None:
            return cls(enabled=False)
        return cls(
            enabled=True, enabled_at=state.enabled_at, recovery_codes_left=state.recovery_codes_left
        )


class CurrentSession(BaseModel):
    model_config = _FROZEN

    user: UserDetail
    session_id: UUID


class SessionView(BaseModel):
    model_config = _FROZEN

    id: UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str | None
    persistent: bool
    current: bool
    api_token: bool
    second_factor: SecondFactor | None = Field(
        default=None,
        description="What proved the second factor when the session began "
        "(`code`, `recovery_code`, `trusted_browser`); null without two-factor.",
    )

    @classmethod
    def of(cls, session: Session, *, current: bool) -> SessionView:
        return cls(
            id=session.id,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            user_agent=session.user_agent,
            ip=session.ip,
            persistent=session.persistent,
            current=current,
            api_token=session.api_token,
            second_factor=session.second_factor,
        )


class TrustedBrowserView(BaseModel):
    """A browser that may skip the two-factor code until ``expires_at``."""

    model_config = _FROZEN

    id: UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str | None
    current: bool

    @classmethod
    def of(cls, browser: TrustedBrowser, *, current: bool) -> TrustedBrowserView:
        return cls(
            id=browser.id,
            created_at=browser.created_at,
            last_used_at=browser.last_used_at,
            expires_at=browser.expires_at,
            user_agent=browser.user_agent,
            ip=browser.ip,
            current=current,
        )


class UserPage(BaseModel):
    """One page of a user search; ``after`` is the cursor of the next page, if any."""

    model_config = _FROZEN

    items: tuple[AdminUserDetail, ...]
    after: str | None


class RoleSummary(BaseModel):
    model_config = _FROZEN

    name: str
    description: str
    members: int
    built_in: bool


class AuditRecord(BaseModel):
    model_config = _FROZEN

    id: UUID
    occurred_at: datetime
    event_type: str
    user_id: UUID | None
    user_name: str | None
    actor_id: UUID | None
    actor_name: str | None
    ip: str | None
    details: dict[str, str]


class AuditPage(BaseModel):
    model_config = _FROZEN

    items: tuple[AuditRecord, ...]
    before: str | None
    user_name: str | None = None  # the username of the account the query is about
    event_type: str | None = None  # the event type the query matched, as stored


class PasskeyOptions(BaseModel):
    """What the browser's passkey dialog takes (``publicKey`` of
    ``navigator.credentials.create`` or ``.get``), in the WebAuthn JSON form."""

    model_config = _FROZEN

    public_key: dict[str, Any] = Field(serialization_alias="publicKey")


class PasskeyView(BaseModel):
    model_config = _FROZEN

    id: UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    authenticator: str = Field(description="What kind of authenticator, where it said.")
    transports: tuple[str, ...]

    @classmethod
    def of(cls, passkey: Passkey) -> PasskeyView:
        return cls(
            id=passkey.id,
            name=passkey.name,
            created_at=passkey.created_at,
            last_used_at=passkey.last_used_at,
            authenticator=passkey.authenticator,
            transports=passkey.transports,
        )
