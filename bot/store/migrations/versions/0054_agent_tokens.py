"""Agents' tokens: the bearer tokens /mcp takes (kept as SHA-256 only), their scope, expiry,
revocation and last use.

Revision ID: 0054
Revises: 0049
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0054"
down_revision: str | None = "0049"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "agent_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("expires_at", utc, nullable=True),
        sa.Column("revoked_at", utc, nullable=True),
        sa.Column("used_at", utc, nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agent_token")
