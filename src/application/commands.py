"""Inputs to the use cases: pydantic models that bound sizes before the domain looks closer."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from domain import passkeys, password_policy, trusted_browsers
from domain.sessions import USER_AGENT_MAX
from domain.values import has_control_characters

TOKEN_MAX = 512  # a reset token is far shorter; anything longer is not one of ours

_STRICT = ConfigDict(extra="forbid", frozen=True, str_max_length=1024)
NOT_TEXT = "Use ordinary text: control characters are not allowed."


def plain_text(value: str) -> str:
    """Refuse NUL and other control or invisible characters before anything stores,
    logs or looks them up (PostgreSQL refuses NUL in text outright)."""
    if has_control_characters(value):
        raise PydanticCustomError("control_characters", NOT_TEXT)
    return value


Text = Annotated[str, AfterValidator(plain_text)]
"""Every text a request brings, body field or query parameter, passwords included."""


PASSWORD_RULE = (  # the password policy, in words for the API reference
    f"{password_policy.MIN_LENGTH} to {password_policy.MAX_LENGTH} characters, not all "
    "digits, not a common password and not like the username or e-mail address."
)


class RegisterUser(BaseModel):
    model_config = _STRICT

    username: Text = Field(
        min_length=1,
        max_length=25,
        description="3 to 25 letters, digits, `.`, `_` or `-`; unique in any letter case.",
        examples=["ada"],
    )
    email: Text = Field(
        min_length=1,
        max_length=254,
        description="An e-mail address; unique in any letter case.",
        examples=["ada@example.com"],
    )
    password: Text = Field(
        min_length=1,
        max_length=password_policy.MAX_LENGTH,
        repr=False,
        description=PASSWORD_RULE,
        examples=["analytical engine 1843"],
    )


class NewAccount(BaseModel):
    """A username and address to check before anyone is asked for a password; only
    their size is bounded here, so the domain's rules name what is wrong."""

    model_config = _STRICT

    username: Text = Field(min_length=1, max_length=254)
    email: Text = Field(min_length=1, max_length=254)


class CreateUser(RegisterUser):
    """Registration done by an operator, who may grant roles at once."""

    roles: frozenset[Text] = frozenset()


class Authenticate(BaseModel):
    model_config = _STRICT

    login: Text = Field(min_length=1, max_length=254)
    password: Text = Field(min_length=1, max_length=password_policy.MAX_LENGTH, repr=False)


class ListMembers(BaseModel):
    model_config = _STRICT

    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=20, ge=1, le=100)


class Client(BaseModel):
    """Where a request came from; recorded with sessions and in the audit trail."""

    model_config = ConfigDict(frozen=True)

    ip: Text | None = Field(default=None, max_length=45)
    user_agent: str = ""

    @field_validator("user_agent")
    @classmethod
    def _shorten(cls, value: str) -> str:
        """Kept for people to read, not refused: a header is not something they typed."""
        return "".join(char for char in value if not has_control_characters(char))[:USER_AGENT_MAX]


class SignIn(Authenticate):
    remember: bool = False
    client: Client = Client()
    # The key goes to a program as an API token, not into a browser's cookie.
    api_token: bool = False
    # The token of the browser's trusted-browser cookie, if it sent one.
    trusted_browser: str | None = Field(default=None, repr=False)

    @field_validator("trusted_browser", mode="before")
    @classmethod
    def _plausible_token(cls, value: object) -> str | None:
        """A cookie is not something the person typed: one that cannot be a token of
        ours is ignored (the code is asked for), never an error."""
        if not isinstance(value, str) or len(value) > trusted_browsers.TOKEN_MAX:
            return None
        plain = value.replace("-", "").replace("_", "")
        return value if value.isascii() and plain.isalnum() else None


class UpdateProfile(BaseModel):
    """New names and address for ``user_id``; the current password is needed only when
    the address changes (an address is how an account is recovered)."""

    model_config = _STRICT

    user_id: UUID
    first_name: Text = Field(default="", max_length=30)
    last_name: Text = Field(default="", max_length=30)
    email: Text = Field(min_length=1, max_length=254)
    current_password: Text = Field(default="", max_length=password_policy.MAX_LENGTH, repr=False)
    client: Client = Client()


class ChangePassword(BaseModel):
    model_config = _STRICT

    user_id: UUID
    session_id: UUID | None = None
    current_password: Text = Field(min_length=1, max_length=password_policy.MAX_LENGTH, repr=False)
    new_password: Text = Field(min_length=1, max_length=password_policy.MAX_LENGTH, repr=False)
    client: Client = Client()


class RequestPasswordReset(BaseModel):
    model_config = _STRICT

    email: Text = Field(min_length=1, max_length=254)
    client: Client = Client()


class ResetPassword(BaseModel):
    model_config = _STRICT

    token: Text = Field(min_length=1, max_length=TOKEN_MAX, repr=False)
    new_password: Text = Field(min_length=1, max_length=password_policy.MAX_LENGTH, repr=False)
    client: Client = Client()


