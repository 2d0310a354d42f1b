"""Status page fan-out: a delivery row is claimed while it is being
sent (``sending_until``, by the database's clock), so a notice job run twice sends no row
twice; a subscription keeps the hashed client (an IPv4 address, an IPv6 /64) that signed it
up, for the per-client caps on waiting sign-ups and webhooks.

Revision ID: 0065
Revises: 0064
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0065"
down_revision: str | None = "0064"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_delivery") as batch:
        batch.add_column(sa.Column("sending_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("status_subscription") as batch:
        batch.add_column(sa.Column("client_key", sa.String(), nullable=True))
    op.create_index(
        "ix_status_subscription_client_key", "status_subscription", ["client_key"]
    )


def downgrade() -> None:
    op.drop_index("ix_status_subscription_client_key", table_name="status_subscription")
    with op.batch_alter_table("status_subscription") as batch:
        batch.drop_column("client_key")
    with op.batch_alter_table("status_delivery") as batch:
        batch.drop_column("sending_until")
