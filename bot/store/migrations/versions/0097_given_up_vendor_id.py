"""A notification's first provider's id once its fallback carried it (``given_up_vendor_id``):
the first provider's repeated status reports are known and change nothing, and a report on an
id warroom never had is answered 404.

Revision ID: 0097_given_up_vendor_id
Revises: 0096_oncall_leave
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0097_given_up_vendor_id"
down_revision: str | None = "0096_oncall_leave"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notification", sa.Column("given_up_vendor_id", sa.String(), nullable=True))
    op.create_index(
        "ix_notification_given_up_vendor_id", "notification", ["given_up_vendor_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_notification_given_up_vendor_id", table_name="notification")
    op.drop_column("notification", "given_up_vendor_id")
