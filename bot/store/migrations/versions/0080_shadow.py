"""A shadow week: an alert group paged on paper only (``shadow``), and the
``warroom shadow compare`` reports the web page shows.

Revision ID: 0080_shadow
Revises: 0079_changes
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0080_shadow"
down_revision: str | None = "0079_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_group") as group:
        group.add_column(
            sa.Column("shadow", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "shadow_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("vendor", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shadow_report")
    with op.batch_alter_table("alert_group") as group:
        group.drop_column("shadow")
