"""Driver errors that mean "the database is not serving now" become ServiceUnavailable
(a 503), whichever way SQLAlchemy wraps them; others keep their meaning or none."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc

from domain import errors
from infrastructure.db.errors import domain_error_for


class AdapterError(Exception):
    """Stands where SQLAlchemy's asyncpg adapter puts its own error, the driver's as cause."""


def wrapped(driver_error: Exception, *, via_adapter: bool) -> exc.DBAPIError:
    orig: Exception = driver_error
    if via_adapter:
        orig = AdapterError(str(driver_error))
        orig.__cause__ = driver_error
    return exc.DBAPIError("SELECT 1", None, orig)


UNAVAILABLE = [
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CrashShutdownError("terminating connection because of crash"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
]


@pytest.mark.parametrize("via_adapter", [False, True], ids=["bare", "adapted"])
@pytest.mark.parametrize("driver_error", UNAVAILABLE, ids=lambda e: type(e).__name__)
def test_a_database_that_will_not_serve_now_is_unavailable(
    driver_error: Exception, via_adapter: bool
) -> None:
    mapped = domain_error_for(wrapped(driver_error, via_adapter=via_adapter))
    assert isinstance(mapped, errors.ServiceUnavailable)


@pytest.mark.parametrize(
    "driver_error",
    [
        asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence"),
        asyncpg.exceptions.UndefinedTableError("relation does not exist"),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to user request"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_other_driver_errors_are_not_taken_for_an_outage(driver_error: Exception) -> None:
    assert domain_error_for(wrapped(driver_error, via_adapter=True)) is None
