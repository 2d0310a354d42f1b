"""Agents' proposed timeline notes (a person accepts each into the timeline) and their tokens'
use, counted per tool and hour.

Revision ID: 0055
Revises: 0054
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0055"
down_revision: str | None = "0058"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "proposed_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("occurred_at", utc, nullable=False),
        sa.Column("cites", sa.JSON(), nullable=False),
        sa.Column("meaning", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("proposed_by", sa.String(), nullable=False),
        sa.Column("proposed_at", utc, nullable=False),
        sa.Column("accepted_by", sa.String(), nullable=True),
        sa.Column("accepted_at", utc, nullable=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("timeline_entry.id"), nullable=True),
    )
    op.create_index("ix_proposed_note_incident_id", "proposed_note", ["incident_id"])
    op.create_table(
        "agent_token_use",
        sa.Column("token_name", sa.String(), primary_key=True),
        sa.Column("hour", utc, primary_key=True),
        sa.Column("tool", sa.String(), primary_key=True),
        sa.Column("calls", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agent_token_use")
    op.drop_index("ix_proposed_note_incident_id", table_name="proposed_note")
    op.drop_table("proposed_note")