class Actor(BaseModel):
    """Who acts: a signed-in account, or the system (the command line) when ``user_id``
    is None. Recorded in the audit trail with every change."""

    model_config = ConfigDict(frozen=True)

    user_id: UUID | None
    name: Text = "system"
    client: Client = Client()

    @classmethod
    def system(cls, name: str = "cli") -> Actor:
        return cls(user_id=None, name=name)


class SearchUsers(BaseModel):
    model_config = _STRICT

    query: Text = Field(default="", max_length=254)
    after: Text | None = Field(default=None, max_length=254)
    limit: int = Field(default=25, ge=1, le=100)


class AuditQuery(BaseModel):
    model_config = _STRICT

    user_id: UUID | None = None
    event_type: Text | None = Field(default=None, max_length=40)
    before: Text | None = Field(default=None, max_length=80)
    limit: int = Field(default=50, ge=1, le=200)


class RoleChange(BaseModel):
    """Grant or revoke ``role`` for ``user_id``."""

    model_config = _STRICT

    user_id: UUID
    role: Text = Field(min_length=1, max_length=25)


class DefineRole(BaseModel):
    model_config = _STRICT

    name: Text = Field(
        min_length=1,
        max_length=25,
        description="3 to 25 letters, digits, `.`, `_` or `-`; kept in lower case.",
        examples=["editor"],
    )
    description: Text = Field(
        default="",
        max_length=200,
        description="What the role is for, shown beside it.",
        examples=["Moderates the members list."],
    )


CODE_MAX = 64  # a TOTP code is 6 digits, a recovery code 11 characters; room for spaces


class ConfirmTwoFactor(BaseModel):
    """The first code from the authenticator app, proving the pending secret was added."""

    model_config = _STRICT

    user_id: UUID
    code: Text = Field(max_length=CODE_MAX, repr=False)
    client: Client = Client()


class CompleteSignIn(BaseModel):
    """The second step of a sign-in: the challenge the password step gave, and a code
    from the app or a recovery code."""

    model_config = _STRICT

    challenge: Text = Field(max_length=TOKEN_MAX, repr=False)
    code: Text = Field(max_length=CODE_MAX, repr=False)
    client: Client = Client()
    # "Don't ask again on this browser": the result then carries a trusted-browser token.
    trust_browser: bool = False


class DisableTwoFactor(BaseModel):
    model_config = _STRICT

    user_id: UUID
    password: Text = Field(max_length=password_policy.MAX_LENGTH, repr=False)
    code: Text = Field(max_length=CODE_MAX, repr=False)
    client: Client = Client()


class RegenerateRecoveryCodes(BaseModel):
    model_config = _STRICT

    user_id: UUID
    password: Text = Field(max_length=password_policy.MAX_LENGTH, repr=False)
    client: Client = Client()


# What a browser's PublicKeyCredential.toJSON() gives: checked by the passkey verifier.
PasskeyAnswer = dict[str, Any]


class AddPasskey(BaseModel):
    """A new passkey from the browser's dialog, for ``user_id``, under a name."""

    model_config = _STRICT

    user_id: UUID
    name: Text = Field(default="", max_length=passkeys.NAME_MAX)
    answer: PasskeyAnswer = Field(repr=False)
    client: Client = Client()


class PasskeySignIn(BaseModel):
    """A sign-in with a passkey alone: the passkey says whose account it is."""

    model_config = _STRICT

    answer: PasskeyAnswer = Field(repr=False)
    remember: bool = False
    api_token: bool = False
    client: Client = Client()


class PasskeySecondFactor(BaseModel):
    """The second step of a password sign-in, with a passkey in place of a code."""

    model_config = _STRICT

    challenge: Text = Field(max_length=TOKEN_MAX, repr=False)
    answer: PasskeyAnswer = Field(repr=False)
    client: Client = Client()
    trust_browser: bool = False


class RenamePasskey(BaseModel):
    model_config = _STRICT

    user_id: UUID
    passkey_id: UUID
    name: Text = Field(default="", max_length=passkeys.NAME_MAX)


class RemovePasskey(BaseModel):
    """The holder removes a passkey, proving it is them with the password or with an
    answer of one of their passkeys (to ``begin_confirmation``'s options)."""

    model_config = _STRICT

    user_id: UUID
    passkey_id: UUID
    password: Text = Field(default="", max_length=password_policy.MAX_LENGTH, repr=False)
    answer: PasskeyAnswer | None = Field(default=None, repr=False)
    client: Client = Client()


class DeleteAccount(BaseModel):
    """The holder deletes their account: the password, and a code when two-factor is on."""

    model_config = _STRICT

    user_id: UUID
    password: Text = Field(max_length=password_policy.MAX_LENGTH, repr=False)
    code: Text = Field(default="", max_length=CODE_MAX, repr=False)
    client: Client = Client()
