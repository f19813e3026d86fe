"""The ASGI entry point: ``hypercorn web.asgi:app``."""

from __future__ import annotations

from web.cli import app_from_environment

app = app_from_environment()
