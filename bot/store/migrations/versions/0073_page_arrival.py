"""A page keeps when what started it reached warroom: the alert's HTTP request or
the ``/incident start`` command, from which the paging SLI counts.

Revision ID: 0073_page_arrival
Revises: 0072_alert_worklist
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0073_page_arrival"
down_revision: str | None = "0072_alert_worklist"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person_page") as page:
        page.add_column(sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person_page") as page:
        page.drop_column("arrived_at")
