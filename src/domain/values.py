"""Self-validating value objects; each has a casefolded ``key`` that decides identity."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import email_validator

from domain import errors

_USERNAME = re.compile(r"[A-Za-z0-9._-]{3,25}")
_EMAIL_MAX = 254
NAME_MAX = 30
_NOT_TEXT = frozenset({"Cc", "Cf", "Cs", "Cn", "Co"})


def tidy(text: str) -> str:
    """Trimmed and in NFC: the one form typed text is checked, compared and kept in."""
    return unicodedata.normalize("NFC", text.strip())


def has_control_characters(text: str) -> bool:
    """True for NUL and other control characters, invisible format characters (bidi
    overrides, zero-width spaces), and unassigned, private or surrogate code points."""
    return any(unicodedata.category(char) in _NOT_TEXT for char in text)


@dataclass(frozen=True, slots=True, eq=False)
class Username:
    """3–25 ASCII letters, digits, ``.``, ``_`` or ``-``; ``Alice`` and ``alice`` are one."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _USERNAME.fullmatch(self.value):
            raise errors.InvalidUsername(field="username")

    @property
    def key(self) -> str:
        return self.value.casefold()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Username) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.value


class EmailAddress:
    """A normalised address by the rules of the field (email-validator): trimmed, NFC,
    the domain checked under IDNA 2008 and kept in its Unicode form.

    The ``key`` decides identity: the local part casefolded, then the domain in one
    canonical form, so ``Anna@faß.de`` and ``anna@xn--fa-hia.de`` are one address (and
    never ``anna@fass.de``, another domain). Value and key are each at most 254
    characters: a casefolded local part can be longer than the typed one.
    """

    __slots__ = ("key", "value")
    value: str
    key: str

    def __init__(self, raw: str) -> None:
        value, key = _normalise_email(raw)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "key", key)

    @classmethod
    def stored(cls, value: str, key: str) -> EmailAddress:
        """An address as it was stored, not checked again: rules change, and an account
        whose address an older rule accepted must still load."""
        address = object.__new__(cls)
        object.__setattr__(address, "value", value)
        object.__setattr__(address, "key", key)
        return address

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("EmailAddress is immutable")

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        # copy and pickle would restore the slots with setattr, which is refused above.
        return (EmailAddress.stored, (self.value, self.key))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EmailAddress) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"EmailAddress({self.value!r})"

    def __str__(self) -> str:
        return self.value


def _normalise_email(raw: str) -> tuple[str, str]:
    """The address as stored and its key; InvalidEmail when it breaks a rule."""
    if not isinstance(raw, str):
        raise errors.InvalidEmail(field="email")
    text = tidy(raw)
    if has_control_characters(text) or len(text) > _EMAIL_MAX:
        raise errors.InvalidEmail(field="email")
    try:
        checked = email_validator.validate_email(text, check_deliverability=False, strict=True)
    except ValueError as exc:  # EmailNotValidError, and the IDNA codec's own errors
        raise errors.InvalidEmail(field="email") from exc
    value = checked.normalized
    key = f"{checked.local_part.casefold()}@{checked.domain}"
    if len(value) > _EMAIL_MAX or len(key) > _EMAIL_MAX:
        raise errors.InvalidEmail(field="email")
    return value, key


def login_key(login: str) -> str:
    """The key a sign-in name (or the start of one, in a search) is looked up by: an
    address's key when it is one; else trimmed, NFC and casefolded like a username,
    except after an ``@``, where a domain is only lower-cased (casefolding would turn
    ``faß`` into ``fass``, another domain)."""
    text = tidy(login)
    if "@" not in text:
        return text.casefold()
    try:
        return EmailAddress(text).key
    except errors.InvalidEmail:
        local, _, domain = text.rpartition("@")
        return f"{local.casefold()}@{domain.lower()}"


def clean_name(raw: str, *, field_name: str) -> str:
    """A first or last name: trimmed, at most 30 characters, no control characters."""
    text = tidy(raw)
    if len(text) > NAME_MAX or has_control_characters(text):
        raise errors.InvalidName(field=field_name)
    return text


@dataclass(frozen=True, slots=True)
class PasswordHash:
    """An opaque hash string; its repr never shows the value."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "PasswordHash(***)"
