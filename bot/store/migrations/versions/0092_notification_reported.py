"""A notification's delivery state as its provider names it: ``notification.reported``
(Twilio's undelivered or no-answer, Pushover's acknowledged, ntfy's accepted), beside
warroom's own ``state``. Rows from before have none: their ``state`` is shown.

Revision ID: 0092_notification_reported
Revises: 0091_notification_delivered_at
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0092_notification_reported"
down_revision: str | None = "0091_notification_delivered_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notification", sa.Column("reported", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("notification", "reported")
