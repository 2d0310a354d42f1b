"""On-call calendars: the secret links that open the .ics feeds (kept as SHA-256 only), and
the last good copy of each iCal layer's external feed with how its refreshes go.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "oncall_calendar_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("feed", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("revoked_at", utc, nullable=True),
    )
    op.create_index(
        "ix_oncall_calendar_token_feed", "oncall_calendar_token", ["feed", "revoked_at"]
    )
    op.create_table(
        "oncall_ical_copy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule", sa.String(), nullable=False),
        sa.Column("layer", sa.String(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.Text(), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("fetched_at", utc, nullable=True),
        sa.Column("checked_at", utc, nullable=True),
        sa.Column("failing_since", utc, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("schedule", "layer", name="uq_oncall_ical_copy_layer"),
    )


def downgrade() -> None:
    op.drop_table("oncall_ical_copy")
    op.drop_index("ix_oncall_calendar_token_feed", "oncall_calendar_token")
    op.drop_table("oncall_calendar_token")
