"""What inviting an escalation's people did (who was there already, whom Slack refused), so its
message names only those really brought in, however often it is shown again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("escalation", sa.Column("invitation", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("escalation", "invitation")
