"""Alert groups by trigger time: Insights' on-call load reads the period's alerts (a quarter
of a year's) by it, not every alert group ever kept.

Revision ID: 0099_alert_group_triggered_at
Revises: 0098_change_stamps
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0099_alert_group_triggered_at"
down_revision: str | None = "0098_change_stamps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_alert_group_triggered_at", "alert_group", ["triggered_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_group_triggered_at", table_name="alert_group")
