"""Indexes for reading in order: incidents newest first per workspace (the list, the
insights), an incident's timeline oldest first (drafts, the incident page's pages).

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_incident_declared", "incident", ["team_id", "declared_at", "id"])
    op.create_index(
        "ix_timeline_entry_order", "timeline_entry", ["incident_id", "occurred_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_entry_order", table_name="timeline_entry")
    op.drop_index("ix_incident_declared", table_name="incident")
