"""Verification codes people ask for (``/oncall contact add``), kept so every replica counts
them alike against the limits per person and per destination; and each method's wrong tries
at its code (void after 5).

Revision ID: 0038
Revises: 0036
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("destination", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_contact_code_user_id", "contact_code", ["user_id"])
    op.create_index("ix_contact_code_destination", "contact_code", ["destination"])
    with op.batch_alter_table("contact_method") as batch:
        batch.add_column(
            sa.Column("code_tries", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_method") as batch:
        batch.drop_column("code_tries")
    op.drop_index("ix_contact_code_destination", table_name="contact_code")
    op.drop_index("ix_contact_code_user_id", table_name="contact_code")
    op.drop_table("contact_code")
