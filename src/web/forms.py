"""Reading HTML forms into use-case commands, with messages a person can act on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from quart import request

from application.commands import NOT_TEXT
from domain import errors
from domain.values import has_control_characters

M = TypeVar("M", bound=BaseModel)
FieldErrors = dict[str, str]
REQUIRED = "This field is required."
SECRET_FIELDS = frozenset({"password", "confirm", "current_password", "new_password"})


async def read_form(fields: Iterable[str]) -> tuple[dict[str, str], FieldErrors]:
    """The named fields of the posted form, trimmed (passwords kept as typed), and
    an error for each one that holds control characters or undecodable bytes."""
    form = await request.form
    values: dict[str, str] = {}
    problems: FieldErrors = {}
    for name in fields:
        raw = form.get(name, "")
        value = raw if name in SECRET_FIELDS else raw.strip()
        if has_control_characters(value) or "\ufffd" in value:
            problems[name] = NOT_TEXT
        values[name] = value
    return values, problems


async def read_command(
    model: type[M], fields: tuple[str, ...], **extra: object
) -> tuple[M | None, FieldErrors]:
    """The command the posted ``fields`` (all required) make with ``extra``, or None, and
    every field's problem: missing, not text, or refused by the model."""
    values, problems = await read_form(fields)
    cmd, invalid = build(model, {**values, **extra})
    return cmd, required(values, fields) | invalid | problems


def build(model: type[M], values: Mapping[str, object]) -> tuple[M | None, FieldErrors]:
    """The command, or None and a message per field that pydantic refused."""
    try:
        return model.model_validate(dict(values)), {}
    except ValidationError as exc:
        problems: FieldErrors = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            problems.setdefault(field, _message(error["type"], error.get("ctx", {})))
        return None, problems


def field_error(error: errors.DomainError) -> FieldErrors:
    """The message of each field ``error`` names (several, for InvalidFields)."""
    if isinstance(error, errors.InvalidFields):
        return field_errors(error.problems)
    return {error.field or "form": error.message}


def field_errors(problems: Iterable[errors.DomainError]) -> FieldErrors:
    """One message per field, the first for each, so every field shows its own."""
    found: FieldErrors = {}
    for error in problems:
        found.setdefault(error.field or "form", error.message)
    return found


def required(values: Mapping[str, str], names: Iterable[str]) -> FieldErrors:
    """A message for each named field left empty (the commands accept empty text where
    the use case decides, such as a code that is simply wrong)."""
    return {name: REQUIRED for name in names if not values.get(name)}


def kept(values: Mapping[str, str]) -> dict[str, str]:
    """What to put back into the form: everything typed except secrets."""
    return {key: value for key, value in values.items() if key not in SECRET_FIELDS}


def _message(kind: str, ctx: Mapping[str, object]) -> str:
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return REQUIRED
    if kind == "string_too_short":
        return f"Use at least {ctx.get('min_length')} characters."
    if kind == "string_too_long":
        return f"Use at most {ctx.get('max_length')} characters."
    if kind == "missing":
        return REQUIRED
    return "This value is not valid."


def confirm_matches(values: Mapping[str, str], problems: FieldErrors, field: str) -> None:
    """Add a ``confirm`` error when it differs from ``field`` (and ``field`` is fine)."""
    if field not in problems and values.get("confirm") != values.get(field):
        problems["confirm"] = "The passwords do not match."
