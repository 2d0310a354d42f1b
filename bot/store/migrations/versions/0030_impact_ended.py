"""Impact ended: a milestone of its own, apart from the resolution (the resolve command is
often typed long after the service came back, and the draft's duration is the impact's);
and the questions asked in a marked message's thread for the draft, with their answers.

Revision ID: 0030
Revises: 0032
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("ended_at", utc, nullable=True))
    op.create_table(
        "draft_prompt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incident.id", name="fk_draft_prompt_incident_id"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("prompt_ts", sa.String(), nullable=True),
        sa.Column("asked_at", utc, nullable=False),
        sa.Column("answer", sa.String(), nullable=True),
        sa.Column("idea_ts", sa.String(), nullable=True),
        sa.Column("answered_by", sa.String(), nullable=True),
        sa.Column("answered_at", utc, nullable=True),
        sa.UniqueConstraint("channel", "ts", "kind", name="uq_draft_prompt"),
    )
    op.create_index("ix_draft_prompt_incident_id", "draft_prompt", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_draft_prompt_incident_id", table_name="draft_prompt")
    op.drop_table("draft_prompt")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("ended_at")
