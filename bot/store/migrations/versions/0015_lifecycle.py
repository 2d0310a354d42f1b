"""The app's lifecycle in Slack: writes set aside until a person mends them, and workspaces
whose app is uninstalled (nothing is sent there until it is installed again).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "slack_installation",
        sa.Column("team_id", sa.String(), primary_key=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("slack_installation")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("set_aside_at")
