"""Small builders shared by the application unit tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from application.commands import Actor, Client, CreateUser, RegisterUser, SignIn
from application.results import UserDetail

PASSWORD = "correct horse battery staple"
WRONG = "wrong horse battery staple"
NEW_PASSWORD = "a brand new secret phrase"
CLIENT = Client(ip="203.0.113.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")

SignUp = Callable[..., Awaitable[UserDetail]]


def registration(
    username: str = "alice", email: str | None = None, password: str = PASSWORD
) -> RegisterUser:
    """A valid sign-up for ``username``, with ``username@example.com`` unless told."""
    return RegisterUser(
        username=username, email=email or f"{username}@example.com", password=password
    )


def credentials(
    login: str = "alice", password: str = PASSWORD, *, remember: bool = False
) -> SignIn:
    """A sign-in as ``login`` from ``CLIENT``."""
    return SignIn(login=login, password=password, remember=remember, client=CLIENT)


def admin_creation(username: str = "root") -> CreateUser:
    """An operator's creation of ``username`` holding the built-in admin role."""
    return CreateUser(**registration(username).model_dump(), roles=frozenset({"admin"}))


def acting(user: UserDetail, client: Client = CLIENT) -> Actor:
    """``user`` acting from ``client``."""
    return Actor(user_id=user.id, name=user.username, client=client)
