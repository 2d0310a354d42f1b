"""When a notification was confirmed to reach its person (``notification.delivered_at``): the
provider's receipt of an SMS, a call answered; kept with the state change, so the paging
SLO (bot/record/paging/slo.py) counts from the moment, not from ``updated_at``.

Revision ID: 0091_notification_delivered_at
Revises: 0085_alert_escalations
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0091_notification_delivered_at"
down_revision: str | None = "0085_alert_escalations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("delivered_at")
