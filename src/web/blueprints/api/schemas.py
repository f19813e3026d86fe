"""Request and response models of the JSON API that are thin views of the use cases'."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from application.commands import Text
from application.results import AuditRecord, MemberSummary, SessionView, UserDetail
from domain import password_policy

_BODY = ConfigDict(extra="forbid", str_max_length=1024)
NEXT = (
    "The next page's path on this server (relative: the Host a request names never "
    "moves it elsewhere), or null on the last page."
)
PASSWORD = Field(
    min_length=1, max_length=password_policy.MAX_LENGTH, json_schema_extra={"format": "password"}
)


class SignInBody(BaseModel):
    model_config = _BODY

    login: Text = Field(min_length=1, max_length=254, examples=["alice"])
    password: Text = PASSWORD
    remember: bool = False
    cookie: bool = Field(
        default=False, description="Also set the session cookie (for JavaScript in a browser)."
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

    first_name: Text | None = Field(default=None, max_length=30, examples=["Ada"])
    last_name: Text | None = Field(default=None, max_length=30, examples=["Lovelace"])
    email: Text | None = Field(
        default=None, min_length=1, max_length=254, examples=["ada@example.com"]
    )
    current_password: Text | None = Field(
        default=None,
        max_length=password_policy.MAX_LENGTH,
        description="Needed only to change the e-mail address.",
    )


class PasswordChangeBody(BaseModel):
    model_config = _BODY

    current_password: Text = PASSWORD
    new_password: Text = PASSWORD


class PasswordChanged(BaseModel):
    ended_sessions: int


class ResetRequestBody(BaseModel):
    model_config = _BODY

    email: Text = Field(min_length=1, max_length=254, examples=["alice@example.com"])


class Accepted(BaseModel):
    detail: str


class NewPasswordBody(BaseModel):
    model_config = _BODY

    new_password: Text = PASSWORD


class CsrfToken(BaseModel):
    csrf_token: str


class Members(BaseModel):
    items: list[MemberSummary]
    total: int
    next: str | None = Field(description=NEXT)


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: Text | None = Field(default=None, max_length=20)
    limit: int = Field(default=20, ge=1, le=100)


class Sessions(BaseModel):
    items: list[SessionView]


class UserSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Text = Field(default="", max_length=254)
    after: Text | None = Field(default=None, max_length=254)
    limit: int = Field(default=25, ge=1, le=100)


class Users(BaseModel):
    items: list[UserDetail]
    next: str | None = Field(description=NEXT)


class AuditSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: UUID | None = None
    type: Text | None = Field(default=None, max_length=40)
    before: Text | None = Field(default=None, max_length=80)
    limit: int = Field(default=50, ge=1, le=200)


class AuditEvents(BaseModel):
    items: list[AuditRecord]
    next: str | None = Field(description=NEXT)
