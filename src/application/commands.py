"""Inputs to the use cases: pydantic models that bound sizes before the domain looks closer."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain import password_policy

_STRICT = ConfigDict(extra="forbid", frozen=True, str_max_length=1024)


class RegisterUser(BaseModel):
    model_config = _STRICT

    username: str = Field(min_length=1, max_length=25, examples=["ada"])
    email: str = Field(min_length=1, max_length=254, examples=["ada@example.com"])
    password: str = Field(
        min_length=1,
        max_length=password_policy.MAX_LENGTH,
        repr=False,
        examples=["analytical engine 1843"],
    )


class CreateUser(RegisterUser):
    """Registration done by an operator, who may grant roles at once."""

    roles: frozenset[str] = frozenset()


class Authenticate(BaseModel):
    model_config = _STRICT

    login: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=password_policy.MAX_LENGTH, repr=False)


class ListMembers(BaseModel):
    model_config = _STRICT

    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=20, ge=1, le=100)


class Client(BaseModel):
    """Where a request came from; recorded with sessions and in the audit trail."""

    model_config = ConfigDict(frozen=True)

    ip: str | None = Field(default=None, max_length=45)
    user_agent: str = ""

    @field_validator("user_agent")
    @classmethod
    def _shorten(cls, value: str) -> str:
        return value[:512]


class SignIn(Authenticate):
    remember: bool = False
    client: Client = Client()


class UpdateProfile(BaseModel):
    """New names and address for ``user_id``; the current password is needed only when
    the address changes (an address is how an account is recovered)."""

    model_config = _STRICT

    user_id: UUID
    first_name: str = Field(default="", max_length=30)
    last_name: str = Field(default="", max_length=30)
    email: str = Field(min_length=1, max_length=254)
    current_password: str = Field(default="", max_length=password_policy.MAX_LENGTH, repr=False)
    client: Client = Client()


class ChangePassword(BaseModel):
    model_config = _STRICT

    user_id: UUID
    session_id: UUID | None = None
    current_password: str = Field(min_length=1, max_length=password_policy.MAX_LENGTH, repr=False)
    new_password: str = Field(min_length=1, max_length=password_policy.MAX_LENGTH, repr=False)
    client: Client = Client()


class RequestPasswordReset(BaseModel):
    model_config = _STRICT

    email: str = Field(min_length=1, max_length=254)
    client: Client = Client()


class ResetPassword(BaseModel):
    model_config = _STRICT

    token: str = Field(min_length=1, max_length=512, repr=False)
    new_password: str = Field(min_length=1, max_length=password_policy.MAX_LENGTH, repr=False)
    client: Client = Client()


class Actor(BaseModel):
    """Who acts: a signed-in account, or the system (the command line) when ``user_id``
    is None. Recorded in the audit trail with every change."""

    model_config = ConfigDict(frozen=True)

    user_id: UUID | None
    name: str = "system"
    client: Client = Client()

    @classmethod
    def system(cls, name: str = "cli") -> Actor:
        return cls(user_id=None, name=name)


class SearchUsers(BaseModel):
    model_config = _STRICT

    query: str = Field(default="", max_length=254)
    after: str | None = Field(default=None, max_length=254)
    limit: int = Field(default=25, ge=1, le=100)


class AuditQuery(BaseModel):
    model_config = _STRICT

    user_id: UUID | None = None
    event_type: str | None = Field(default=None, max_length=40)
    before: str | None = Field(default=None, max_length=80)
    limit: int = Field(default=50, ge=1, le=200)


class RoleChange(BaseModel):
    """Grant or revoke ``role`` for ``user_id``."""

    model_config = _STRICT

    user_id: UUID
    role: str = Field(min_length=1, max_length=25)


class DefineRole(BaseModel):
    model_config = _STRICT

    name: str = Field(min_length=1, max_length=25, examples=["editor"])
    description: str = Field(default="", max_length=200, examples=["Moderates the members list."])
