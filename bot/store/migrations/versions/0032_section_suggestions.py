"""Suggestions from the team's model for the postmortem draft's written sections: each time it
was asked and how it went, the sentences it suggested (checked against the record), and which
person's accepted text came from which suggestion.

Revision ID: 0032
Revises: 0035
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_suggestion_request(utc: sa.DateTime) -> None:
    """The ``suggestion_request`` table and its indexes."""
    op.create_table(
        "suggestion_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incident.id", name="fk_suggestion_request_incident_id"),
            nullable=False,
        ),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("asked_by", sa.String(), nullable=True),
        sa.Column("asked_at", utc, nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("failure", sa.JSON(none_as_null=True), nullable=True),
        sa.UniqueConstraint("key", name="uq_suggestion_request_key"),
    )
    op.create_index("ix_suggestion_request_incident_id", "suggestion_request", ["incident_id"])


def _create_section_suggestion(utc: sa.DateTime) -> None:
    """The ``section_suggestion`` table and its indexes."""
    op.create_table(
        "section_suggestion",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer(),
            sa.ForeignKey("suggestion_request.id", name="fk_section_suggestion_request_id"),
            nullable=False,
        ),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incident.id", name="fk_section_suggestion_incident_id"),
            nullable=False,
        ),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("sentences", sa.JSON(), nullable=False),
        sa.Column("unsupported", sa.JSON(), nullable=False),
        sa.Column("made_at", utc, nullable=False),
        sa.Column("accepted_by", sa.String(), nullable=True),
        sa.Column("accepted_at", utc, nullable=True),
    )
    op.create_index(
        "ix_section_suggestion_section", "section_suggestion", ["incident_id", "section", "id"]
    )


def _alter_postmortem_edit() -> None:
    """The ``postmortem_edit`` table's new columns."""
    with op.batch_alter_table("postmortem_edit") as batch:
        batch.add_column(
            sa.Column(
                "suggestion_id",
                sa.Integer(),
                sa.ForeignKey("section_suggestion.id", name="fk_postmortem_edit_suggestion_id"),
                nullable=True,
            )
        )


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    _create_suggestion_request(utc)
    _create_section_suggestion(utc)
    _alter_postmortem_edit()


def downgrade() -> None:
    with op.batch_alter_table("postmortem_edit") as batch:
        batch.drop_column("suggestion_id")
    op.drop_index("ix_section_suggestion_section", "section_suggestion")
    op.drop_table("section_suggestion")
    op.drop_index("ix_suggestion_request_incident_id", "suggestion_request")
    op.drop_table("suggestion_request")
