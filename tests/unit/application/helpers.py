"""Small builders shared by the application unit tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from application.commands import RegisterUser
from application.results import UserDetail

PASSWORD = "correct horse battery staple"

SignUp = Callable[..., Awaitable[UserDetail]]


def registration(
    username: str = "alice", email: str | None = None, password: str = PASSWORD
) -> RegisterUser:
    """A valid sign-up for ``username``, with ``username@example.com`` unless told."""
    return RegisterUser(
        username=username, email=email or f"{username}@example.com", password=password
    )
