"""Public titles: the name customers read, per language (``/incident public --title``), and
the name Statuspage was last sent, so a changed title is sent once.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("public_incident") as table:
        table.add_column(sa.Column("titles", sa.JSON(), nullable=False, server_default="{}"))
        table.add_column(sa.Column("statuspage_name", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("public_incident") as table:
        table.drop_column("statuspage_name")
        table.drop_column("titles")
