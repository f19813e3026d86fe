"""Secrets encrypted at rest with Fernet, under a list of keys for rotation."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from domain.ports import SecretBox


def new_key() -> str:
    """A fresh Fernet key: 32 random bytes, URL-safe base64."""
    return Fernet.generate_key().decode("ascii")


def is_key(text: str) -> bool:
    try:
        Fernet(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    return True


class FernetSecretBox(SecretBox):
    """The first key encrypts, every key decrypts (MultiFernet)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError("no configured key opens this secret") from None

    def rotate(self, token: str) -> str:
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise ValueError("no configured key opens this secret") from None
