"""Alerts of their own: a ``page`` route's alert group is triggered,
acknowledged and resolved without an incident, and paged to its route's policy; its pages
and notifications belong to the group instead of an incident.

Revision ID: 0067_alerts
Revises: 0066
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0067_alerts"
down_revision: str | None = "0066"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.add_column(sa.Column("state", sa.String(), nullable=True))
        group.add_column(sa.Column("episode", sa.Integer(), nullable=False, server_default="0"))
        group.add_column(sa.Column("title", sa.Text(), nullable=False, server_default=""))
        group.add_column(sa.Column("severity", sa.String(), nullable=True))
        group.add_column(sa.Column("policy", sa.String(), nullable=True))
        group.add_column(sa.Column("fired_count", sa.Integer(), nullable=False, server_default="0"))
        group.add_column(sa.Column("triggered_at", _WHEN, nullable=True))
        group.add_column(sa.Column("acknowledged_at", _WHEN, nullable=True))
        group.add_column(sa.Column("acknowledged_by", sa.String(), nullable=True))
        group.add_column(sa.Column("acknowledged_via", sa.String(), nullable=True))
        group.add_column(sa.Column("resolved_at", _WHEN, nullable=True))
        group.add_column(sa.Column("resolved_by", sa.String(), nullable=True))
        group.add_column(sa.Column("message_channel", sa.String(), nullable=True))
        group.add_column(sa.Column("message_ts", sa.String(), nullable=True))
        group.create_index("ix_alert_group_state", ["state"])
    with op.batch_alter_table("person_page") as page:
        page.alter_column("incident_id", existing_type=sa.Integer(), nullable=True)
        page.alter_column("escalation_id", existing_type=sa.Integer(), nullable=True)
        page.add_column(sa.Column("alert_group_id", sa.Integer(), nullable=True))
        page.add_column(sa.Column("alert_step", sa.String(), nullable=True))
        page.create_foreign_key(
            "fk_person_page_alert_group", "alert_group", ["alert_group_id"], ["id"]
        )
        page.create_index("ix_person_page_alert_group_id", ["alert_group_id"])
        page.create_unique_constraint(
            "uq_person_page_alert_step", ["alert_group_id", "alert_step", "user_id"]
        )
    with op.batch_alter_table("ack_token") as token:
        token.alter_column("incident_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("notification") as notification:
        notification.alter_column("incident_id", existing_type=sa.Integer(), nullable=True)
        notification.add_column(sa.Column("alert_group_id", sa.Integer(), nullable=True))
        notification.create_foreign_key(
            "fk_notification_alert_group", "alert_group", ["alert_group_id"], ["id"]
        )
        notification.create_index("ix_notification_alert_group_id", ["alert_group_id"])


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE alert_group_id IS NOT NULL")
    op.execute("DELETE FROM ack_token WHERE page_id IN "
               "(SELECT id FROM person_page WHERE alert_group_id IS NOT NULL)")
    op.execute("DELETE FROM person_page WHERE alert_group_id IS NOT NULL")
    with op.batch_alter_table("ack_token") as token:
        token.alter_column("incident_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("notification") as notification:
        notification.drop_index("ix_notification_alert_group_id")
        notification.drop_constraint("fk_notification_alert_group", type_="foreignkey")
        notification.drop_column("alert_group_id")
        notification.alter_column("incident_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("person_page") as page:
        page.drop_constraint("uq_person_page_alert_step", type_="unique")
        page.drop_index("ix_person_page_alert_group_id")
        page.drop_constraint("fk_person_page_alert_group", type_="foreignkey")
        page.drop_column("alert_step")
        page.drop_column("alert_group_id")
        page.alter_column("escalation_id", existing_type=sa.Integer(), nullable=False)
        page.alter_column("incident_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("alert_group") as group:
        group.drop_index("ix_alert_group_state")
        for name in (
            "message_ts", "message_channel", "resolved_by", "resolved_at", "acknowledged_via",
            "acknowledged_by", "acknowledged_at", "triggered_at", "fired_count", "policy",
            "severity", "title", "episode", "state",
        ):  # fmt: skip
            group.drop_column(name)
