"""The JSON API's blueprint and the rules every API request follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from quart import Blueprint, current_app, request
from quart_schema import document_response
from quart_schema.openapi import OpenAPIProvider
from quart_schema.typing import Model
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.routing import BaseConverter, UUIDConverter

from web.auth import by_bearer
from web.problems import MEDIA_TYPE, Problem

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
        for status in {*statuses, 429}:  # every route has a per-address limit
            view = document_response(Problem, status)(view)
        return view

    return decorate


class NoContent(BaseModel):
    """No content."""


def no_content(view: F) -> F:
    """Document the 204 an operation answers with when it succeeds."""
    return document_response(NoContent, 204)(view)


class ApiDocument(OpenAPIProvider):
    """quart-schema's document, saying what the API really sends: problems as
    ``application/problem+json`` (one shared schema), 204s without a body, and UUIDs
    in paths as UUIDs."""

    def build_response_object(
        self, model: type[Model], headers_model: type[Model] | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if model is NoContent:
            return {"description": "No content."}, {}
        response, components = super().build_response_object(model, headers_model)
        if model is Problem:
            components["Problem"] = response["content"].pop("application/json")["schema"]
            reference = {"$ref": "#/components/schemas/Problem"}
            response["content"][MEDIA_TYPE] = {"schema": reference}
        return response, components

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, UUIDConverter):
            parameter["schema"] = {"type": "string", "format": "uuid"}
        return parameter
