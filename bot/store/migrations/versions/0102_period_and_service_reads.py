"""Indexes for two reads that scanned: a period's pages by their moments (Insights' paging
figures and on-call load read the pages started in a period, the paging SLO those whose
alert arrived in it; SQLite read every alert group to find the few pages joined to them),
and a service's open alerts and incidents (its page, refreshed by every open tab: SQLite
read all the service's alerts, resolved ones too, or every incident of the workspace).

Revision ID: 0102_period_and_service_reads
Revises: 0101_alert_episodes
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0102_period_and_service_reads"
down_revision: str | None = "0101_alert_episodes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns), as bot/store/models declares them.
INDEXES = (
    ("ix_person_page_started_at", "person_page", ["started_at"]),
    ("ix_person_page_arrived_at", "person_page", ["arrived_at"]),
    ("ix_alert_group_service_state", "alert_group", ["service", "state"]),
    ("ix_incident_service_declared", "incident", ["service", "declared_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
