"""An integration's SNS topic: a ``cloudwatch`` integration names the topic ARN
whose subscription it confirms and whose messages it takes.

Revision ID: 0078_integration_topic
Revises: 0077_search_words
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0078_integration_topic"
down_revision: str | None = "0077_search_words"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("integration") as integration:
        integration.add_column(sa.Column("topic", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("integration") as integration:
        integration.drop_column("topic")
