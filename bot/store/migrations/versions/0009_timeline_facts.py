"""What warroom's own timeline entries record, kept as data (people as user ids, severities,
statuses, escalation targets, alerts) instead of an English sentence with Slack markup in it:
templates make the sentence in each language and for each output.

Rows written before keep their text and no facts, and are shown as they always were.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("timeline_entry", sa.Column("facts", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    op.drop_column("timeline_entry", "facts")
