"""On-call swaps: who asked whom to swap which shifts, and how and when it was answered; an
override made by accepting one points at it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "oncall_swap",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule", sa.String(), nullable=False),
        sa.Column("asked_by", sa.String(), nullable=False),
        sa.Column("asked_of", sa.String(), nullable=False),
        sa.Column("give_start", utc, nullable=False),
        sa.Column("give_end", utc, nullable=False),
        sa.Column("take_start", utc, nullable=True),
        sa.Column("take_end", utc, nullable=True),
        sa.Column("status", sa.String(), nullable=False, server_default="pending"),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("answered_by", sa.String(), nullable=True),
        sa.Column("answered_at", utc, nullable=True),
    )
    with op.batch_alter_table("oncall_override") as batch:
        batch.add_column(sa.Column("swap_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_oncall_override_swap_id", "oncall_swap", ["swap_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("oncall_override") as batch:
        batch.drop_constraint("fk_oncall_override_swap_id", type_="foreignkey")
        batch.drop_column("swap_id")
    op.drop_table("oncall_swap")
