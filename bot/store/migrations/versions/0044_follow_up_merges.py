"""Follow-ups merged into one: which task went into which, who merged them and when; and the
``:memo:`` follow-ups given an owner in the wrap-up form (a task with an owner now); and the
earlier follow-up the team's model found a new one to be the same as.

Revision ID: 0044
Revises: 0042
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0044"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follow_up_merge",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incident.id", name="fk_follow_up_merge_incident_id"),
            nullable=False,
        ),
        sa.Column("merged", sa.String(), nullable=False),
        sa.Column("kept", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("carried", sa.String(), nullable=False, server_default=""),
        sa.Column("merged_by", sa.String(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("merged", name="uq_follow_up_merge_merged"),
    )
    op.create_index("ix_follow_up_merge_incident_id", "follow_up_merge", ["incident_id"])
    op.create_table(
        "follow_up_alike",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incident.id", name="fk_follow_up_alike_incident_id"),
            nullable=False,
        ),
        sa.Column("follow_up", sa.String(), nullable=False),
        sa.Column("alike", sa.String(), nullable=False),
        sa.Column("found_by", sa.String(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("follow_up", name="uq_follow_up_alike_follow_up"),
    )
    op.create_index("ix_follow_up_alike_incident_id", "follow_up_alike", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_follow_up_alike_incident_id", table_name="follow_up_alike")
    op.drop_table("follow_up_alike")
    op.drop_index("ix_follow_up_merge_incident_id", table_name="follow_up_merge")
    op.drop_table("follow_up_merge")
