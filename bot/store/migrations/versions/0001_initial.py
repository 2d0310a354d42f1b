"""Incidents, timeline entries and processed Slack events.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=True),
        sa.Column("channel_name", sa.String(), nullable=True),
        sa.Column("header_ts", sa.String(), nullable=True),
        sa.Column("declared_by", sa.String(), nullable=False),
        sa.Column("commander", sa.String(), nullable=True),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("started_at", utc, nullable=True),
        sa.Column("detected_at", utc, nullable=True),
        sa.Column("declared_at", utc, nullable=False),
        sa.Column("acknowledged_at", utc, nullable=True),
        sa.Column("mitigated_at", utc, nullable=True),
        sa.Column("resolved_at", utc, nullable=True),
        sa.UniqueConstraint("team_id", "number", name="uq_incident_team_number"),
        sa.UniqueConstraint("channel_id"),
    )
    op.create_index("ix_incident_team_id", "incident", ["team_id"])
    op.create_index("ix_incident_status", "incident", ["status"])
    op.create_table(
        "timeline_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(), nullable=True),
        sa.Column("occurred_at", utc, nullable=False),
        sa.Column("slack_channel", sa.String(), nullable=True),
        sa.Column("slack_ts", sa.String(), nullable=True),
        sa.Column("recorded_at", utc, nullable=False),
        sa.UniqueConstraint("slack_channel", "slack_ts", "kind", name="uq_timeline_message_kind"),
    )
    op.create_index("ix_timeline_entry_incident_id", "timeline_entry", ["incident_id"])
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(), primary_key=True),
        sa.Column("received_at", utc, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("processed_event")
    op.drop_index("ix_timeline_entry_incident_id", table_name="timeline_entry")
    op.drop_table("timeline_entry")
    op.drop_index("ix_incident_status", table_name="incident")
    op.drop_index("ix_incident_team_id", table_name="incident")
    op.drop_table("incident")
