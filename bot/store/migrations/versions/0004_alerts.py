"""Alert intake: raw payloads, alert groups, alerts; an incident's previous incident.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _alter_incident() -> None:
    """The ``incident`` table's new columns."""
    with op.batch_alter_table("incident") as incident:
        incident.add_column(sa.Column("previous_incident_id", sa.Integer(), nullable=True))
        incident.create_foreign_key(
            "fk_incident_previous_incident", "incident", ["previous_incident_id"], ["id"]
        )


def _create_alert_payload(utc: sa.DateTime) -> None:
    """The ``alert_payload`` table and its indexes."""
    op.create_table(
        "alert_payload",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("group_key", sa.Text(), nullable=False),
        sa.Column("received_at", utc, nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", utc, nullable=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
    )
    op.create_index("ix_alert_payload_state", "alert_payload", ["state"])
    op.create_index("ix_alert_payload_incident_id", "alert_payload", ["incident_id"])


def _create_alert_group(utc: sa.DateTime) -> None:
    """The ``alert_group`` table and its indexes."""
    op.create_table(
        "alert_group",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("group_key", sa.Text(), nullable=False),
        sa.Column("route", sa.String(), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("first_seen_at", utc, nullable=False),
        sa.Column("last_seen_at", utc, nullable=False),
        sa.UniqueConstraint("source", "key_hash", name="uq_alert_group_key"),
    )
    op.create_index("ix_alert_group_incident_id", "alert_group", ["incident_id"])


def _create_alert(utc: sa.DateTime) -> None:
    """The ``alert`` table and its indexes."""
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("alert_group.id"), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("starts_at", utc, nullable=False),
        sa.Column("ends_at", utc, nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("annotations", sa.Text(), nullable=False),
        sa.Column("links", sa.Text(), nullable=False),
        sa.Column(
            "first_payload_id", sa.Integer(), sa.ForeignKey("alert_payload.id"), nullable=False
        ),
        sa.Column(
            "last_payload_id", sa.Integer(), sa.ForeignKey("alert_payload.id"), nullable=False
        ),
        sa.Column("posted_status", sa.String(), nullable=True),
        sa.UniqueConstraint("group_id", "fingerprint", "starts_at", name="uq_alert_firing"),
    )
    op.create_index("ix_alert_group_id", "alert", ["group_id"])
    op.create_index("ix_alert_incident_id", "alert", ["incident_id"])


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    _alter_incident()
    _create_alert_payload(utc)
    _create_alert_group(utc)
    _create_alert(utc)


def downgrade() -> None:
    op.drop_table("alert")
    op.drop_table("alert_group")
    op.drop_table("alert_payload")
    with op.batch_alter_table("incident") as incident:
        incident.drop_constraint("fk_incident_previous_incident", type_="foreignkey")
        incident.drop_column("previous_incident_id")
