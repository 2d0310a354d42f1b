"""A public maintenance window names the status page's components it touches (the card
shows them); and the lines the draft's page added to the record (an impact,
a cause, a follow-up) edited or removed there, each change a row of its own (who,
when, the words before and after; none after: removed).

Revision ID: 0083_maintenance_components
Revises: 0082_possible_causes
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0083_maintenance_components"
down_revision: str | None = "0082_possible_causes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("maintenance_window") as window:
        window.add_column(sa.Column("components", sa.JSON(), nullable=True))
    op.create_table(
        "line_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("line", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("previous", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_line_change_line", "line_change", ["incident_id", "line", "id"])


def downgrade() -> None:
    op.drop_index("ix_line_change_line", table_name="line_change")
    op.drop_table("line_change")
    with op.batch_alter_table("maintenance_window") as window:
        window.drop_column("components")
