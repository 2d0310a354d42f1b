"""Roles, escalations, pages, due jobs; the incident's policy and last update time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _alter_incident(utc: sa.DateTime) -> None:
    """The ``incident`` table's new columns."""
    with op.batch_alter_table("incident") as incident:
        incident.add_column(sa.Column("policy", sa.String(), nullable=True))
        incident.add_column(sa.Column("last_update_at", utc, nullable=True))


def _create_incident_role(utc: sa.DateTime) -> None:
    """The ``incident_role`` table and its indexes."""
    op.create_table(
        "incident_role",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("assigned_by", sa.String(), nullable=False),
        sa.Column("assigned_at", utc, nullable=False),
        sa.UniqueConstraint("incident_id", "role", name="uq_incident_role"),
    )
    op.create_index("ix_incident_role_incident_id", "incident_role", ["incident_id"])


def _create_escalation(utc: sa.DateTime) -> None:
    """The ``escalation`` table and its indexes."""
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("target_kind", sa.String(), nullable=False),
        sa.Column("target_ref", sa.String(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("policy", sa.String(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=True),
        sa.Column("escalated_at", utc, nullable=False),
        sa.Column("notified_users", sa.Text(), nullable=False),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.Column("acknowledged_at", utc, nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        sa.UniqueConstraint("incident_id", "policy", "level", name="uq_escalation_policy_level"),
    )
    op.create_index("ix_escalation_incident_id", "escalation", ["incident_id"])


def _create_page(utc: sa.DateTime) -> None:
    """The ``page`` table and its indexes."""
    op.create_table(
        "page",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("escalation_id", sa.Integer(), sa.ForeignKey("escalation.id"), nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("routing_key_env", sa.String(), nullable=False),
        sa.Column("dedup_key", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("updated_at", utc, nullable=False),
        sa.UniqueConstraint("routing_key_env", "dedup_key", name="uq_page_routing_dedup"),
    )
    op.create_index("ix_page_incident_id", "page", ["incident_id"])
    op.create_index("ix_page_escalation_id", "page", ["escalation_id"])


def _create_job(utc: sa.DateTime) -> None:
    """The ``job`` table and its indexes."""
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("due_at", utc, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", utc, nullable=True),
        sa.Column("locked_by", sa.String(), nullable=True),
        sa.Column("done_at", utc, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", utc, nullable=False),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_job_incident_id", "job", ["incident_id"])
    op.create_index("ix_job_pending", "job", ["done_at", "due_at"])


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    _alter_incident(utc)
    _create_incident_role(utc)
    _create_escalation(utc)
    _create_page(utc)
    _create_job(utc)


def downgrade() -> None:
    op.drop_index("ix_job_pending", table_name="job")
    op.drop_index("ix_job_incident_id", table_name="job")
    op.drop_table("job")
    op.drop_index("ix_page_escalation_id", table_name="page")
    op.drop_index("ix_page_incident_id", table_name="page")
    op.drop_table("page")
    op.drop_index("ix_escalation_incident_id", table_name="escalation")
    op.drop_table("escalation")
    op.drop_index("ix_incident_role_incident_id", table_name="incident_role")
    op.drop_table("incident_role")
    with op.batch_alter_table("incident") as incident:
        incident.drop_column("last_update_at")
        incident.drop_column("policy")
