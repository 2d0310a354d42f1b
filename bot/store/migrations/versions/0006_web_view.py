"""The web view: private incidents, and people's edits of postmortem sections.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as incident:
        incident.add_column(
            sa.Column("is_private", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "postmortem_edit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_postmortem_edit_section", "postmortem_edit", ["incident_id", "section", "id"]
    )


def downgrade() -> None:
    op.drop_table("postmortem_edit")
    with op.batch_alter_table("incident") as incident:
        incident.drop_column("is_private")
