"""On-call overrides and swaps: who took a schedule over, from when to when, who made it and
when, and who cancelled it (rows are kept as the audit trail).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "oncall_override",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("start_at", utc, nullable=False),
        sa.Column("end_at", utc, nullable=False),
        sa.Column("kind", sa.String(), nullable=False, server_default="override"),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("cancelled_at", utc, nullable=True),
        sa.Column("cancelled_by", sa.String(), nullable=True),
    )
    op.create_index("ix_oncall_override_window", "oncall_override", ["schedule", "end_at"])


def downgrade() -> None:
    op.drop_index("ix_oncall_override_window", "oncall_override")
    op.drop_table("oncall_override")
