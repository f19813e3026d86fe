"""Access to the application's services from inside a request."""

from __future__ import annotations

from typing import cast

from quart import current_app

from application.services import Services

SERVICES = "gatehouse.services"
RUNTIME = "gatehouse.runtime"  # what serving built (web.bootstrap.Runtime), when it did


def services() -> Services:
    return cast(Services, current_app.extensions[SERVICES])
