"""Follow-ups filed as tracker issues (GitHub, Jira Cloud, Linear): one row per follow-up,
with the issue's key, address and the tracker's own id, and whether it is waiting, filed,
refused or closed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "tracker_issue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("follow_up", sa.String(), nullable=False),
        sa.Column("tracker", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("requested_at", utc, nullable=False),
        sa.Column("key", sa.String(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("filed_at", utc, nullable=True),
        sa.Column("closed_at", utc, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("follow_up", name="uq_tracker_issue_follow_up"),
    )
    op.create_index("ix_tracker_issue_incident_id", "tracker_issue", ["incident_id"])
    op.create_index("ix_tracker_issue_external", "tracker_issue", ["tracker", "external_id"])


def downgrade() -> None:
    op.drop_index("ix_tracker_issue_external", table_name="tracker_issue")
    op.drop_index("ix_tracker_issue_incident_id", table_name="tracker_issue")
    op.drop_table("tracker_issue")
