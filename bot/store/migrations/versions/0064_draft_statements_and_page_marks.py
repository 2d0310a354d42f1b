"""The draft's last gaps filled by a person: what they say where the
record has nothing (who else was brought in, or nobody; that no path led the investigation
astray), and a message marked misleading or as the mitigation on the draft's page, kept as a
reaction of theirs with where it was given.

Revision ID: 0064
Revises: 0059
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0064"
down_revision: str | None = "0059"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "draft_statement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("none", sa.Boolean(), nullable=False),
        sa.Column("words", sa.Text(), nullable=True),
        sa.Column("words_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("said_by", sa.String(), nullable=False),
        sa.Column("said_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("said_where", sa.String(), nullable=False),
        sa.UniqueConstraint("incident_id", "kind", name="uq_draft_statement"),
    )
    op.create_index("ix_draft_statement_incident_id", "draft_statement", ["incident_id"])
    with op.batch_alter_table("reaction") as batch:
        batch.add_column(sa.Column("source", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reaction") as batch:
        batch.drop_column("source")
    op.drop_index("ix_draft_statement_incident_id", table_name="draft_statement")
    op.drop_table("draft_statement")
