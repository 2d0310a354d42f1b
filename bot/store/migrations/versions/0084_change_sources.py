"""Change events from Slack's change channels and Argo CD: a message read in a
channel (WARROOM_CHANGE_CHANNELS) is kept with its channel and ts (its permalink is made from
them), and one that cannot be read is kept as raw text for no service: ``service`` may be
empty (NULL), never guessed.

Revision ID: 0084_change_sources
Revises: 0083_maintenance_components
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0084_change_sources"
down_revision: str | None = "0083_maintenance_components"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("change_event") as change_event:
        change_event.alter_column("service", existing_type=sa.String(), nullable=True)
        change_event.add_column(sa.Column("slack_channel", sa.String(), nullable=True))
        change_event.add_column(sa.Column("slack_ts", sa.String(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM change_event WHERE service IS NULL")
    with op.batch_alter_table("change_event") as change_event:
        change_event.drop_column("slack_ts")
        change_event.drop_column("slack_channel")
        change_event.alter_column("service", existing_type=sa.String(), nullable=False)
