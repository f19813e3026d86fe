"""Probes for load balancers and orchestrators."""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue

from web import drain
from web.runtime import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
async def alive() -> ResponseReturnValue:
    """The process answers; says nothing about its dependencies."""
    return {"status": "ok"}


@blueprint.get("/readyz")
async def ready() -> ResponseReturnValue:
    """Ready for traffic while the database answers in time: 503 when it does not, or
    while the process drains before stopping. Redis not answering leaves it ready
    (200, ``degraded``, naming Redis): every request is then served from in-process
    state, and failing readiness would turn a Redis outage into a full outage."""
    state = await services().check_ready()
    body: dict[str, str] = {name: "ok" if up else "unreachable" for name, up in state.items()}
    if drain.draining():
        return {"status": "draining", **body}, 503
    if not state.get("database", False):
        return {"status": "unavailable", **body}, 503
    return {"status": "ready" if all(state.values()) else "degraded", **body}
