"""Postmortem drafts: action items, milestone corrections, people's names, cached permalinks,
and an incident's postmortem style, language and canvas.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    with op.batch_alter_table("incident") as incident:
        incident.add_column(sa.Column("postmortem_style", sa.String(), nullable=True))
        incident.add_column(sa.Column("postmortem_language", sa.String(), nullable=True))
        incident.add_column(sa.Column("postmortem_canvas_id", sa.String(), nullable=True))
    with op.batch_alter_table("timeline_entry") as entry:
        entry.add_column(sa.Column("permalink", sa.Text(), nullable=True))
    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("slack_channel", sa.String(), nullable=True),
        sa.Column("slack_ts", sa.String(), nullable=True),
        sa.Column("permalink", sa.Text(), nullable=True),
    )
    op.create_index("ix_action_item_incident_id", "action_item", ["incident_id"])
    op.create_table(
        "milestone_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("milestone", sa.String(), nullable=False),
        sa.Column("previous", utc, nullable=True),
        sa.Column("value", utc, nullable=False),
        sa.Column("changed_by", sa.String(), nullable=False),
        sa.Column("changed_at", utc, nullable=False),
        sa.Column("slack_channel", sa.String(), nullable=True),
        sa.Column("slack_ts", sa.String(), nullable=True),
    )
    op.create_index("ix_milestone_change_incident_id", "milestone_change", ["incident_id"])
    op.create_table(
        "person",
        sa.Column("user_id", sa.String(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("updated_at", utc, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("person")
    op.drop_table("milestone_change")
    op.drop_table("action_item")
    with op.batch_alter_table("timeline_entry") as entry:
        entry.drop_column("permalink")
    with op.batch_alter_table("incident") as incident:
        incident.drop_column("postmortem_canvas_id")
        incident.drop_column("postmortem_language")
        incident.drop_column("postmortem_style")
