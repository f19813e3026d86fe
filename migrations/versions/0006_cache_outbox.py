"""The outbox of cache invalidations, written in the transaction of the change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cache_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("members", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_outbox")),
    )
    op.create_index("ix_cache_outbox_created_at", "cache_outbox", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_cache_outbox_created_at", table_name="cache_outbox")
    op.drop_table("cache_outbox")
