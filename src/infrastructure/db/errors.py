"""Driver errors turned into domain errors, so nothing below the application leaks up,
and into words for the operator when the database cannot be used at all."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from sqlalchemy import exc

from domain import errors

# Unique keys by the column that carries them; SQLite names the column, PostgreSQL the
# constraint (uq_users_username_key), and both messages contain these words.
_UNIQUE_KEYS: tuple[tuple[str, type[errors.DomainError], str], ...] = (
    ("username_key", errors.UsernameTaken, "username"),
    ("email_key", errors.EmailTaken, "email"),
    ("roles_name", errors.RoleAlreadyExists, "name"),
    ("roles.name", errors.RoleAlreadyExists, "name"),
    # A second factor per account: two set-ups confirmed at once.
    ('"pk_two_factor"', errors.TwoFactorAlreadyEnabled, "code"),
    ("two_factor.user_id", errors.TwoFactorAlreadyEnabled, "code"),
    # The same passkey added twice at once.
    ("passkeys_credential_id", errors.InvalidPasskey, "answer"),
    ("passkeys.credential_id", errors.InvalidPasskey, "answer"),
)

_UNREACHABLE = (exc.OperationalError, exc.InterfaceError, OSError, TimeoutError)
# SQLSTATEs of a server that is there but will not serve now: connection exceptions
# (08), too many connections (53300), and operator intervention (57P: shutting down,
# starting up, crash recovery). asyncpg's errors for them reach SQLAlchemy as plain
# DBAPIErrors, with no sign that the database is what is missing.
_UNAVAILABLE_STATES = ("08", "53300", "57P")


def domain_error_for(error: BaseException) -> errors.DomainError | None:
    """The domain error a driver error means, or None when it means none."""
    if isinstance(error, exc.IntegrityError):
        message = str(error.orig)
        for marker, error_type, field in _UNIQUE_KEYS:
            if marker in message:
                return error_type(field=field)
        return None
    if isinstance(error, _UNREACHABLE):
        return errors.ServiceUnavailable()
    if isinstance(error, exc.DBAPIError) and (
        error.connection_invalidated or _sqlstate(error).startswith(_UNAVAILABLE_STATES)
    ):
        return errors.ServiceUnavailable()
    return None


def _sqlstate(error: exc.DBAPIError) -> str:
    """The SQLSTATE of the driver's error (SQLAlchemy's adapter or asyncpg's own, which
    it wraps), or "" when there is none."""
    for cause in (error.orig, getattr(error.orig, "__cause__", None)):
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
    return ""


@asynccontextmanager
async def translated() -> AsyncIterator[None]:
    """Re-raise driver errors that mean something to the domain as domain errors."""
    try:
        yield
    except Exception as error:
        mapped = domain_error_for(error)
        if mapped is None:
            raise
        raise mapped from error


# SQLSTATE of a missing table on PostgreSQL; SQLite says "no such table" in words.
_UNDEFINED_TABLE = "42P01"
NOT_MIGRATED = "it has no tables yet (run `gatehouse db upgrade` first)"


def database_problem(error: BaseException) -> str | None:
    """Why the database could not be used, in a few words an operator can act on
    ("nothing answers there (connection refused)", 'database "shop" does not exist'),
    or None when ``error`` did not come from the database. Looks through the domain
    error a driver error became (``ServiceUnavailable``) to the driver error itself."""
    for cause in _causes(error):
        if isinstance(cause, exc.DBAPIError):
            return _driver_problem(cause)
        if isinstance(cause, OSError | TimeoutError):
            return _network_problem(cause)
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what it was raised from, deepest last (only explicit causes: an
    error met while handling another is not explained by it)."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = seen.__cause__


def _driver_problem(error: exc.DBAPIError) -> str:
    words = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
    if _sqlstate(error) == _UNDEFINED_TABLE or words.startswith("no such table"):
        return NOT_MIGRATED
    for cause in _causes(error):
        if isinstance(cause, OSError | TimeoutError):
            return _network_problem(cause)
    return words or type(error.orig).__name__


def _network_problem(error: OSError | TimeoutError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "nothing answers there (connection refused)"
    if isinstance(error, socket.gaierror):
        return "its host name is unknown"
    if isinstance(error, TimeoutError):
        return "it did not answer in time"
    return error.strerror or str(error) or type(error).__name__
