"""One table from errors to responses: styled status pages for people."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from pydantic import ValidationError
from quart import Quart, Response, current_app, g, request
from quart_schema import RequestSchemaValidationError
from quart_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from domain import errors
from web.client import client
from web.problems import from_domain_error, from_validation_error, problem, wants_problem
from web.rendering import render
from web.runtime import services
from web.throttling import OncePerWindow, Throttled
from web.waits import try_again

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorPage:
    title: str
    message: str


PAGES: dict[int, ErrorPage] = {
    400: ErrorPage("Bad request", "The request could not be understood. Go back and try again."),
    401: ErrorPage("Please sign in", "You need to be signed in to see this page."),
    403: ErrorPage("Forbidden", "Your account is not allowed to see this page."),
    404: ErrorPage("Page not found", "There is nothing at this address."),
    405: ErrorPage("Method not allowed", "This page cannot be used that way."),
    409: ErrorPage("Conflict", "That clashes with something that already exists."),
    413: ErrorPage("Too large", "What you sent is larger than this site accepts."),
    422: ErrorPage("Not valid", "Some of what you sent is not valid."),
    429: ErrorPage("Too many requests", "Please wait a moment before trying again."),
    500: ErrorPage("Something went wrong", "We could not complete that. Please try again."),
    503: ErrorPage("Briefly unavailable", "The service is busy or restarting. Try again soon."),
}

TOO_MANY_ATTEMPTS = "Too many attempts"

# Headers of an HTTP error worth passing on: what is allowed, and when to come back.
KEPT_HEADERS = frozenset({"Allow", "Retry-After"})

CSRF_API_MESSAGE = (
    "Send the CSRF token from GET /api/v1/csrf-token in an X-CSRFToken header, or "
    "authenticate with a bearer token instead of the cookie."
)
CSRF_MESSAGE = (
    "The form had expired or did not come from this site. Reload the page and send it again."
)

# Domain errors by the status they answer with; the nearest class in the MRO wins.
DOMAIN_STATUS: dict[type[errors.DomainError], int] = {
    errors.DomainError: 400,
    errors.ValidationFailed: 422,
    errors.Conflict: 409,
    errors.InvalidCredentials: 400,
    errors.InvalidChallenge: 401,  # the password step must be done again
    errors.InactiveUser: 403,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.ServiceUnavailable: 503,
    errors.TooManyAttempts: 429,
}


def status_for(error: errors.DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in DOMAIN_STATUS:
            return DOMAIN_STATUS[kind]
    raise LookupError(type(error))


async def error_page(
    status: int,
    message: str | None = None,
    *,
    title: str | None = None,
    wait: int | None = None,
    reset_link: bool = False,
) -> Response:
    """The styled page for ``status``; ``wait`` says in words when to try again, and
    ``reset_link`` offers a new password by mail (which also lifts an account's lock)."""
    page = PAGES.get(status, PAGES[500])
    body = await render(
        "errors/error.html",
        status=status,
        title=title or page.title,
        message=message or page.message,
        wait=None if wait is None else try_again(wait),
        reset_link=reset_link,
    )
    response = Response(body, status=status)
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


THROTTLE_AUDIT = "gatehouse.throttle_audit"


async def _audit_throttled() -> None:
    """Log every rejection; store the first per address and page each minute."""
    endpoint, who = request.endpoint or request.path, client()
    logger.warning("rate limit exceeded on %s by %s", endpoint, who.ip)
    once: OncePerWindow = current_app.extensions[THROTTLE_AUDIT]
    if once.first(f"{who.ip}|{endpoint}"):
        try:
            await services().record_throttled_request(endpoint, who, _viewer_id())
        except errors.DomainError:
            logger.exception("could not record a throttled request")


def _viewer_id() -> UUID | None:
    viewer = getattr(g, "viewer", None)
    return None if viewer is None else viewer.id


def register_error_handlers(app: Quart) -> None:
    app.extensions[THROTTLE_AUDIT] = OncePerWindow(60)

    @app.errorhandler(CSRFError)
    async def csrf_failed(error: CSRFError) -> Response:
        if wants_problem():
            return problem(400, CSRF_API_MESSAGE, code="csrf_failed")
        return await error_page(400, CSRF_MESSAGE)

    @app.errorhandler(RequestSchemaValidationError)
    async def invalid_request(error: RequestSchemaValidationError) -> Response:
        if wants_problem():
            return from_validation_error(error.validation_error)
        return await error_page(422)

    @app.errorhandler(ValidationError)
    async def invalid_command(error: ValidationError) -> Response:
        """A command built from checked input can still refuse it (an empty address, a
        name too long once normalised): that is bad input, never a 500."""
        if wants_problem():
            return from_validation_error(error)
        return await error_page(422)

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if error.code == 429:
            await _audit_throttled()
        kept = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
        if wants_problem():
            if status == 401:
                kept["WWW-Authenticate"] = 'Bearer realm="gatehouse"'
            return problem(status, error.description or _detail(error), headers=kept)
        if isinstance(error, Throttled):
            response = await error_page(status, error.why, wait=error.wait)
        else:  # werkzeug's descriptions are not written for people
            response = await error_page(status)
        response.headers.update(kept)
        return response

    @app.errorhandler(errors.DomainError)
    async def domain_error(error: errors.DomainError) -> Response:
        status = status_for(error)
        if wants_problem():
            return from_domain_error(error, status)
        if isinstance(error, errors.TooManyAttempts):
            response = await error_page(
                status,
                error.message,
                title=TOO_MANY_ATTEMPTS,
                wait=error.retry_after,
                reset_link=isinstance(error, errors.AccountLocked),
            )
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        return await error_page(status, error.message if status != 503 else None)

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        if wants_problem():
            return problem(500, "Something went wrong on our side. Please try again.")
        return await error_page(500)


def _detail(error: HTTPException) -> str:
    """The page's message for the status, in the words of the HTML pages."""
    page = PAGES.get(error.code or 500)
    return page.message if page else (error.description or "")
