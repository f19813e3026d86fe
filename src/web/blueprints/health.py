"""Probes for load balancers and orchestrators."""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue

from domain import errors
from web.runtime import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
async def alive() -> ResponseReturnValue:
    """The process answers; says nothing about its dependencies."""
    return {"status": "ok"}


@blueprint.get("/readyz")
async def ready() -> ResponseReturnValue:
    """Ready for traffic: the database answers."""
    try:
        await services().check_ready()
    except errors.ServiceUnavailable:
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ready", "database": "ok"}
