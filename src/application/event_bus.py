"""An in-process event bus: handlers subscribe by event type and run after a commit."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

from domain import events

Handler = Callable[[events.Event], Awaitable[None]]
logger = logging.getLogger(__name__)


class EventBus:
    def __init__(self) -> None:
        self._handlers: defaultdict[type[events.Event], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[events.Event], handler: Handler) -> None:
        self._handlers[event_type].append(handler)

    async def publish(self, published: Iterable[events.Event]) -> None:
        """Run every handler of every event; a failing handler is logged, not raised,
        because the change it reacts to is already committed."""
        for event in published:
            for handler in self._handlers_for(type(event)):
                try:
                    await handler(event)
                except Exception:
                    logger.exception("handler %r failed for %r", handler, event)

    def _handlers_for(self, event_type: type[events.Event]) -> list[Handler]:
        return [handler for kind in event_type.__mro__ for handler in self._handlers.get(kind, [])]
