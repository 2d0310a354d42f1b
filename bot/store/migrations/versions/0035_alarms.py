"""Escalations that repeat: which round of its policy an escalation belongs to, each level
escalated to once per round.

Revision ID: 0035
Revises: 0029
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalation") as batch:
        batch.add_column(
            sa.Column("policy_round", sa.Integer(), nullable=False, server_default="1")
        )
        batch.drop_constraint("uq_escalation_policy_level", type_="unique")
        batch.create_unique_constraint(
            "uq_escalation_policy_level", ["incident_id", "policy", "policy_round", "level"]
        )


def downgrade() -> None:
    with op.batch_alter_table("escalation") as batch:
        batch.drop_constraint("uq_escalation_policy_level", type_="unique")
        batch.create_unique_constraint(
            "uq_escalation_policy_level", ["incident_id", "policy", "level"]
        )
        batch.drop_column("policy_round")
