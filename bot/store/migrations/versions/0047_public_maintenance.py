"""Maintenance windows customers are told of: a window with a public description is shown on
the status page as scheduled, then in progress (``/incident maintenance ... --public``).

Revision ID: 0047
Revises: 0045
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0047"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("maintenance_window") as batch:
        batch.add_column(sa.Column("public_description", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("maintenance_window") as batch:
        batch.drop_column("public_description")
