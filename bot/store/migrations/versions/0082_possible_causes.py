"""Possible causes: the model's requests for causes, the causes
that passed the checks, people's 👍/👎 on them, and every proposal's grade once the root
cause is known.

Revision ID: 0082_possible_causes
Revises: 0081_admin_audit
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0082_possible_causes"
down_revision: str | None = "0081_admin_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _incident() -> sa.Column[int]:
    return sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=False)


def _create_cause_request(utc: sa.DateTime) -> None:
    """The ``cause_request`` table and its indexes."""
    op.create_table(
        "cause_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        _incident(),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("asked_at", utc, nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("failure", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.UniqueConstraint("key", name="uq_cause_request_key"),
    )
    op.create_index("ix_cause_request_incident_id", "cause_request", ["incident_id"])


def _create_possible_cause(utc: sa.DateTime) -> None:
    """The ``possible_cause`` table and its indexes."""
    op.create_table(
        "possible_cause",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("cause_request.id"), nullable=False),
        _incident(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("cites", sa.JSON(), nullable=False),
        sa.Column("held_by", sa.JSON(), nullable=False),
        sa.Column("quote", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("proposed_by", sa.String(), nullable=False),
        sa.Column("theory_by", sa.String(), nullable=True),
        sa.Column("theory_at", utc, nullable=True),
    )
    op.create_index("ix_possible_cause_request_id", "possible_cause", ["request_id"])
    op.create_index("ix_possible_cause_incident_id", "possible_cause", ["incident_id"])


def _create_cause_vote(utc: sa.DateTime) -> None:
    """The ``cause_vote`` table."""
    op.create_table(
        "cause_vote",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cause_id", sa.Integer(), sa.ForeignKey("possible_cause.id"), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("vote", sa.Integer(), nullable=False),
        sa.Column("at", utc, nullable=False),
        sa.UniqueConstraint("cause_id", "user_id", name="uq_cause_vote_person"),
    )


def _create_cause_grade(utc: sa.DateTime) -> None:
    """The ``cause_grade`` table and its indexes."""
    op.create_table(
        "cause_grade",
        sa.Column("id", sa.Integer(), primary_key=True),
        _incident(),
        sa.Column("cause_id", sa.Integer(), sa.ForeignKey("possible_cause.id"), nullable=True),
        sa.Column(
            "suggestion_id", sa.Integer(), sa.ForeignKey("section_suggestion.id"), nullable=True
        ),
        sa.Column("proposer", sa.String(), nullable=False),
        sa.Column("proposer_kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("proposed", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("grader", sa.String(), nullable=True),
        sa.Column("graded_at", utc, nullable=False),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("confirmed_by", sa.String(), nullable=True),
        sa.Column("confirmed_at", utc, nullable=True),
        sa.UniqueConstraint("cause_id", name="uq_cause_grade_cause"),
        sa.UniqueConstraint("suggestion_id", name="uq_cause_grade_suggestion"),
    )
    op.create_index("ix_cause_grade_incident_id", "cause_grade", ["incident_id"])


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    _create_cause_request(utc)
    _create_possible_cause(utc)
    _create_cause_vote(utc)
    _create_cause_grade(utc)


def downgrade() -> None:
    op.drop_index("ix_cause_grade_incident_id", "cause_grade")
    op.drop_table("cause_grade")
    op.drop_table("cause_vote")
    op.drop_index("ix_possible_cause_incident_id", "possible_cause")
    op.drop_index("ix_possible_cause_request_id", "possible_cause")
    op.drop_table("possible_cause")
    op.drop_index("ix_cause_request_incident_id", "cause_request")
    op.drop_table("cause_request")
