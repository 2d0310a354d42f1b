"""Test pages people send themselves (``/oncall test-page``): when, and what went out
through each method, outside any incident.

Revision ID: 0036
Revises: 0033
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_test",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("tested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
    )
    op.create_index("ix_page_test_user_id", "page_test", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_page_test_user_id", table_name="page_test")
    op.drop_table("page_test")
