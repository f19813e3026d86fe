"""Stopping without dropping requests: on SIGTERM the process first says it is not ready
(so a load balancer sends new traffic elsewhere) while still serving, then stops."""

from __future__ import annotations

import asyncio
import logging
import signal

from quart import Quart, current_app

logger = logging.getLogger(__name__)

DRAINING = "gatehouse.draining"


def draining() -> bool:
    """True once the serving process was told to stop and is draining."""
    return bool(current_app.extensions.get(DRAINING, False))


async def drained(app: Quart, seconds: float) -> None:
    """hypercorn's shutdown trigger: return (so hypercorn stops accepting and finishes
    what is in flight) ``seconds`` after SIGTERM or SIGINT, failing ``/readyz`` meanwhile."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for each in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(each, stop.set)
    await stop.wait()
    app.extensions[DRAINING] = True
    logger.info("Stopping: /readyz fails for %s s, then in-flight requests finish", seconds)
    await asyncio.sleep(seconds)
