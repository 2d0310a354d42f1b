"""Escalations to on-call schedules keep whom each schedule named at that instant
(``escalation.on_call``: [{"schedule", "user"}], user null when nobody was on call), beside
the people brought in; rows written before have none.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("escalation", sa.Column("on_call", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    op.drop_column("escalation", "on_call")
