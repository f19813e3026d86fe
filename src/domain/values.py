"""Self-validating value objects; each has a casefolded ``key`` that decides identity."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from domain import errors

_USERNAME = re.compile(r"[A-Za-z0-9._-]{3,25}")
_EMAIL_MAX = 254
_LOCAL_MAX = 64
_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_LOCAL_ATOM = re.compile(r"[^\s\"(),:;<>@\[\\\]]+")
NAME_MAX = 30
_NOT_TEXT = frozenset({"Cc", "Cf", "Cs", "Cn", "Co"})


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
    """A normalised address: trimmed, NFC, the domain lower-cased and IDNA-checked.

    Two addresses are the same when their casefolded forms match.
    """

    __slots__ = ("key", "value")
    value: str
    key: str

    def __init__(self, raw: str) -> None:
        value = _normalise_email(raw)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "key", value.casefold())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("EmailAddress is immutable")

    def __reduce__(self) -> tuple[type[EmailAddress], tuple[str]]:
        # copy and pickle would restore the slots with setattr, which is refused above.
        return (EmailAddress, (self.value,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EmailAddress) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"EmailAddress({self.value!r})"

    def __str__(self) -> str:
        return self.value


def _normalise_email(raw: str) -> str:
    if not isinstance(raw, str):
        raise errors.InvalidEmail(field="email")
    text = unicodedata.normalize("NFC", raw.strip())
    if has_control_characters(text) or text.count("@") != 1 or len(text) > _EMAIL_MAX:
        raise errors.InvalidEmail(field="email")
    local, domain = text.split("@")
    domain = _normalise_domain(domain)
    if not local or len(local) > _LOCAL_MAX or not _valid_local(local):
        raise errors.InvalidEmail(field="email")
    address = f"{local}@{domain}"
    if len(address) > _EMAIL_MAX:
        raise errors.InvalidEmail(field="email")
    return address


def _valid_local(local: str) -> bool:
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return _LOCAL_ATOM.fullmatch(local) is not None


def _normalise_domain(domain: str) -> str:
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise errors.InvalidEmail(field="email") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise errors.InvalidEmail(field="email")
    if labels[-1].isdigit():
        raise errors.InvalidEmail(field="email")
    return domain.lower() if domain.isascii() else _unicode_domain(ascii_domain)


def _unicode_domain(ascii_domain: str) -> str:
    return ascii_domain.encode("ascii").decode("idna")


def clean_name(raw: str, *, field_name: str) -> str:
    """A first or last name: trimmed, at most 30 characters, no control characters."""
    text = unicodedata.normalize("NFC", raw.strip())
    if len(text) > NAME_MAX or has_control_characters(text):
        raise errors.InvalidName(field=field_name)
    return text


@dataclass(frozen=True, slots=True)
class PasswordHash:
    """An opaque hash string; its repr never shows the value."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "PasswordHash(***)"
