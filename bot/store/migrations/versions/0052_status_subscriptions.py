"""Status page subscribers: customers subscribed by e-mail (double opt-in) or webhook, the
sign-ups their rate limits count, and each notice's delivery to each subscriber.

Revision ID: 0052
Revises: 0050
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0052"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "status_subscription",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("address_key", sa.String(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("confirm_hash", sa.String(), nullable=True, unique=True),
        sa.Column("confirm_sent_at", utc, nullable=True),
        sa.Column("unsubscribe_token", sa.String(), nullable=False, unique=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("confirmed_at", utc, nullable=True),
        sa.Column("unsubscribed_at", utc, nullable=True),
        sa.Column("bounced_at", utc, nullable=True),
        sa.UniqueConstraint("kind", "address_key", name="uq_status_subscription_address"),
    )
    op.create_table(
        "status_sign_up",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_key", sa.String(), nullable=False),
        sa.Column("address_key", sa.String(), nullable=False),
        sa.Column("at", utc, nullable=False),
    )
    op.create_index("ix_status_sign_up_client_key", "status_sign_up", ["client_key"])
    op.create_index("ix_status_sign_up_address_key", "status_sign_up", ["address_key"])
    op.create_table(
        "status_delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "subscription_id",
            sa.Integer(),
            sa.ForeignKey("status_subscription.id", name="fk_status_delivery_subscription_id"),
            nullable=False,
        ),
        sa.Column("notice", sa.String(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("sent_at", utc, nullable=True),
        sa.Column("gave_up_at", utc, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("subscription_id", "notice", name="uq_status_delivery_notice"),
    )
    op.create_index("ix_status_delivery_notice", "status_delivery", ["notice"])


def downgrade() -> None:
    op.drop_index("ix_status_delivery_notice", table_name="status_delivery")
    op.drop_table("status_delivery")
    op.drop_index("ix_status_sign_up_address_key", table_name="status_sign_up")
    op.drop_index("ix_status_sign_up_client_key", table_name="status_sign_up")
    op.drop_table("status_sign_up")
    op.drop_table("status_subscription")
