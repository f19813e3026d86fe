"""The Role aggregate and its name rules."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain import errors, events
from domain.values import has_control_characters

ADMIN = "admin"
DESCRIPTION_MAX = 200
_ROLE_NAME = re.compile(r"[A-Za-z0-9._-]{3,25}")


def role_name(raw: str) -> str:
    """A role name in its canonical lower-case form; names compare case-insensitively."""
    if not isinstance(raw, str) or not _ROLE_NAME.fullmatch(raw.strip()):
        raise errors.InvalidRoleName(field="name")
    return raw.strip().lower()


def clean_description(raw: str) -> str:
    text = raw.strip()
    if len(text) > DESCRIPTION_MAX or has_control_characters(text):
        raise errors.ValidationFailed(
            f"Descriptions are at most {DESCRIPTION_MAX} characters of ordinary text.",
            field="description",
        )
    return text


@dataclass(eq=False)
class Role:
    name: str
    description: str
    created_at: datetime
    id: UUID = field(default_factory=uuid.uuid4)
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def create(cls, name: str, description: str, *, now: datetime) -> Role:
        role = cls(name=role_name(name), description=clean_description(description), created_at=now)
        role.events.append(
            events.RoleCreated(occurred_at=now, role=role.name, description=role.description)
        )
        return role

    @property
    def built_in(self) -> bool:
        return self.name == ADMIN

    def describe(self, description: str, *, now: datetime) -> None:
        text = clean_description(description)
        if text != self.description:
            self.description = text
            self.events.append(
                events.RoleDescribed(occurred_at=now, role=self.name, description=text)
            )

    def delete(self, *, members: int, now: datetime) -> None:
        """Record the deletion; refused for the built-in role and for a role in use."""
        if self.built_in or members:
            raise errors.RoleInUse()
        self.events.append(events.RoleDeleted(occurred_at=now, role=self.name))
