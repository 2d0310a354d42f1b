"""Alerts snoozed and escalated by hand: an alert group keeps until when it is
snoozed and by whom, the cycle of its episode (paged again after a snooze), the policy
level it reached, and who escalated it by hand, when, to which level.

Revision ID: 0068_alert_snooze
Revises: 0067_alerts
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0068_alert_snooze"
down_revision: str | None = "0067_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.add_column(sa.Column("snoozed_until", _WHEN, nullable=True))
        group.add_column(sa.Column("snoozed_by", sa.String(), nullable=True))
        group.add_column(sa.Column("cycle", sa.Integer(), nullable=False, server_default="0"))
        group.add_column(sa.Column("level_round", sa.Integer(), nullable=False, server_default="1"))
        group.add_column(sa.Column("level", sa.Integer(), nullable=False, server_default="0"))
        group.add_column(sa.Column("escalated_by", sa.String(), nullable=True))
        group.add_column(sa.Column("escalated_at", _WHEN, nullable=True))
        group.add_column(sa.Column("escalated_level", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        for name in (
            "escalated_level",
            "escalated_at",
            "escalated_by",
            "level",
            "level_round",
            "cycle",
            "snoozed_by",
            "snoozed_until",
        ):
            group.drop_column(name)
