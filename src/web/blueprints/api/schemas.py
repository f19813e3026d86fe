"""Request and response models of the JSON API that are thin views of the use cases'."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from application.commands import CODE_MAX, PASSWORD_RULE, TOKEN_MAX, RegisterUser, Text
from application.invitations import InvitationView
from application.results import (
    AdminUserDetail,
    AuditRecord,
    MemberSummary,
    SessionView,
    UserDetail,
)
from domain import password_policy
from domain.invitations import TOKEN_MAX as INVITATION_TOKEN_MAX

_BODY = ConfigDict(extra="forbid", str_max_length=1024)
NEXT = (
    "The next page's path on this server (relative: the Host a request names never "
    "moves it elsewhere), or null on the last page."
)


def password_field(description: str) -> Any:
    return Field(
        min_length=1,
        max_length=password_policy.MAX_LENGTH,
        description=description,
        examples=["analytical engine 1843"],
        json_schema_extra={"format": "password"},
    )


class Registration(RegisterUser):
    invitation: Text | None = Field(
        default=None,
        min_length=1,
        max_length=INVITATION_TOKEN_MAX,
        description="The last part of the link in an invitation mail. Required with "
        "`REGISTRATION=invite`; `email` must then be the address it invites.",
        examples=["q8Xh0o1Zk3cQyF5m2wTnV9bLrA7eJ4sU6dPiGgKxYzE"],
    )

    def account(self) -> RegisterUser:
        return RegisterUser(username=self.username, email=self.email, password=self.password)


class Invitations(BaseModel):
    items: list[InvitationView]
    total: int
    next: str | None = Field(description=NEXT)


class InvitationPageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: Text | None = Field(
        default=None, max_length=20, description="Where the page starts: take it from `next`."
    )
    limit: int = Field(default=25, ge=1, le=100, description="Invitations on a page.")


class SignInBody(BaseModel):
    model_config = _BODY

    login: Text = Field(
        min_length=1,
        max_length=254,
        description="The username or the e-mail address, in any letter case.",
        examples=["ada"],
    )
    password: Text = password_field("The account's password.")
    remember: bool = Field(
        default=False,
        description='With `cookie`: a cookie that outlives the browser ("keep me signed '
        'in"), up to `SESSION_LIFETIME`.',
        examples=[True],
    )
    cookie: bool = Field(
        default=False,
        description="Also set the session cookie, for JavaScript in a browser.",
        examples=[False],
    )


class Token(BaseModel):
    """A bearer token: the key of a revocable server-side session."""

    token: str
    token_type: str = "bearer"  # noqa: S105 (the scheme's name, not a secret)
    session_id: UUID
    expires_at: datetime
    user: UserDetail


class ProfilePatch(BaseModel):
    model_config = _BODY

    first_name: Text | None = Field(
        default=None,
        max_length=30,
        description="The first name; an empty string removes it. Left out: unchanged.",
        examples=["Ada"],
    )
    last_name: Text | None = Field(
        default=None,
        max_length=30,
        description="The last name; an empty string removes it. Left out: unchanged.",
        examples=["Lovelace"],
    )
    email: Text | None = Field(
        default=None,
        min_length=1,
        max_length=254,
        description="A new e-mail address, unique in any letter case. Left out: unchanged.",
        examples=["ada@example.org"],
    )
    current_password: Text | None = Field(
        default=None,
        max_length=password_policy.MAX_LENGTH,
        description="The account's password: needed only to change the e-mail address.",
        examples=["analytical engine 1843"],
        json_schema_extra={"format": "password"},
    )


class PasswordChangeBody(BaseModel):
    model_config = _BODY

    current_password: Text = password_field("The password the account has now.")
    new_password: Text = password_field(f"The new password: {PASSWORD_RULE}")


class PasswordChanged(BaseModel):
    ended_sessions: int


class ResetRequestBody(BaseModel):
    model_config = _BODY

    email: Text = Field(
        min_length=1,
        max_length=254,
        description="The account's e-mail address, in any letter case.",
        examples=["ada@example.com"],
    )


class Accepted(BaseModel):
    detail: str


class NewPasswordBody(BaseModel):
    model_config = _BODY

    new_password: Text = password_field(f"The new password: {PASSWORD_RULE}")


class CsrfToken(BaseModel):
    csrf_token: str


class Members(BaseModel):
    items: list[MemberSummary]
    total: int
    next: str | None = Field(description=NEXT)


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: Text | None = Field(
        default=None, max_length=20, description="Where the page starts: take it from `next`."
    )
    limit: int = Field(default=20, ge=1, le=100, description="Members on a page.")


class Sessions(BaseModel):
    items: list[SessionView]


class UserSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Text = Field(
        default="",
        max_length=254,
        description="The start of a username or e-mail address; empty: every account.",
        examples=["ad"],
    )
    after: Text | None = Field(
        default=None, max_length=254, description="Where the page starts: take it from `next`."
    )
    limit: int = Field(default=25, ge=1, le=100, description="Accounts on a page.")


class Users(BaseModel):
    items: list[AdminUserDetail]
    next: str | None = Field(description=NEXT)


class AuditSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: UUID | None = Field(default=None, description="Only entries about this account (its id).")
    type: Text | None = Field(
        default=None,
        max_length=40,
        description="Only entries of this event, such as `RoleGranted`.",
        examples=["RoleGranted"],
    )
    before: Text | None = Field(
        default=None, max_length=80, description="Where the page starts: take it from `next`."
    )
    limit: int = Field(default=50, ge=1, le=200, description="Entries on a page.")


class AuditEvents(BaseModel):
    items: list[AuditRecord]
    next: str | None = Field(description=NEXT)


APP_CODE = "The six-digit code your authenticator app shows now."
ANY_CODE = (
    "The six-digit code your authenticator app shows now, or one of your unused "
    "recovery codes (`xxxxx-xxxxx`; dashes, spaces and letter case do not matter)."
)


def code_field(description: str, *, digits_only: bool = False) -> Any:
    return Field(
        min_length=6,
        max_length=6 if digits_only else CODE_MAX,
        pattern=r"^[0-9]{6}$" if digits_only else None,
        description=description,
        examples=["492039"],
    )


class TwoFactorSignInBody(BaseModel):
    model_config = _BODY

    challenge: Text = Field(
        min_length=1,
        max_length=TOKEN_MAX,
        description="The `challenge` of the 401 `/problems/two-factor-required` that "
        "`POST /api/v1/sessions` answered with.",
        examples=["b1Vt0mQm3kZ8oJ4yWcD2rX7nPqLs9aEeHf6gTu5iKvA"],
    )
    code: Text = code_field(ANY_CODE)
    cookie: bool = Field(
        default=False,
        description="Also set the session cookie, for JavaScript in a browser.",
        examples=[False],
    )


class TwoFactorKey(BaseModel):
    """A key to add to an authenticator app, not yet in force."""

    otpauth_uri: str = Field(
        description="The `otpauth://totp/...` URI: show it as a QR code, or open it on the "
        "phone, to add the account to an authenticator app."
    )
    secret: str = Field(description="The same key in base32, for typing in by hand.")
    expires_at: datetime = Field(
        description="Confirm with a code before this, or start again for a new key."
    )


class ConfirmBody(BaseModel):
    model_config = _BODY

    code: Text = code_field(APP_CODE, digits_only=True)


class RecoveryCodeList(BaseModel):
    """Single-use recovery codes, shown only this once: keep them somewhere safe."""

    recovery_codes: list[str] = Field(
        description="Ten codes, each good for one sign-in without the app."
    )


class DisableBody(BaseModel):
    model_config = _BODY

    password: Text = password_field("The account's password.")
    code: Text = code_field(ANY_CODE)


class PasswordBody(BaseModel):
    model_config = _BODY

    password: Text = password_field("The account's password.")


ANSWER = (
    "What the browser's `navigator.credentials` call resolved to, as "
    "`PublicKeyCredential.toJSON()` writes it (WebAuthn's JSON form, binary fields in "
    "base64url)."
)
ANSWER_EXAMPLE = {
    "id": "h0Q0B2m2pQ",
    "rawId": "h0Q0B2m2pQ",
    "type": "public-key",
    "response": {"clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0", "...": "..."},
}


def answer_field() -> Any:
    return Field(
        description=ANSWER,
        examples=[ANSWER_EXAMPLE],
        json_schema_extra={"maxProperties": 16},
    )


class PasskeyDialog(BaseModel):
    """The options of the browser's passkey dialog."""

    publicKey: dict[str, Any] = Field(  # noqa: N815 (WebAuthn's own name)
        description="Pass as `publicKey` to `navigator.credentials.create()` or `.get()`, "
        "after `PublicKeyCredential.parseCreationOptionsFromJSON()` or "
        "`parseRequestOptionsFromJSON()` (binary fields are base64url)."
    )


