"""An in-process event bus: handlers subscribe by event type and run after a commit."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

from domain import events

Handler = Callable[[events.Event], Awaitable[None]]
logger = logging.getLogger(__name__)


class EventBus:
    """Foreground handlers finish before ``publish`` returns; background handlers (mail,
    say) run as tasks, so the request that caused them does not wait for them."""

    def __init__(self) -> None:
        self._handlers: defaultdict[type[events.Event], list[tuple[Handler, bool]]] = defaultdict(
            list
        )
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribe(
        self, event_type: type[events.Event], handler: Handler, *, background: bool = False
    ) -> None:
        self._handlers[event_type].append((handler, background))

    async def publish(self, published: Iterable[events.Event]) -> None:
        """Run every handler of every event; a failing handler is logged, not raised,
        because the change it reacts to is already committed."""
        for event in published:
            for handler, background in self._handlers_for(type(event)):
                if background:
                    task = asyncio.create_task(self._run(handler, event))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                else:
                    await self._run(handler, event)

    async def drain(self) -> None:
        """Wait for the background handlers started so far (at shutdown, and in tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    async def _run(self, handler: Handler, event: events.Event) -> None:
        try:
            await handler(event)
        except Exception:
            logger.exception("handler %r failed for %r", handler, event)

    def _handlers_for(self, event_type: type[events.Event]) -> list[tuple[Handler, bool]]:
        return [entry for kind in event_type.__mro__ for entry in self._handlers.get(kind, [])]
