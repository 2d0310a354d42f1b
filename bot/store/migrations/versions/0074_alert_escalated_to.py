"""An alert escalated by hand to a person: whom, beside who escalated it
and when (``escalated_level`` stays for an escalation to the policy's next level).

Revision ID: 0074_alert_escalated_to
Revises: 0073_page_arrival
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0074_alert_escalated_to"
down_revision: str | None = "0073_page_arrival"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.add_column(sa.Column("escalated_to", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.drop_column("escalated_to")
