"""Follow-ups with due dates, marked done by a person; the day-after lessons question to each
participant of a resolved incident, with their answer.

Revision ID: 0031
Revises: 0030 (0029 on its own; 0030, impact ended, came with fix/draft)
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    with op.batch_alter_table("action_item") as batch:
        batch.add_column(sa.Column("due_at", utc, nullable=True))
        batch.add_column(sa.Column("done_at", utc, nullable=True))
        batch.add_column(sa.Column("done_by", sa.String(), nullable=True))
    op.create_index("ix_action_item_open", "action_item", ["done_at", "owner", "due_at"])
    op.create_table(
        "lessons_prompt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incident.id", name="fk_lessons_prompt_incident_id"),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("asked_at", utc, nullable=False),
        sa.Column("answered_at", utc, nullable=True),
        sa.Column("skipped_at", utc, nullable=True),
        sa.Column("went_well", sa.Text(), nullable=True),
        sa.Column("went_wrong", sa.Text(), nullable=True),
        sa.UniqueConstraint("incident_id", "user_id", name="uq_lessons_prompt_person"),
    )
    op.create_index("ix_lessons_prompt_incident_id", "lessons_prompt", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_lessons_prompt_incident_id", table_name="lessons_prompt")
    op.drop_table("lessons_prompt")
    op.drop_index("ix_action_item_open", table_name="action_item")
    with op.batch_alter_table("action_item") as batch:
        batch.drop_column("done_by")
        batch.drop_column("done_at")
        batch.drop_column("due_at")
