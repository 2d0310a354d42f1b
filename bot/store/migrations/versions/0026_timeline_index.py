"""The timeline's index on its incident alone goes: the reading order's index
(``ix_timeline_entry_order``: incident, time, id) starts with the incident and serves every
lookup by incident, so the narrower one only cost each new entry a second index write.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_timeline_entry_incident_id", table_name="timeline_entry")


def downgrade() -> None:
    op.create_index("ix_timeline_entry_incident_id", "timeline_entry", ["incident_id"])
