"""Trusted browsers, and what proved the second factor of each session.

Sessions opened before this revision record no second factor.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("second_factor", sa.String(20), nullable=True))
    op.create_table(
        "trusted_browsers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(512), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_trusted_browsers_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_trusted_browsers"),
        sa.UniqueConstraint("token_hash", name="uq_trusted_browsers_token_hash"),
    )
    op.create_index("ix_trusted_browsers_user_id", "trusted_browsers", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_trusted_browsers_user_id", table_name="trusted_browsers")
    op.drop_table("trusted_browsers")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("second_factor")
