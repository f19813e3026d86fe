"""The bare Quart baseline: the framework's own ceiling, one route that answers hello."""

from __future__ import annotations

from quart import Quart

app = Quart(__name__)


@app.get("/")
async def hello() -> str:
    return "Hello, World!"
