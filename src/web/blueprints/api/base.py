"""The JSON API's blueprint and the rules every API request follows."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from pydantic import BaseModel
from quart import Blueprint, current_app, request
from quart_schema import document_response
from quart_schema.openapi import OpenAPIProvider
from quart_schema.typing import Model
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.routing import BaseConverter, Rule, UUIDConverter

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


ADMINISTRATORS_ONLY = "_gatehouse_administrators_only"
ADMIN_NOTE = (
    "**Administrators only:** the signed-in account must hold the `admin` role; "
    "any other account gets a 403."
)
# What each problem status means wherever it is documented; `type` says which case.
PROBLEM_MEANINGS = {
    400: "The request was refused as sent: see the problem's `type` and `detail`.",
    401: "Not signed in: no valid bearer token or session cookie came with the request.",
    403: "The signed-in account may not do this.",
    404: "There is no such thing to act on.",
    409: "It clashes with what exists: see the problem's `type`.",
    413: "The body is larger than the server accepts (`MAX_BODY_BYTES`).",
    415: "The body is not `application/json`.",
    422: "A value does not fit: `errors` names each field that is wrong.",
    429: "Too many requests: try again after `Retry-After` seconds.",
}


PATH_PARAMETERS = {
    "user_id": "The account's `id`.",
    "session_id": "The session's `id`, from `GET /api/v1/sessions`.",
    "passkey_id": "The passkey's `id`, from the list of passkeys.",
    "role": "A role's name, in any letter case.",
    "token": "The last part of the reset link in the mail.",
    "invitation_id": "The invitation's `id`, from `GET /api/v1/admin/invitations`.",
}


MEANINGS = "_gatehouse_problem_meanings"


def meaning(status: int, text: str) -> Callable[[F], F]:
    """Say what ``status`` means for this operation, where the usual words would mislead
    (a 401 from a sign-in is no missing token)."""

    def decorate(view: F) -> F:
        setattr(view, MEANINGS, {**getattr(view, MEANINGS, {}), status: text})
        return view

    return decorate


def administrators_only(view: F) -> F:
    """Document that only administrators may call the operation: a 403 for everyone
    else, and a sentence in its description. (The use case checks the role itself.)"""
    setattr(view, ADMINISTRATORS_ONLY, True)
    return document_response(Problem, 403)(view)


class NoContent(BaseModel):
    """No content."""


def no_content(view: F) -> F:
    """Document the 204 an operation answers with when it succeeds."""
    return document_response(NoContent, 204)(view)


class ApiDocument(OpenAPIProvider):
    """quart-schema's document, saying what the API really sends: problems as
    ``application/problem+json`` (one shared schema), 204s without a body, and UUIDs
    in paths as UUIDs; each response described and listed in numeric order, and the
    operations for administrators saying so."""

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        paths, components = super().build_paths(rule)
        view = self._app.view_functions[rule.endpoint]
        for item in paths.values():
            for operation in item.values():
                admin = getattr(view, ADMINISTRATORS_ONLY, False)
                _describe(operation, admin=admin, meanings=getattr(view, MEANINGS, {}))
        return paths, components

    def build_response_object(
        self, model: type[Model], headers_model: type[Model] | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if model is NoContent:
            return {"description": "No content."}, {}
        response, components = super().build_response_object(model, headers_model)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            response["description"] = ""  # not ``list``'s docstring for a list[...]
        if model is Problem:
            components["Problem"] = response["content"].pop("application/json")["schema"]
            reference = {"$ref": "#/components/schemas/Problem"}
            response["content"][MEDIA_TYPE] = {"schema": reference}
        return response, components

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        parameter["description"] = PATH_PARAMETERS[name]
        if isinstance(converter, UUIDConverter):
            parameter["schema"] = {"type": "string", "format": "uuid"}
        return parameter


def _describe(operation: dict[str, Any], *, admin: bool, meanings: dict[int, str]) -> None:
    """The view's docstring after its first line is the description (quart-schema keeps
    the blank line between them); the responses by number, none without words."""
    parts = [operation.get("description", "").strip(), ADMIN_NOTE if admin else ""]
    operation["description"] = "\n\n".join(part for part in parts if part)
    operation["responses"] = {
        status: _response_described(int(status), response, meanings)
        for status, response in sorted(operation["responses"].items(), key=lambda kv: int(kv[0]))
    }


def _response_described(
    status: int, response: dict[str, Any], meanings: dict[int, str]
) -> dict[str, Any]:
    if status >= 400:
        usual = PROBLEM_MEANINGS.get(status, HTTPStatus(status).phrase)
        return {**response, "description": meanings.get(status, usual)}
    return {**response, "description": response.get("description") or HTTPStatus(status).phrase}
