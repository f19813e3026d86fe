"""Failed and throttled sign-ins in the audit trail forget what was typed.

Entries written before this revision kept the login exactly as typed, which may be a
password typed into the wrong box. Their ``login`` detail is removed; the account (when
the login named one), the time and the address stay. Nothing can bring the text back,
so the downgrade leaves the entries as they are.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = ("LoginFailed", "SignInThrottled")
log = logging.getLogger("alembic.runtime.migration")
audit_events = sa.table(
    "audit_events",
    sa.column("id", sa.Uuid()),
    sa.column("event_type", sa.String()),
    sa.column("details", sa.JSON()),
)


def upgrade() -> None:
    connection = op.get_bind()
    query = sa.select(audit_events.c.id, audit_events.c.details).where(
        audit_events.c.event_type.in_(EVENTS)
    )
    forgotten = 0
    for row in connection.execute(query).all():
        if "login" not in (row.details or {}):
            continue
        details = {key: value for key, value in row.details.items() if key != "login"}
        connection.execute(
            audit_events.update().where(audit_events.c.id == row.id).values(details=details)
        )
        forgotten += 1
    log.info("Removed the typed login from %d audit entries.", forgotten)


def downgrade() -> None:
    """Nothing to restore: the typed logins are gone for good."""
