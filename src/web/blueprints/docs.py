"""``/docs``: the API reference, rendered here from the OpenAPI document (no CDN, no JS)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, ResponseReturnValue, current_app

from web.rendering import render

blueprint = Blueprint("docs", __name__)
METHODS = ("get", "post", "put", "patch", "delete")


@blueprint.get("/docs")
async def reference() -> ResponseReturnValue:
    schema: dict[str, Any] = current_app.extensions["QUART_SCHEMA"].openapi_provider.schema()
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, item in sorted(schema.get("paths", {}).items())
        for method, operation in item.items()
        if method in METHODS
    ]
    return await render("docs.html", schema=schema, operations=operations)
