"""Two-factor sign-in: second factors (secrets encrypted), recovery codes, pending
set-ups and half-finished sign-ins.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_id(table: str, *, refers_to: str = "users.id") -> sa.Column:
    referred = refers_to.split(".")[0]
    return sa.Column(
        "user_id",
        sa.Uuid(),
        sa.ForeignKey(refers_to, name=f"fk_{table}_user_id_{referred}", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "two_factor",
        _user_id("two_factor"),
        sa.Column("secret_encrypted", sa.String(500), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name="pk_two_factor"),
    )
    op.create_table(
        "recovery_codes",
        _user_id("recovery_codes", refers_to="two_factor.user_id"),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "code_hash", name="pk_recovery_codes"),
    )
    op.create_table(
        "two_factor_pending",
        _user_id("two_factor_pending"),
        sa.Column("secret_encrypted", sa.String(500), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_two_factor_pending"),
    )
    op.create_table(
        "sign_in_challenges",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _user_id("sign_in_challenges"),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("api_token", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_sign_in_challenges"),
    )
    op.create_index("ix_sign_in_challenges_user_id", "sign_in_challenges", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_challenges_user_id", table_name="sign_in_challenges")
    op.drop_table("sign_in_challenges")
    op.drop_table("two_factor_pending")
    op.drop_table("recovery_codes")
    op.drop_table("two_factor")
