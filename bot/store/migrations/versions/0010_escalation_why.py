"""Why a policy escalated, kept as data ({"because": "severity" | "route" | "timeout", ...})
instead of an English sentence in the escalation's reason: templates say it in the incident's
language. The reason keeps only a person's own words (``/incident escalate @x <reason>``).

Rows written before keep their reason text and no ``why``, and are shown as they always were.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("escalation", sa.Column("why", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    op.drop_column("escalation", "why")
