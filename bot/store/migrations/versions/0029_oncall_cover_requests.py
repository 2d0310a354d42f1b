"""On-call cover requests: someone outside a schedule asking to be put on call waits for an
owner's Accept; the override an owner accepted says who accepted it.

Revision ID: 0029
Revises: 0026
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    with op.batch_alter_table("oncall_override") as batch:
        batch.add_column(sa.Column("accepted_by", sa.String(), nullable=True))
    op.create_table(
        "oncall_cover_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("start_at", utc, nullable=False),
        sa.Column("end_at", utc, nullable=False),
        sa.Column("status", sa.String(), nullable=False, server_default="pending"),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("answered_by", sa.String(), nullable=True),
        sa.Column("answered_at", utc, nullable=True),
        sa.Column(
            "override_id",
            sa.Integer(),
            sa.ForeignKey("oncall_override.id", name="fk_oncall_cover_request_override_id"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("oncall_cover_request")
    with op.batch_alter_table("oncall_override") as batch:
        batch.drop_column("accepted_by")
