"""Alerts by urgency: an alert group keeps its route's urgency (high or
low) and, for a low-urgency one that fired outside its route's support hours, until when it
waits before paging.

Revision ID: 0069_alert_urgency
Revises: 0068_alert_snooze
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0069_alert_urgency"
down_revision: str | None = "0068_alert_snooze"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.add_column(sa.Column("urgency", sa.Text(), nullable=False, server_default="high"))
        group.add_column(sa.Column("waits_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.drop_column("waits_until")
        group.drop_column("urgency")
