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
    what is in flight) ``seconds`` after SIGTERM, failing ``/readyz`` meanwhile; at
    once on SIGINT (Ctrl-C at a terminal), or on a second signal."""
    received: asyncio.Queue[signal.Signals] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    for each in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(each, received.put_nowait, each)
    if await received.get() == signal.SIGINT or seconds <= 0:
        return
    app.extensions[DRAINING] = True
    logger.info(
        "SIGTERM: /readyz fails for %s s while serving, then in-flight requests finish", seconds
    )
    try:
        async with asyncio.timeout(seconds):
            await received.get()
    except TimeoutError:
        return
