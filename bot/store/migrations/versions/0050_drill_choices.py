"""Paging drills people opt in to (or out of) from Slack: ``/oncall contact drill on|off``,
above the contacts file's ``drill:``.

Revision ID: 0050
Revises: 0047
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0050"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drill_choice",
        sa.Column("user_id", sa.String(), primary_key=True),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("drill_choice")
