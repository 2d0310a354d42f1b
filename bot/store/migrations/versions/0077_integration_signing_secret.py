"""An integration of a signed kind keeps its key as given (Sentry's client secret: a body's
HMAC is checked with it); every other kind's stays SHA-256 only.

Revision ID: 0077_integration_signing_secret
Revises: 0076_integrations
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0077_integration_signing_secret"
down_revision: str | None = "0076_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("integration") as integration:
        integration.add_column(sa.Column("signing_secret", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("integration") as integration:
        integration.drop_column("signing_secret")
