"""Paging people: a page per person an escalation reaches, each notification its rules send,
contact methods and rules people set from Slack, and acknowledgement links' tokens.

Revision ID: 0034
Revises: 0031
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_person_page(utc: sa.DateTime) -> None:
    """The ``person_page`` table and its indexes."""
    op.create_table(
        "person_page",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("escalation_id", sa.Integer(), sa.ForeignKey("escalation.id"), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("started_at", utc, nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("acknowledged_at", utc, nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        sa.Column("acknowledged_via", sa.String(), nullable=True),
        sa.UniqueConstraint("escalation_id", "user_id", name="uq_person_page_escalation_user"),
    )
    for column in ("incident_id", "escalation_id", "user_id"):
        op.create_index(f"ix_person_page_{column}", "person_page", [column])


def _create_notification(utc: sa.DateTime) -> None:
    """The ``notification`` table and its indexes."""
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("page_id", sa.Integer(), sa.ForeignKey("person_page.id"), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("due_at", utc, nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("vendor_id", sa.String(), nullable=True),
        sa.Column("sent_at", utc, nullable=True),
        sa.Column("updated_at", utc, nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.UniqueConstraint("page_id", "rule", "contact", name="uq_notification_page_rule_contact"),
    )
    for column in ("page_id", "incident_id", "vendor_id"):
        op.create_index(f"ix_notification_{column}", "notification", [column])


def _create_contact_method(utc: sa.DateTime) -> None:
    """The ``contact_method`` table and its indexes."""
    op.create_table(
        "contact_method",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("verified_at", utc, nullable=True),
        sa.Column("code_hash", sa.String(), nullable=True),
        sa.Column("code_sent_at", utc, nullable=True),
        sa.Column("tested_at", utc, nullable=True),
        sa.UniqueConstraint("user_id", "name", name="uq_contact_method_user_name"),
    )
    op.create_index("ix_contact_method_user_id", "contact_method", ["user_id"])


def _create_notification_rules(utc: sa.DateTime) -> None:
    """The ``notification_rules`` table."""
    op.create_table(
        "notification_rules",
        sa.Column("user_id", sa.String(), primary_key=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_at", utc, nullable=False),
    )


def _create_ack_token(utc: sa.DateTime) -> None:
    """The ``ack_token`` table and its indexes."""
    op.create_table(
        "ack_token",
        sa.Column("token_hash", sa.String(), primary_key=True),
        sa.Column("page_id", sa.Integer(), sa.ForeignKey("person_page.id"), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("used_at", utc, nullable=True),
    )
    op.create_index("ix_ack_token_page_id", "ack_token", ["page_id"])


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    _create_person_page(utc)
    _create_notification(utc)
    _create_contact_method(utc)
    _create_notification_rules(utc)
    _create_ack_token(utc)


def downgrade() -> None:
    op.drop_table("ack_token")
    op.drop_table("notification_rules")
    op.drop_table("contact_method")
    op.drop_table("notification")
    op.drop_table("person_page")
