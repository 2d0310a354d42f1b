"""Every escalation of an alert by hand kept: ``alert_escalation``, a row each
(who, when, in which episode, to which level of its policy or to which person), where
``alert_group`` kept only the latest. The latest of each group's current episode is copied
in, so what was said before stays said.

Revision ID: 0085_alert_escalations
Revises: 0084_change_sources
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0085_alert_escalations"
down_revision: str | None = "0084_change_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_escalation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("alert_group.id"), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("escalated_by", sa.String(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy", sa.String(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("person", sa.String(), nullable=True),
    )
    op.create_index("ix_alert_escalation_group_id", "alert_escalation", ["group_id"])
    op.execute(
        "INSERT INTO alert_escalation"
        " (group_id, episode, escalated_by, escalated_at, policy, level, person)"
        " SELECT id, episode, escalated_by, escalated_at, policy, escalated_level, escalated_to"
        " FROM alert_group WHERE escalated_by IS NOT NULL AND escalated_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_alert_escalation_group_id", table_name="alert_escalation")
    op.drop_table("alert_escalation")
