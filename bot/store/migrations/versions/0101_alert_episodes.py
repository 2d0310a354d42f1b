"""An alert's episodes as rows (``alert_episode``): one per episode of a ``page`` route's
group, with that episode's facts, so a past episode stays readable once the next begins.
Each existing alert's current episode becomes its first row (earlier ones were not kept).

Revision ID: 0101_alert_episodes
Revises: 0100_change_stamp_families
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101_alert_episodes"
down_revision: str | None = "0100_change_stamp_families"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The facts an episode holds, named as ``alert_group`` names them at this revision.
FACTS = (
    "episode",
    "state",
    "title",
    "severity",
    "policy",
    "fired_count",
    "triggered_at",
    "acknowledged_at",
    "acknowledged_by",
    "acknowledged_via",
    "resolved_at",
    "resolved_by",
    "message_channel",
    "message_ts",
    "snoozed_until",
    "snoozed_by",
    "snoozed_at",
    "cycle",
    "level_round",
    "level",
    "escalated_by",
    "escalated_at",
    "escalated_level",
    "escalated_to",
    "urgency",
    "waits_until",
    "joined_to",
    "joined_episode",
    "last_fired_at",
    "flips",
    "flapping_since",
    "resolved_after",
    "policy_gone",
    "incident_id",
    "attached_at",
    "attached_by",
    "shadow",
)
_EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    moment = sa.DateTime(timezone=True)
    op.create_table(
        "alert_episode",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("alert_group.id"), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(), nullable=True),
        sa.Column("policy", sa.String(), nullable=True),
        sa.Column("fired_count", sa.Integer(), nullable=False),
        sa.Column("triggered_at", moment, nullable=True),
        sa.Column("acknowledged_at", moment, nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        sa.Column("acknowledged_via", sa.String(), nullable=True),
        sa.Column("resolved_at", moment, nullable=True),
        sa.Column("resolved_by", sa.String(), nullable=True),
        sa.Column("message_channel", sa.String(), nullable=True),
        sa.Column("message_ts", sa.String(), nullable=True),
        sa.Column("snoozed_until", moment, nullable=True),
        sa.Column("snoozed_by", sa.String(), nullable=True),
        sa.Column("snoozed_at", moment, nullable=True),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("level_round", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("escalated_by", sa.String(), nullable=True),
        sa.Column("escalated_at", moment, nullable=True),
        sa.Column("escalated_level", sa.Integer(), nullable=True),
        sa.Column("escalated_to", sa.String(), nullable=True),
        sa.Column("urgency", sa.Text(), nullable=False),
        sa.Column("waits_until", moment, nullable=True),
        sa.Column("joined_to", sa.Integer(), nullable=True),
        sa.Column("joined_episode", sa.Integer(), nullable=True),
        sa.Column("last_fired_at", moment, nullable=True),
        sa.Column("flips", sa.Text(), nullable=False),
        sa.Column("flapping_since", moment, nullable=True),
        sa.Column("resolved_after", sa.Integer(), nullable=True),
        sa.Column("policy_gone", sa.String(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("attached_at", moment, nullable=True),
        sa.Column("attached_by", sa.String(), nullable=True),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("group_id", "episode", name="uq_alert_episode"),
    )
    op.create_index("ix_alert_episode_group_id", "alert_episode", ["group_id"])
    names = ", ".join(f'"{name}"' for name in FACTS)
    op.execute(
        f'INSERT INTO alert_episode (group_id, {names}) SELECT id, {names} FROM alert_group'
        " WHERE episode >= 1"
    )
    _stamped()


# The alerts' family of change stamps (0100: family 2, its slots 32 to 47; SQLite's the first).
ALERTS_FAMILY, ALERTS_FIRST_SLOT = 2, 32


def _stamped() -> None:
    """Its writes bump the alerts' change stamp, as its group's do (0098, 0100)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE CONSTRAINT TRIGGER change_stamp AFTER INSERT OR UPDATE OR DELETE"
            ' ON "alert_episode" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW'
            f" EXECUTE FUNCTION change_stamp_bump({ALERTS_FAMILY})"
        )
        return
    for event in _EVENTS:
        op.execute(
            f'CREATE TRIGGER "change_stamp_alert_episode_{event.lower()}" AFTER {event}'
            ' ON "alert_episode" BEGIN UPDATE change_stamp SET version = version + 1'
            f" WHERE slot = {ALERTS_FIRST_SLOT}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('DROP TRIGGER IF EXISTS change_stamp ON "alert_episode"')
    else:
        for event in _EVENTS:
            op.execute(f'DROP TRIGGER IF EXISTS "change_stamp_alert_episode_{event.lower()}"')
    op.drop_index("ix_alert_episode_group_id", table_name="alert_episode")
    op.drop_table("alert_episode")
