"""Which replica started applying a kept command: only a command whose replica is gone was
cut off by a stop (a failure in a live replica is retried there, not said as a stop).

Revision ID: 0042
Revises: 0038
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("received_command") as batch:
        batch.add_column(sa.Column("started_by", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("received_command") as batch:
        batch.drop_column("started_by")
