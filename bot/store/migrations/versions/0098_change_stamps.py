"""Change stamps (``change_stamp``): a count of the transactions that changed what the web
view shows, bumped by a trigger on each such table in the writing transaction itself, so a
live page's refresh can tell "nothing changed" with one sum instead of its page's queries,
on every replica sharing the database and whatever path wrote (the ORM, plain statements,
SQLite's one-hop driver).

SQLite: each written row bumps the one slot (SQLite writes one transaction at a time).
PostgreSQL: a deferred trigger bumps once per transaction, at its commit, the slot its
transaction id picks among 16, so concurrent writers hold a row lock only while committing
and seldom the same row; a transaction-local setting skips every row after its first.

Revision ID: 0098_change_stamps
Revises: 0097_given_up_vendor_id
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0098_change_stamps"
down_revision: str | None = "0097_given_up_vendor_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOTS = 16
# Every table a page may show at this revision; not the bookkeeping no page shows (jobs,
# the outbox, Slack's retries, an agent token's every use), written all the time.
STAMPED = (
    "ack_token",
    "action_item",
    "admin_change",
    "agent_call",
    "agent_token",
    "alert",
    "alert_escalation",
    "alert_group",
    "alert_note",
    "alert_payload",
    "cause_grade",
    "cause_request",
    "cause_vote",
    "change_event",
    "channel_links",
    "channel_message",
    "contact_code",
    "contact_method",
    "draft_prompt",
    "draft_statement",
    "drill_check",
    "drill_choice",
    "escalation",
    "follow_up_alike",
    "follow_up_merge",
    "heartbeat",
    "incident",
    "incident_field_change",
    "incident_field_value",
    "incident_role",
    "integration",
    "lessons_prompt",
    "line_change",
    "maintenance_window",
    "message_revision",
    "milestone_change",
    "notification",
    "notification_rules",
    "oncall_calendar_token",
    "oncall_cover_request",
    "oncall_ical_copy",
    "oncall_leave",
    "oncall_leave_feed",
    "oncall_override",
    "oncall_swap",
    "page",
    "page_test",
    "person",
    "person_page",
    "possible_cause",
    "postmortem_edit",
    "proposed_note",
    "public_incident",
    "public_update",
    "reaction",
    "routed_call",
    "section_suggestion",
    "shadow_report",
    "shown_once",
    "silenced_alert",
    "slack_installation",
    "status_delivery",
    "status_sign_up",
    "status_subscription",
    "suggestion_request",
    "timeline_entry",
    "tracker_issue",
)
_EVENTS = ("INSERT", "UPDATE", "DELETE")
_PG_FUNCTION = f"""
CREATE FUNCTION change_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('warroom.change_stamped', true) IS DISTINCT FROM '1' THEN
    PERFORM set_config('warroom.change_stamped', '1', true);
    INSERT INTO change_stamp (slot, version) VALUES (txid_current() % {SLOTS}, 1)
      ON CONFLICT (slot) DO UPDATE SET version = change_stamp.version + 1;
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "change_stamp",
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("slot"),
    )
    op.bulk_insert(
        sa.table("change_stamp", sa.column("slot"), sa.column("version")),
        [{"slot": slot, "version": 0} for slot in range(SLOTS)],
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(_PG_FUNCTION)
    for table in STAMPED:
        if postgresql:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER change_stamp AFTER INSERT OR UPDATE OR DELETE"
                f' ON "{table}" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW'
                " EXECUTE FUNCTION change_stamp_bump()"
            )
            continue
        for event in _EVENTS:
            op.execute(
                f'CREATE TRIGGER "change_stamp_{table}_{event.lower()}" AFTER {event}'
                f' ON "{table}" BEGIN'
                " UPDATE change_stamp SET version = version + 1 WHERE slot = 0; END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in STAMPED:
        if postgresql:
            op.execute(f'DROP TRIGGER IF EXISTS change_stamp ON "{table}"')
            continue
        for event in _EVENTS:
            op.execute(f'DROP TRIGGER IF EXISTS "change_stamp_{table}_{event.lower()}"')
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS change_stamp_bump()")
    op.drop_table("change_stamp")
