"""The password policy: length, not all digits, not common, not like the account's names."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache
from importlib import resources

from domain import errors

MIN_LENGTH = 8
MAX_LENGTH = 128
MAX_SIMILARITY = 0.7


def check_password(
    password: str, *, username: str = "", email: str = "", field: str = "password"
) -> None:
    """Raise ``WeakPassword`` (about ``field``) naming the first rule the password breaks."""
    problem = password_problem(password, username=username, email=email)
    if problem:
        raise errors.WeakPassword(problem, field=field)


def password_problem(password: str, *, username: str = "", email: str = "") -> str | None:
    """The first rule the password breaks, as a sentence, or None when it passes."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.isdigit():
        return "Use more than digits alone."
    if password.casefold() in common_passwords():
        return "This password is too common."
    if _too_similar(password, username, email):
        return "This password is too similar to your username or e-mail address."
    return None


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, read once."""
    text = resources.files("domain").joinpath("data/common_passwords.txt").read_text("utf-8")
    lines = (line.strip().casefold() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _too_similar(password: str, *attributes: str) -> bool:
    secret = password.casefold()
    for attribute in filter(None, attributes):
        value = attribute.casefold()
        parts = {value, value.partition("@")[0], *re.split(r"\W+", value)}
        for part in filter(None, parts):
            if len(part) >= 3 and part in secret and len(part) * 2 >= len(secret):
                return True
            if SequenceMatcher(a=secret, b=part).quick_ratio() >= MAX_SIMILARITY and (
                SequenceMatcher(a=secret, b=part).ratio() >= MAX_SIMILARITY
            ):
                return True
    return False
