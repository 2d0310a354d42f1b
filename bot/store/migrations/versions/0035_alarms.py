"""Escalations that repeat: which round of its policy an escalation belongs to, each level
escalated to once per round. Heartbeats and where each stands; maintenance windows and the
alerts they silenced.

Revision ID: 0035
Revises: 0029
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _alter_escalation() -> None:
    """The ``escalation`` table's new columns."""
    with op.batch_alter_table("escalation") as batch:
        batch.add_column(
            sa.Column("policy_round", sa.Integer(), nullable=False, server_default="1")
        )
        batch.drop_constraint("uq_escalation_policy_level", type_="unique")
        batch.create_unique_constraint(
            "uq_escalation_policy_level", ["incident_id", "policy", "policy_round", "level"]
        )


def _create_heartbeat(utc: sa.DateTime) -> None:
    """The ``heartbeat`` table."""
    op.create_table(
        "heartbeat",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("watched_since", utc, nullable=False),
        sa.Column("last_beat_at", utc, nullable=True),
        sa.Column("beats", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("missed_since", utc, nullable=True),
        sa.Column("misses", sa.Integer(), nullable=False, server_default="0"),
    )


def _create_maintenance_window(utc: sa.DateTime) -> None:
    """The ``maintenance_window`` table."""
    op.create_table(
        "maintenance_window",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", utc, nullable=False),
        sa.Column("ends_at", utc, nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("cancelled_at", utc, nullable=True),
        sa.Column("cancelled_by", sa.String(), nullable=True),
    )


def _create_silenced_alert(utc: sa.DateTime) -> None:
    """The ``silenced_alert`` table and its indexes."""
    op.create_table(
        "silenced_alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "window_id",
            sa.Integer(),
            sa.ForeignKey("maintenance_window.id", name="fk_silenced_alert_window_id"),
            nullable=False,
        ),
        sa.Column(
            "payload_id",
            sa.Integer(),
            sa.ForeignKey("alert_payload.id", name="fk_silenced_alert_payload_id"),
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("starts_at", utc, nullable=False),
        sa.Column("silenced_at", utc, nullable=False),
        sa.UniqueConstraint("window_id", "payload_id", "fingerprint", name="uq_silenced_alert"),
    )
    op.create_index("ix_silenced_alert_window_id", "silenced_alert", ["window_id"])


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    _alter_escalation()
    _create_heartbeat(utc)
    _create_maintenance_window(utc)
    _create_silenced_alert(utc)


def downgrade() -> None:
    op.drop_index("ix_silenced_alert_window_id", table_name="silenced_alert")
    op.drop_table("silenced_alert")
    op.drop_table("maintenance_window")
    op.drop_table("heartbeat")
    with op.batch_alter_table("escalation") as batch:
        batch.drop_constraint("uq_escalation_policy_level", type_="unique")
        batch.create_unique_constraint(
            "uq_escalation_policy_level", ["incident_id", "policy", "level"]
        )
        batch.drop_column("policy_round")
