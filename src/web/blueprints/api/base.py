"""The JSON API's blueprint and the rules every API request follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from quart import Blueprint, current_app, request
from quart_schema import document_response
from werkzeug.exceptions import UnsupportedMediaType

from web.auth import by_bearer
from web.problems import Problem

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., object])
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
COOKIES = ("gatehouse_session", "gatehouse_auth")


@blueprint.before_request
async def api_rules() -> None:
    """JSON bodies only; and a browser's cookie-authenticated change needs the CSRF
    header (a bearer token is never sent by a browser on its own, so it needs none)."""
    if request.method not in CHANGING:
        return
    if request.mimetype and not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.")
    if not by_bearer() and any(name in request.cookies for name in COOKIES):
        await current_app.extensions["csrf"].protect()


def problems(*statuses: int) -> Callable[[F], F]:
    """Document the problem responses an operation can give, for the OpenAPI document."""

    def decorate(view: F) -> F:
        for status in statuses:
            view = document_response(Problem, status)(view)
        return view

    return decorate
