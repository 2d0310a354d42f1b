"""Alerts and incidents carry their service: the service a route names, or the one
an alert's ``service`` label names; an incident declared from an alert takes its service, and
``/incident start --service`` names one.

Revision ID: 0075_services
Revises: 0074_alert_escalated_to
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0075_services"
down_revision: str | None = "0074_alert_escalated_to"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.add_column(sa.Column("service", sa.String(), nullable=True))
        group.create_index("ix_alert_group_service", ["service"])
    with op.batch_alter_table("incident") as incident:
        incident.add_column(sa.Column("service", sa.String(), nullable=True))
        incident.create_index("ix_incident_service", ["service"])


def downgrade() -> None:
    with op.batch_alter_table("incident") as incident:
        incident.drop_index("ix_incident_service")
        incident.drop_column("service")
    with op.batch_alter_table("alert_group") as group:
        group.drop_index("ix_alert_group_service")
        group.drop_column("service")
