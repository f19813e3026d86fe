"""Probes for load balancers and orchestrators."""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue

from web.runtime import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
async def alive() -> ResponseReturnValue:
    """The process answers; says nothing about its dependencies."""
    return {"status": "ok"}


@blueprint.get("/readyz")
async def ready() -> ResponseReturnValue:
    """Ready for traffic: the database (and Redis, when configured) answer in time;
    otherwise 503 naming what did not."""
    state = await services().check_ready()
    body: dict[str, str] = {name: "ok" if up else "unreachable" for name, up in state.items()}
    if all(state.values()):
        return {"status": "ready", **body}
    return {"status": "unavailable", **body}, 503
