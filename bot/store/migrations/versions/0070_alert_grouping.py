"""Alerts grouped and flapping: an alert group may have joined another's open
alert (within its route's grouping window), keeps when it last fired, when it flipped
(fired again after resolving) and since when it is held open as flapping, how long it was
quiet when it resolved by itself, and the policy it named that is configured no more.

Revision ID: 0070_alert_grouping
Revises: 0069_alert_urgency
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0070_alert_grouping"
down_revision: str | None = "0069_alert_urgency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.add_column(sa.Column("joined_to", sa.Integer(), nullable=True))
        group.add_column(sa.Column("joined_episode", sa.Integer(), nullable=True))
        group.add_column(sa.Column("last_fired_at", _WHEN, nullable=True))
        group.add_column(sa.Column("flips", sa.Text(), nullable=False, server_default="[]"))
        group.add_column(sa.Column("flapping_since", _WHEN, nullable=True))
        group.add_column(sa.Column("resolved_after", sa.Integer(), nullable=True))
        group.add_column(sa.Column("policy_gone", sa.String(), nullable=True))
        group.create_foreign_key("fk_alert_group_joined_to", "alert_group", ["joined_to"], ["id"])
        group.create_index("ix_alert_group_joined_to", ["joined_to"])


def downgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.drop_index("ix_alert_group_joined_to")
        group.drop_constraint("fk_alert_group_joined_to", type_="foreignkey")
        for name in (
            "policy_gone",
            "resolved_after",
            "flapping_since",
            "flips",
            "last_fired_at",
            "joined_episode",
            "joined_to",
        ):
            group.drop_column(name)
