"""Paging drills: each provider a drill exercised, and what became of it; and when each
page's first notification left (the pager's time to first notification).

Revision ID: 0045
Revises: 0044
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "person_page", sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "drill_check",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("drill", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("vendor_id", sa.String(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_drill_check_drill", "drill_check", ["drill"])
    op.create_index("ix_drill_check_vendor_id", "drill_check", ["vendor_id"])


def downgrade() -> None:
    op.drop_index("ix_drill_check_vendor_id", table_name="drill_check")
    op.drop_index("ix_drill_check_drill", table_name="drill_check")
    op.drop_table("drill_check")
    op.drop_column("person_page", "first_sent_at")
