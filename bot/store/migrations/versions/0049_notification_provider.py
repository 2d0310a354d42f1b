"""Which company carried a notification: an SMS or a call goes through Twilio or Vonage (a
contact's ``provider``, or its ``fallback`` when the first one failed), so the delivery
metrics and the Paging panel count each where it went.

Revision ID: 0049
Revises: 0052
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0049"
down_revision: str | None = "0052"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("provider", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("provider")
