"""Channel messages, their revisions, and reactions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "channel_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=True),
        sa.Column("user", sa.String(), nullable=True),
        sa.Column("bot_id", sa.String(), nullable=True),
        sa.Column("subtype", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("occurred_at", utc, nullable=False),
        sa.Column("edited_at", utc, nullable=True),
        sa.Column("deleted_at", utc, nullable=True),
        sa.Column("recorded_at", utc, nullable=False),
        sa.UniqueConstraint("channel", "ts", name="uq_channel_message"),
    )
    op.create_index("ix_channel_message_incident_id", "channel_message", ["incident_id"])
    op.create_table(
        "message_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "message_id", sa.Integer(), sa.ForeignKey("channel_message.id"), nullable=False
        ),
        sa.Column("previous_text", sa.Text(), nullable=False),
        sa.Column("edited_by", sa.String(), nullable=True),
        sa.Column("edited_at", utc, nullable=False),
    )
    op.create_index("ix_message_revision_message_id", "message_revision", ["message_id"])
    op.create_table(
        "reaction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("added_at", utc, nullable=False),
        sa.UniqueConstraint("channel", "ts", "name", "user", name="uq_reaction_person"),
    )
    op.create_index("ix_reaction_incident_id", "reaction", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_reaction_incident_id", table_name="reaction")
    op.drop_table("reaction")
    op.drop_index("ix_message_revision_message_id", table_name="message_revision")
    op.drop_table("message_revision")
    op.drop_index("ix_channel_message_incident_id", table_name="channel_message")
    op.drop_table("channel_message")
