"""The outbox: Slack writes kept until Slack has taken them, and who is sending each channel's.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("ts_of", sa.Integer(), sa.ForeignKey("outbox_message.id"), nullable=True),
        sa.Column("after", sa.String(), nullable=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("due_at", utc, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sent_at", utc, nullable=True),
        sa.Column("result_ts", sa.String(), nullable=True),
        sa.Column("gave_up_at", utc, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_message_channel", "outbox_message", ["channel"])
    op.create_index("ix_outbox_message_after", "outbox_message", ["after"])
    op.create_index("ix_outbox_pending", "outbox_message", ["sent_at", "gave_up_at", "due_at"])
    op.create_table(
        "outbox_lease",
        sa.Column("channel", sa.String(), primary_key=True),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("until", utc, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outbox_lease")
    op.drop_table("outbox_message")
