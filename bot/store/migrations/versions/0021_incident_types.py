"""Incident types and custom fields: the incident's type, its fields' values (one row per
value), and every change of a field (who, from what, to what, when, and what caused it).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("incident_type", sa.String(), nullable=True))
    op.create_table(
        "incident_field_value",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("value", sa.Text(), nullable=False),
        sa.UniqueConstraint("incident_id", "field", "position", name="uq_incident_field_value"),
    )
    op.create_index(
        "ix_incident_field_value_incident_id", "incident_field_value", ["incident_id"]
    )
    op.create_index("ix_incident_field_value_lookup", "incident_field_value", ["field", "value"])
    op.create_table(
        "incident_field_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("changed_by", sa.String(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.String(), nullable=True),
    )
    op.create_index(
        "ix_incident_field_change_incident_id", "incident_field_change", ["incident_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_incident_field_change_incident_id", "incident_field_change")
    op.drop_table("incident_field_change")
    op.drop_index("ix_incident_field_value_lookup", "incident_field_value")
    op.drop_index("ix_incident_field_value_incident_id", "incident_field_value")
    op.drop_table("incident_field_value")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("incident_type")
