"""Slash commands and button presses kept in their channel's line until applied, so each
channel's are applied in the order they arrived, on every replica.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "received_command",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", utc, nullable=False),
        sa.Column("started_at", utc, nullable=True),
    )
    op.create_index("ix_received_command_channel", "received_command", ["channel"])


def downgrade() -> None:
    op.drop_table("received_command")
