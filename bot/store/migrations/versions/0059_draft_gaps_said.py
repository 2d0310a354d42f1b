"""The draft's gaps filled by a person: what ruled a misleading idea out,
said at the idea's own question (a message picked from those after it, and/or their words
with an optional time, and where they said it); an escalation's answer said by a person when
the record has none (who answered and when, or that nobody did).

Revision ID: 0059
Revises: 0055
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0059"
down_revision: str | None = "0055"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("draft_prompt") as batch:
        batch.add_column(sa.Column("ended_ts", sa.String(), nullable=True))
        batch.add_column(sa.Column("words", sa.Text(), nullable=True))
        batch.add_column(sa.Column("words_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("answered_where", sa.String(), nullable=True))
    with op.batch_alter_table("escalation") as batch:
        batch.add_column(sa.Column("answer_said_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("answer_said_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("answer_said_where", sa.String(), nullable=True))
        batch.add_column(sa.Column("said_answerer", sa.String(), nullable=True))
        batch.add_column(sa.Column("said_answered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalation") as batch:
        for name in (
            "said_answered_at",
            "said_answerer",
            "answer_said_where",
            "answer_said_at",
            "answer_said_by",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("draft_prompt") as batch:
        for name in ("answered_where", "words_at", "words", "ended_ts"):
            batch.drop_column(name)
