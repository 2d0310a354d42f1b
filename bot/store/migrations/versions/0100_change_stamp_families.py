"""Change stamps by family of tables (``change_stamp``): a write to the alerts no longer
changes the stamp an open incident list is read against, and so on. Each stamped table
belongs to one family (below); its triggers bump that family's slots only. The slots of
family ``f`` are ``f * 16`` to ``f * 16 + 15`` (SQLite uses the first alone, as before;
PostgreSQL's deferred trigger picks one by transaction id, and remembers per family, in a
transaction-local setting, that its transaction has bumped it). A table added later picks
its family in its own migration; one left out of ``FAMILIES`` here is ``other``.

Revision ID: 0100_change_stamp_families
Revises: 0099_alert_group_triggered_at
Create Date: 2026-11-30
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0100_change_stamp_families"
down_revision: str | None = "0099_alert_group_triggered_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOTS = 16
# The families, by number (bot/store/change_stamps.py's Family, which pages read).
INCIDENTS, TIMELINE, ALERTS, ONCALL, PEOPLE, OTHER = range(6)
FAMILIES = {
    # An incident itself: its row, fields, roles (what a list of incidents names).
    INCIDENTS: (
        "incident",
        "incident_field_change",
        "incident_field_value",
        "incident_role",
        "milestone_change",
        "public_incident",
    ),
    # What is written in an incident's life: its timeline, channel, follow-ups, causes, draft.
    TIMELINE: (
        "action_item",
        "cause_grade",
        "cause_request",
        "cause_vote",
        "channel_links",
        "channel_message",
        "draft_prompt",
        "draft_statement",
        "escalation",
        "follow_up_alike",
        "follow_up_merge",
        "lessons_prompt",
        "line_change",
        "message_revision",
        "page",
        "possible_cause",
        "postmortem_edit",
        "proposed_note",
        "public_update",
        "reaction",
        "section_suggestion",
        "suggestion_request",
        "timeline_entry",
        "tracker_issue",
    ),
    # Alerts and the paging they start.
    ALERTS: (
        "ack_token",
        "alert",
        "alert_escalation",
        "alert_group",
        "alert_note",
        "alert_payload",
        "contact_code",
        "heartbeat",
        "integration",
        "maintenance_window",
        "notification",
        "person_page",
        "routed_call",
        "shadow_report",
        "silenced_alert",
    ),
    ONCALL: (
        "contact_method",
        "notification_rules",
        *(
            f"oncall_{name}"
            for name in ("calendar_token", "cover_request", "ical_copy", "leave", "leave_feed")
        ),
        "oncall_override",
        "oncall_swap",
    ),
    # Who people are (names, zones) and the workspace.
    PEOPLE: ("person", "slack_installation"),
}
# Every table the triggers of 0098 stamp (the same list).
STAMPED = (
    *(table for tables in FAMILIES.values() for table in tables),
    "admin_change",
    "agent_call",
    "agent_token",
    "change_event",
    "drill_check",
    "drill_choice",
    "page_test",
    "shown_once",
    "status_delivery",
    "status_sign_up",
    "status_subscription",
)
# Every slot's row is there (0098's and the upgrade's): an UPDATE, no insert.
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION change_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  done text := 'warroom.change_stamped_' || TG_ARGV[0];
BEGIN
  IF current_setting(done, true) = '1' THEN
    RETURN NULL;  -- this transaction has bumped this family already
  END IF;
  PERFORM set_config(done, '1', true);
  UPDATE change_stamp SET version = version + 1
    WHERE slot = TG_ARGV[0]::integer * {SLOTS} + txid_current() % {SLOTS};
  RETURN NULL;
END $$
"""


def family_of(table: str) -> int:
    return next((f for f, tables in FAMILIES.items() if table in tables), OTHER)


def upgrade() -> None:
    op.bulk_insert(
        sa.table("change_stamp", sa.column("slot"), sa.column("version")),
        [
            {"slot": family * SLOTS + slot, "version": 0}
            for family in range(1, OTHER + 1)
            for slot in range(SLOTS)
        ],
    )
    _stamp_by(family_of)


def downgrade() -> None:
    # Every table back on the first family's slots, 0098's; the others' rows dropped.
    _stamp_by(lambda table: 0)
    # The other families' counts kept in the sum, so that it never goes back to one a tab holds.
    op.execute(
        sa.text(
            "UPDATE change_stamp SET version = version + (SELECT coalesce(sum(version), 0)"
            f" FROM change_stamp WHERE slot >= {SLOTS}) WHERE slot = 0"
        )
    )
    op.execute(sa.text(f"DELETE FROM change_stamp WHERE slot >= {SLOTS}"))


def _stamp_by(family: Callable[[str], int]) -> None:
    """Each stamped table's triggers made again, bumping the slots of ``family(table)``."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(_PG_FUNCTION)
    for table in STAMPED:
        statements = _pg_trigger(table, family(table)) if postgresql else []
        if not postgresql:
            statements = _sqlite_triggers(table, family(table) * SLOTS)
        for statement in statements:
            op.execute(statement)


def _pg_trigger(table: str, family: int) -> list[str]:
    """The deferred trigger, once per transaction and family at its commit (the setting)."""
    made = (
        f'CREATE CONSTRAINT TRIGGER change_stamp AFTER INSERT OR UPDATE OR DELETE ON "{table}"'
        f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION change_stamp_bump({family})"
    )
    return [f'DROP TRIGGER IF EXISTS change_stamp ON "{table}"', made]


def _sqlite_triggers(table: str, slot: int) -> list[str]:
    """One trigger per kind of write, bumping the family's one slot for each row written."""
    statements = []
    for event in ("insert", "update", "delete"):
        name = f"change_stamp_{table}_{event}"
        statements += [
            f'DROP TRIGGER IF EXISTS "{name}"',
            f'CREATE TRIGGER "{name}" AFTER {event.upper()} ON "{table}" BEGIN UPDATE'
            f" change_stamp SET version = version + 1 WHERE slot = {slot}; END",
        ]
    return statements
