"""``/docs``: the API reference, rendered here from the OpenAPI document (no CDN, no JS):
each operation's Markdown description, its parameters and body fields with their types,
limits and examples, and its responses."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, replace
from typing import Any

from markdown_it import MarkdownIt
from quart import Blueprint, ResponseReturnValue, current_app

from web.rendering import render

blueprint = Blueprint("docs", __name__)
METHODS = ("get", "post", "put", "patch", "delete")
# CommonMark without raw HTML: a description is text to show, never markup to trust.
MARKDOWN = MarkdownIt("commonmark", {"html": False})

Schema = dict[str, Any]


@dataclass(frozen=True)
class Field:
    """A body field or a parameter as the reference shows it; texts already HTML."""

    name: str
    type: str
    required: bool
    rules: str
    description: str
    example: str | None


@dataclass(frozen=True)
class Response:
    status: int
    description: str


@blueprint.get("/docs")
async def reference() -> ResponseReturnValue:
    schema: Schema = current_app.extensions["QUART_SCHEMA"].openapi_provider.schema()
    operations = [
        operation_view(schema, method, path, operation)
        for path, item in sorted(schema.get("paths", {}).items())
        for method, operation in item.items()
        if method in METHODS
    ]
    return await render("docs.html", schema=schema, operations=operations)


def operation_view(document: Schema, method: str, path: str, operation: Schema) -> Schema:
    """What the template shows of one operation."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return {
        "id": operation.get("operationId") or f"{method}{path}",
        "method": method.upper(),
        "path": path,
        "path_html": "/<wbr>".join(html.escape(part) for part in path.split("/")),
        "summary": operation.get("summary", ""),
        "description": MARKDOWN.render(operation.get("description", "")),
        "signed_in": bool(operation.get("security")),
        "parameters": [parameter(document, each) for each in operation.get("parameters", [])],
        "body": fields(document, body["schema"]) if body else [],
        "responses": [
            Response(int(status), MARKDOWN.renderInline(response.get("description", "")))
            for status, response in operation["responses"].items()  # ordered by ApiDocument
        ],
    }


def parameter(document: Schema, found: Schema) -> Field:
    """A path or query parameter (quart-schema moves its description out of its schema)."""
    schema = {**found.get("schema", {}), "description": found.get("description", "")}
    field = field_of(document, found["name"], schema, required=found.get("required", False))
    where = "path" if found.get("in") == "path" else "query"
    return replace(field, type=f"{field.type}, in the {where}")


def fields(document: Schema, body: Schema) -> list[Field]:
    schema = resolved(document, body)
    required = set(schema.get("required", []))
    return [
        field_of(document, name, each, required=name in required)
        for name, each in schema.get("properties", {}).items()
    ]


def field_of(document: Schema, name: str, schema: Schema, *, required: bool) -> Field:
    examples = schema.get("examples") or []
    return Field(
        name=name,
        type=type_of(document, schema),
        required=required,
        rules=rules_of(schema, required=required),
        description=MARKDOWN.renderInline(schema.get("description", "")),
        example=json.dumps(examples[0], ensure_ascii=False) if examples else None,
    )


def type_of(document: Schema, schema: Schema) -> str:
    """``string``, ``string (uuid)``, ``integer or null``, ``array of RoleSummary``..."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        kinds = [type_of(document, each) for each in schema["anyOf"]]
        return " or ".join(sorted(kinds, key=lambda kind: kind == "null"))
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"array of {type_of(document, schema.get('items', {}))}"
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def rules_of(schema: Schema, *, required: bool) -> str:
    """The limits in words: ``1 to 254 characters``, ``At most 30 characters``,
    ``1 to 100; default: 20``."""
    bounds = _bounds(schema)
    for each in schema.get("anyOf", []):
        bounds = bounds or _bounds(each)
    parts = [bounds] if bounds else []
    if not required and schema.get("default") not in (None, ""):
        parts.append(f"default: {json.dumps(schema['default'])}")
    said = "; ".join(parts)
    return said[:1].upper() + said[1:]


def _bounds(schema: Schema) -> str:
    for low, high, unit in (("minLength", "maxLength", " characters"), ("minimum", "maximum", "")):
        if low in schema and high in schema:
            return f"{schema[low]} to {schema[high]}{unit}"
        if high in schema:
            return f"at most {schema[high]}{unit}"
        if low in schema:
            return f"at least {schema[low]}{unit}"
    return ""


def resolved(document: Schema, schema: Schema) -> Schema:
    """Follow a local ``$ref`` (``#/components/schemas/Name``) to the schema it names."""
    while "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        schema = document.get("components", {}).get("schemas", {}).get(name, {})
    return schema
