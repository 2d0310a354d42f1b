"""On-call overrides of one layer, and overrides that put nobody on call (a deliberate gap):
``oncall_override.layer`` names the layer (null: the whole schedule, as before), and
``user_id`` may be null (nobody).

Revision ID: 0033
Revises: 0034
Create Date: 2026-11-26
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("oncall_override") as batch:
        batch.add_column(sa.Column("layer", sa.String(), nullable=True))
        batch.alter_column("user_id", existing_type=sa.String(), nullable=True)


def downgrade() -> None:
    # Before this revision an override took the whole schedule and named someone: one of a
    # layer, or of nobody, would read as something else. They stay in the record, cancelled
    # by the downgrade (rows are never deleted), nobody's with an empty user.
    override = sa.table(
        "oncall_override",
        sa.column("user_id", sa.String()),
        sa.column("layer", sa.String()),
        sa.column("cancelled_at", sa.DateTime(timezone=True)),
        sa.column("cancelled_by", sa.String()),
    )
    other = sa.or_(override.c.layer.is_not(None), override.c.user_id.is_(None))
    op.execute(
        override.update()
        .where(other, override.c.cancelled_at.is_(None))
        .values(cancelled_at=datetime.now(UTC), cancelled_by="migration 0033 downgrade")
    )
    op.execute(override.update().where(override.c.user_id.is_(None)).values(user_id=""))
    with op.batch_alter_table("oncall_override") as batch:
        batch.alter_column("user_id", existing_type=sa.String(), nullable=False)
        batch.drop_column("layer")
