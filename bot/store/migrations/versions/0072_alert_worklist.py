"""The alerts' worklist: indexes that keep its two queries bounded, the
open alerts by state and trigger time, the latest resolved by state and resolve time, however
many alerts the record holds.

Revision ID: 0072_alert_worklist
Revises: 0071_alert_attach
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0072_alert_worklist"
down_revision: str | None = "0071_alert_attach"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_alert_group_state_triggered", "alert_group", ["state", "triggered_at"])
    op.create_index("ix_alert_group_state_resolved", "alert_group", ["state", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_group_state_resolved", table_name="alert_group")
    op.drop_index("ix_alert_group_state_triggered", table_name="alert_group")
