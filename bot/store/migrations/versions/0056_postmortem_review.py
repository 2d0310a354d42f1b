"""The postmortem's review state: draft, in review or published, with who moved it last and
when (the moves themselves are timeline entries of kind ``review``).

Revision ID: 0056
Revises: 0054
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0056"
down_revision: str | None = "0054"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(
            sa.Column(
                "postmortem_review", sa.String(), nullable=False, server_default="draft"
            )
        )
        batch.add_column(sa.Column("postmortem_review_by", sa.String(), nullable=True))
        batch.add_column(
            sa.Column("postmortem_review_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("postmortem_review_at")
        batch.drop_column("postmortem_review_by")
        batch.drop_column("postmortem_review")
