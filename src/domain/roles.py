"""The Role aggregate and its name rules."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain import errors
from domain.values import has_control_characters

ADMIN = "admin"
DESCRIPTION_MAX = 200
_ROLE_NAME = re.compile(r"[A-Za-z0-9._-]{3,25}")


def role_name(raw: str) -> str:
    """A role name in its canonical lower-case form; names compare case-insensitively."""
    if not isinstance(raw, str) or not _ROLE_NAME.fullmatch(raw.strip()):
        raise errors.InvalidRoleName(field="name")
    return raw.strip().lower()


@dataclass(eq=False)
class Role:
    name: str
    description: str
    created_at: datetime
    id: UUID = field(default_factory=uuid.uuid4)

    @classmethod
    def create(cls, name: str, description: str, *, now: datetime) -> Role:
        text = description.strip()
        if len(text) > DESCRIPTION_MAX or has_control_characters(text):
            raise errors.ValidationFailed(
                f"Descriptions are at most {DESCRIPTION_MAX} characters.", field="description"
            )
        return cls(name=role_name(name), description=text, created_at=now)
