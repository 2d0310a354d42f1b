"""The status pages: incidents made public with their components, and the updates published
about them (on warroom's /status and, when configured, Atlassian Statuspage).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "public_incident",
        sa.Column(
            "incident_id", sa.Integer(), sa.ForeignKey("incident.id"), primary_key=True
        ),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("made_public_by", sa.String(), nullable=False),
        sa.Column("made_public_at", utc, nullable=False),
        sa.Column("withdrawn_at", utc, nullable=True),
        sa.Column("statuspage_id", sa.String(), nullable=True),
    )
    op.create_table(
        "public_update",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("public_incident.incident_id"),
            nullable=False,
        ),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("published_by", sa.String(), nullable=True),
        sa.Column("published_at", utc, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("edited_at", utc, nullable=True),
        sa.Column("statuspage_update_id", sa.String(), nullable=True),
        sa.Column("statuspage_revision", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("statuspage_at", utc, nullable=True),
        sa.Column("statuspage_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_public_update_incident_id", "public_update", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_public_update_incident_id", "public_update")
    op.drop_table("public_update")
    op.drop_table("public_incident")
