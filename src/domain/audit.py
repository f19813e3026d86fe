"""The audit trail: one entry per security-relevant event, with who, whom and from where."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain import events

DETAIL_MAX = 200


@dataclass(frozen=True, slots=True)
class AuditEntry:
    occurred_at: datetime
    event_type: str
    user_id: UUID | None
    actor_id: UUID | None
    ip: str | None
    details: dict[str, str]
    id: UUID = field(default_factory=uuid.uuid4)

    @classmethod
    def of(
        cls,
        event: events.Event,
        *,
        actor_id: UUID | None = None,
        ip: str | None = None,
        by: str | None = None,
    ) -> AuditEntry:
        """The entry for ``event``; the subject is its ``user_id`` and, unless someone
        else acted, the subject acted on itself. ``by`` names an actor with no account
        (the command line), so with it the actor id stays None."""
        values = dataclasses.asdict(event)
        values.pop("occurred_at")
        user_id = values.pop("user_id", None)
        details = {k: str(v)[:DETAIL_MAX] for k, v in values.items() if v is not None}
        if by is not None:
            details["by"] = by
        return cls(
            occurred_at=event.occurred_at,
            event_type=type(event).__name__,
            user_id=user_id,
            actor_id=actor_id or (user_id if by is None else None),
            ip=ip,
            details=details,
        )
