"""Agents' calls on /mcp within the last minute, one row each: the rate limit is
counted in the database, so N replicas allow a token its limit once, not N times.

Revision ID: 0066
Revises: 0064
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0066"
down_revision: str | None = "0065"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_call",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_name", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_agent_call_token", "agent_call", ["token_name", "at"])


def downgrade() -> None:
    op.drop_index("ix_agent_call_token", table_name="agent_call")
    op.drop_table("agent_call")
