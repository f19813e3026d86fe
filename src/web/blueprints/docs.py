"""``/docs``: the API reference, rendered here from the OpenAPI document (no CDN, no JS)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, ResponseReturnValue, current_app, render_template

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
    return await render_template("docs.html", schema=schema, operations=operations)
