"""Admin on the web: the admin record (``admin_change``: who changed a
token, an integration or a contact method, when and why) and who made each token and
integration on the web (``created_by``).

Revision ID: 0081_admin_audit
Revises: 0080_shadow
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0081_admin_audit"
down_revision: str | None = "0080_shadow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(), nullable=False),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_admin_change_at", "admin_change", ["at"])
    for table in ("agent_token", "integration"):
        with op.batch_alter_table(table) as each:
            each.add_column(sa.Column("created_by", sa.String(), nullable=True))


def downgrade() -> None:
    for table in ("integration", "agent_token"):
        with op.batch_alter_table(table) as each:
            each.drop_column("created_by")
    op.drop_index("ix_admin_change_at", table_name="admin_change")
    op.drop_table("admin_change")
