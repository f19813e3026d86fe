"""RFC 9457 problem details: the one shape of every error a program gets from us."""

from __future__ import annotations

import json
from datetime import datetime
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from quart import Quart, Request, Response, request
from quart.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from domain import errors
from web.waits import try_again

MEDIA_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error: ``type`` is stable per kind of error and never changes meaning."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None
    challenge: str | None = Field(
        default=None,
        description="Only in `/problems/two-factor-required`: send it with a code to "
        "`POST /api/v1/sessions/two-factor`. Single-use.",
    )
    expires_at: datetime | None = Field(
        default=None,
        description="Only in `/problems/two-factor-required`: when `challenge` stops working.",
    )


def wants_problem() -> bool:
    """API paths always; elsewhere when the client prefers JSON to HTML."""
    if request.path.startswith("/api/"):
        return True
    accepted = request.accept_mimetypes
    best = accepted.best_match(["text/html", "application/json", MEDIA_TYPE])
    return best in {"application/json", MEDIA_TYPE} and accepted[best] > accepted["text/html"]


def problem_type(code: str) -> str:
    return f"/problems/{code.replace('_', '-')}"


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    field_errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
    challenge: str | None = None,
    expires_at: datetime | None = None,
) -> Response:
    """A problem+json answer; ``challenge`` and ``expires_at`` only for a sign-in that
    still owes a second factor."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = Problem(
        type=problem_type(code) if code else "about:blank",
        title=phrase if code is None else code.replace("_", " ").capitalize(),
        status=status,
        detail=detail,
        errors=field_errors,
        challenge=challenge,
        expires_at=expires_at,
    )
    # A final newline, as every other JSON answer has: curl's output ends its line.
    text = body.model_dump_json(exclude_none=True) + "\n"
    response = Response(text, status=status, content_type=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def from_domain_error(error: errors.DomainError, status: int) -> Response:
    named = error.problems if isinstance(error, errors.InvalidFields) else (error,)
    fields = [FieldProblem(field=e.field, message=e.message) for e in named if e.field] or None
    headers = {}
    if isinstance(error, errors.TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, errors.ServiceUnavailable):
        headers["Retry-After"] = "5"
    return problem(status, detail_of(error), code=error.code, field_errors=fields, headers=headers)


def detail_of(error: errors.DomainError) -> str:
    """The error's message; a refusal to try again says when, in words."""
    if isinstance(error, errors.TooManyAttempts):
        return f"{error.message} {try_again(error.retry_after)}"
    return error.message


def from_validation_error(error: Exception) -> Response:
    """422 naming each field that did not fit the request model."""
    fields: list[FieldProblem] = []
    if isinstance(error, ValidationError):
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or "body"
            fields.append(FieldProblem(field=where, message=item["msg"]))
    else:
        fields.append(FieldProblem(field="body", message="Send a JSON object."))
    return problem(
        422,
        "The request does not fit the expected shape.",
        code="validation_failed",
        field_errors=fields,
    )


class StrictJSONProvider(DefaultJSONProvider):
    """JSON in that the standard parser would quietly accept: duplicate keys (which one
    wins?), and nesting deep enough to exhaust the stack. Both become a 400."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("object_pairs_hook", _no_duplicates)
        try:
            return json.loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


class StrictRequest(Request):
    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        # Quart decodes the body as UTF-8 before its parse-error handling: a body that is
        # not UTF-8 would escape as a UnicodeDecodeError (a 500) instead of a 400.
        try:
            return await super().get_json(force=force, silent=silent, cache=cache)
        except UnicodeDecodeError as error:
            return None if silent else self.on_json_loading_failed(error)

    def on_json_loading_failed(self, error: Exception) -> Any:
        raise BadRequest(f"The body is not valid JSON: {error}")


def use_strict_json(app: Quart) -> None:
    """Keep the provider's encoding (quart-schema's) and make decoding strict."""
    encoder = app.json

    class Provider(StrictJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return encoder.dumps(obj, **kwargs)

        def response(self, *args: Any, **kwargs: Any) -> Response:
            return encoder.response(*args, **kwargs)  # type: ignore[return-value]

    app.json = Provider(app)
    app.request_class = StrictRequest
