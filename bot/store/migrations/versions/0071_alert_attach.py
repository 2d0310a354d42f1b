"""Alerts declared as incidents, or attached to one: an alert group keeps
when and by whom it was attached to its incident (``incident_id``), and when its last snooze
began (the incident's timeline says it at its time).

Revision ID: 0071_alert_attach
Revises: 0070_alert_grouping
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0071_alert_attach"
down_revision: str | None = "0070_alert_grouping"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.add_column(sa.Column("snoozed_at", _WHEN, nullable=True))
        group.add_column(sa.Column("attached_at", _WHEN, nullable=True))
        group.add_column(sa.Column("attached_by", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        for name in ("attached_by", "attached_at", "snoozed_at"):
            group.drop_column(name)
