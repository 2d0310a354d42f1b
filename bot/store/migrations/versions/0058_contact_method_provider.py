"""Which company carries an SMS or a call a person added from Slack: ``/oncall contact add
sms +33… via vonage`` keeps ``vonage``; empty (NULL) is Twilio, as before.

Revision ID: 0058
Revises: 0054
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0058"
down_revision: str | None = "0056"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_method") as batch:
        batch.add_column(sa.Column("provider", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_method") as batch:
        batch.drop_column("provider")