class PasskeySignInBody(BaseModel):
    model_config = _BODY

    answer: dict[str, Any] = answer_field()
    remember: bool = Field(
        default=False,
        description="With `cookie`: a cookie that outlives the browser.",
        examples=[False],
    )
    cookie: bool = Field(
        default=False,
        description="Also set the session cookie, for JavaScript in a browser.",
        examples=[False],
    )


class ChallengeBody(BaseModel):
    model_config = _BODY

    challenge: Text = Field(
        min_length=1,
        max_length=TOKEN_MAX,
        description="The `challenge` of the 401 `/problems/two-factor-required` that "
        "`POST /api/v1/sessions` answered with.",
        examples=["b1Vt0mQm3kZ8oJ4yWcD2rX7nPqLs9aEeHf6gTu5iKvA"],
    )


class PasskeySecondFactorBody(ChallengeBody):
    answer: dict[str, Any] = answer_field()
    cookie: bool = Field(
        default=False,
        description="Also set the session cookie, for JavaScript in a browser.",
        examples=[False],
    )


def name_field() -> Any:
    return Field(
        default="",
        max_length=60,
        description="A name to tell the passkeys apart; blank is `Passkey`.",
        examples=["Work laptop"],
    )


class NewPasskeyBody(BaseModel):
    model_config = _BODY

    name: Text = name_field()
    answer: dict[str, Any] = answer_field()


class PasskeyNameBody(BaseModel):
    model_config = _BODY

    name: Text = name_field()


class RemovePasskeyBody(BaseModel):
    """The password, or a passkey's answer to `POST /api/v1/users/me/passkeys/confirm-options`."""

    model_config = _BODY

    password: Text = Field(
        default="",
        max_length=password_policy.MAX_LENGTH,
        description="The account's password (or send `answer` instead).",
        examples=["analytical engine 1843"],
        json_schema_extra={"format": "password"},
    )
    answer: dict[str, Any] | None = Field(
        default=None,
        description=ANSWER + " Signed by one of your passkeys, in place of the password.",
        examples=[None],
        json_schema_extra={"maxProperties": 16},
    )


class DeleteAccountBody(BaseModel):
    model_config = _BODY

    password: Text = password_field("The account's password.")
    code: Text = Field(
        default="",
        max_length=CODE_MAX,
        description="With two-factor on: a current code from the app, or a recovery code.",
        examples=["492039"],
    )
