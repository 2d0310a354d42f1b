"""Integrations, one key each: a way alerts reach warroom, its kind, name and
service, its key kept as SHA-256; each stored payload says which integration sent it.

Revision ID: 0076_integrations
Revises: 0075_services
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0076_integrations"
down_revision: str | None = "0075_services"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_alert_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_integration_kind", "integration", ["kind"])
    with op.batch_alter_table("alert_payload") as payload:
        payload.add_column(sa.Column("integration_id", sa.Integer(), nullable=True))
        payload.create_foreign_key(
            "fk_alert_payload_integration", "integration", ["integration_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_payload") as payload:
        payload.drop_constraint("fk_alert_payload_integration", type_="foreignkey")
        payload.drop_column("integration_id")
    op.drop_index("ix_integration_kind", "integration")
    op.drop_table("integration")
