"""The notes a sender adds to an alert (Opsgenie's "Add Note to Alert"): ``alert_note``, a row
each (its words, who, the request's source, when, in which episode, the stored request).

Revision ID: 0094_alert_notes
Revises: 0093_secrets_at_rest
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0094_alert_notes"
down_revision: str | None = "0093_secrets_at_rest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("alert_group.id"), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("noted_by", sa.String(), nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("via", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "payload_id", sa.Integer(), sa.ForeignKey("alert_payload.id"), nullable=True
        ),
    )
    op.create_index("ix_alert_note_group_id", "alert_note", ["group_id"])
    op.create_index("ix_alert_note_payload_id", "alert_note", ["payload_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_note_payload_id", table_name="alert_note")
    op.drop_index("ix_alert_note_group_id", table_name="alert_note")
    op.drop_table("alert_note")
