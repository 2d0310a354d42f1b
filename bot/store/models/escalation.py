"""The tables of escalations and the PagerDuty pages they send."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Integer, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from bot.store.columns import (
    KeepsSlackText,
    slack_text_column,
    utc_column,
)


class Escalation(KeepsSlackText, SQLModel, table=True):
    """One act of bringing people in: to a person, a user group, whoever an on-call schedule
    names, or a level of a policy."""

    SLACK_TEXT: ClassVar[frozenset[str]] = frozenset({"reason"})

    __table_args__ = (
        # A policy level is escalated to once per incident and round (a policy that repeats
        # runs its levels again), however many replicas race on it.
        UniqueConstraint(
            "incident_id", "policy", "policy_round", "level", name="uq_escalation_policy_level"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    target_kind: str  # user | usergroup | schedule | policy
    target_ref: str  # U..., S..., or the schedule's or the policy's name
    # A person's or a user group's label as people typed it; a policy's name (templates add
    # the level; rows from before 0010 keep "<policy> level <n>").
    target: str = Field(sa_column=Column(Text, nullable=False))
    policy: str | None = None
    level: int | None = None
    # Which time the policy runs its levels: 1, then 2 and on when it says ``repeat``.
    policy_round: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1))
    # A person's own words (``/incident escalate @x <reason>``); never a sentence of warroom's.
    reason: str = Field(default="", sa_column=slack_text_column())
    # Why a policy escalated by itself, as data templates say in the incident's language:
    # {"because": "severity", "severity", "policy"}, {"because": "route", "route", "policy"}
    # or {"because": "timeout", "level", "after_seconds"}. None: a person escalated, or the
    # row is from before 0010 (its reason says it all).
    why: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    requested_by: str | None = None  # None: the policy's timer escalated
    escalated_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Space-separated Slack user ids brought into the channel.
    notified_users: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Each on-call schedule the escalation reached and whom it named at that instant:
    # [{"schedule": "payments-primary", "user": "U..." or None (nobody was on call)}]. None:
    # no schedule was among its targets (and rows from before 0019).
    on_call: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    # What inviting them did, as JSON {"present": [ids], "refused": [[id, Slack's error]]};
    # None until the escalation's people were invited.
    invitation: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    message_ts: str | None = None
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column())
    acknowledged_by: str | None = None
    # Its answer as a person said it when the record had none (no acknowledgement, nobody it
    # brought in spoke): who said so, when and where (``page``: the draft's), and who
    # answered at what time (``said_answerer`` None: nobody answered). An acknowledgement
    # or a first message in the record wins over it.
    answer_said_by: str | None = None
    answer_said_at: datetime | None = Field(default=None, sa_column=utc_column())
    answer_said_where: str | None = None
    said_answerer: str | None = None
    said_answered_at: datetime | None = Field(default=None, sa_column=utc_column())

    @property
    def users(self) -> list[str]:
        return self.notified_users.split()

    def record_invitation(self, present: Sequence[str], refused: Sequence[tuple[str, str]]) -> None:
        """Keep what inviting did, the first time only: a second invitation (the message
        posted again) finds everyone there and must not say so."""
        if self.invitation is None:
            self.invitation = json.dumps(
                {"present": list(present), "refused": [list(pair) for pair in refused]}
            )

    @property
    def found_present(self) -> list[str]:
        """Those it reached who were in the channel already."""
        return [str(user) for user in self._invitation().get("present", [])]

    @property
    def refused_invites(self) -> list[tuple[str, str]]:
        """Those Slack would not bring in, with its reason."""
        return [(str(user), str(error)) for user, error in self._invitation().get("refused", [])]

    @property
    def brought_in(self) -> list[str]:
        """The people this escalation really invited."""
        if self.invitation is None:
            return []
        left_out = set(self.found_present) | {user for user, _ in self.refused_invites}
        return [user for user in self.users if user not in left_out]

    def _invitation(self) -> dict[str, Any]:
        return json.loads(self.invitation) if self.invitation else {}


class Page(SQLModel, table=True):
    """A PagerDuty alert warroom opened for an escalation, and where it stands."""

    __table_args__ = (
        UniqueConstraint("routing_key_env", "dedup_key", name="uq_page_routing_dedup"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    service: str
    routing_key_env: str
    dedup_key: str
    # pending -> triggered -> acknowledged -> resolved, or failed
    state: str = "pending"
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
