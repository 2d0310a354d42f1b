"""Change events: what changed on a service, kept once each, indexed for "changes
on these services in the last hours, newest first"; a signing integration's secret (GitHub's
webhooks sign each body with it).

Revision ID: 0079_changes
Revises: 0078_integration_topic
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0079_changes"
down_revision: str | None = "0078_integration_topic"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("who", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column(
            "integration_id",
            sa.Integer(),
            sa.ForeignKey("integration.id", name="fk_change_event_integration"),
            nullable=True,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("key_hash", name="uq_change_event_key"),
    )
    op.create_index("ix_change_event_service_at", "change_event", ["service", "at"])
    op.create_index("ix_change_event_at", "change_event", ["at"])
    with op.batch_alter_table("integration") as integration:
        integration.add_column(sa.Column("signing_key", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("integration") as integration:
        integration.drop_column("signing_key")
    op.drop_index("ix_change_event_at", "change_event")
    op.drop_index("ix_change_event_service_at", "change_event")
    op.drop_table("change_event")
