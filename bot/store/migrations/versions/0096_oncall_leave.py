"""A person's leave, which rotations skip: ``oncall_leave``, a row per leave (whole days in
the person's zone, the instants they cover in UTC, where it came from), and
``oncall_leave_feed``, a person's leave calendar fetched on a timer.

Revision ID: 0096_oncall_leave
Revises: 0095_routed_calls
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0096_oncall_leave"
down_revision: str | None = "0095_routed_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oncall_leave",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("first_day", sa.String(), nullable=False),
        sa.Column("last_day", sa.String(), nullable=False),
        sa.Column("zone", sa.String(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_oncall_leave_user_id", "oncall_leave", ["user_id"])
    op.create_index("ix_oncall_leave_window", "oncall_leave", ["end_at", "start_at"])
    op.create_table(
        "oncall_leave_feed",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.String(), nullable=False, unique=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("zone", sa.String(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("oncall_leave_feed")
    op.drop_index("ix_oncall_leave_window", table_name="oncall_leave")
    op.drop_index("ix_oncall_leave_user_id", table_name="oncall_leave")
    op.drop_table("oncall_leave")
