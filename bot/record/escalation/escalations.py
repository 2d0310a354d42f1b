"""Escalations, their acknowledgements and the pages they send. No Slack payloads in here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypedDict

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.record.incident.timeline import add_entry
from bot.store.db import insert_kept
from bot.store.models import Escalation, Incident, Page, TimelineKind


@dataclass(frozen=True)
class OnCall:
    """Whom an on-call schedule named when an escalation reached it (``user`` None: nobody
    was on call then)."""

    schedule: str
    user: str | None
    # A guest of the workspace (or someone Slack would not say is not one): named, never
    # brought in, and the channel is told why.
    guest: bool = False
    # The override that put ``user`` on call, when one did: who made it (``made_by``) and,
    # for someone outside the schedule, the owner who accepted it (``accepted_by``).
    override_id: int | None = None
    made_by: str | None = None
    accepted_by: str | None = None

    @property
    def reachable(self) -> str | None:
        """The person to bring in: ``user``, unless nobody or a guest."""
        return None if self.guest else self.user

    def stored(self) -> dict[str, Any]:
        """As ``Escalation.on_call`` keeps it: the schedule and the person, and the rest only
        when it says something."""
        kept: dict[str, Any] = {"schedule": self.schedule, "user": self.user}
        if self.guest:
            kept["guest"] = True
        if self.override_id is not None:
            kept["override"] = {
                "id": self.override_id,
                "made_by": self.made_by,
                "accepted_by": self.accepted_by,
            }
        return kept


class NothingToAcknowledge(BotError):
    template = "messages/nothing_to_acknowledge.j2"


class AlreadyAcknowledged(BotError):
    template = "messages/already_acknowledged.j2"


# Why a policy escalated by itself (``Escalation.why``), kept as data so each output says it
# in its own words: one shape per cause. A person escalating keeps no ``why`` (None), but
# from a phone, which it says.
class WhyType(TypedDict):
    """The incident's type escalates to the policy."""

    because: Literal["type"]
    type: str
    policy: str


class WhySeverity(TypedDict):
    """The incident's severity escalates to the policy."""

    because: Literal["severity"]
    severity: str
    policy: str


class WhyRoute(TypedDict):
    """The alert route that opened the incident names the policy (or none)."""

    because: Literal["route"]
    route: str
    policy: str | None


class WhyTimeout(TypedDict):
    """Nobody acknowledged level ``level`` within ``after_seconds``."""

    because: Literal["timeout"]
    level: int
    after_seconds: int


class WhyNobody(TypedDict):
    """Level ``level`` reached nobody (every schedule it names in a gap: everyone on call
    away, or nobody scheduled): the next level at once, not after the timeout."""

    because: Literal["nobody"]
    level: int


class WhyRepeat(TypedDict):
    """Nobody acknowledged the policy's last level within ``after_seconds``: it starts
    again from level 1, for the ``round``-th time."""

    because: Literal["repeat"]
    round: int
    after_seconds: int


class WhyWorkflow(TypedDict):
    """A workflow's escalate action; ``job`` is its job's key (a run again finds it)."""

    because: Literal["workflow"]
    workflow: str
    policy: str
    job: str


class WhyPhone(TypedDict):
    """The person paged at level ``level`` asked from their phone for the next level now:
    ``via`` sms (a reply of 2 or esc) or voice (2 pressed in the call). ``requested_by``
    names them."""

    because: Literal["phone"]
    via: str
    level: int


class WhyAlert(TypedDict, total=False):
    """Paged for an alert of its own before it became the incident's (its history, said in
    the draft's escalation table: never stored on an escalation row); ``by_hand``: escalated
    by a person (the line's ``requested_by``)."""

    because: Literal["alert"]
    alert: str
    by_hand: bool


Why = WhyType | WhySeverity | WhyRoute | WhyTimeout | WhyNobody | WhyRepeat | WhyWorkflow | WhyPhone


async def record_escalation(
    session: AsyncSession,
    incident: Incident,
    *,
    target_kind: str,
    target_ref: str,
    target: str,
    users: Sequence[str],
    reason: str,
    requested_by: str | None,
    at: datetime,
    policy: str | None = None,
    level: int | None = None,
    policy_round: int = 1,
    why: Why | None = None,
    on_call: Sequence[OnCall] = (),
) -> Escalation | None:
    """Record an escalation and its timeline entry (the caller commits).

    ``reason`` is a person's own words; ``why`` is why a policy escalated by itself, as data
    (see ``Escalation.why``), so the templates can say it in the incident's language.
    ``on_call``: whom each on-call schedule among the targets named (``Escalation.on_call``).
    None when this policy level was already escalated to (another replica got there first).
    """
    assert incident.id is not None
    escalation = Escalation(
        incident_id=incident.id,
        target_kind=target_kind,
        target_ref=target_ref,
        target=target,
        policy=policy,
        level=level,
        policy_round=policy_round,
        reason=reason,
        why=dict(why) if why is not None else None,
        requested_by=requested_by,
        escalated_at=at,
        notified_users=" ".join(dict.fromkeys(users)),
        on_call=[o.stored() for o in on_call] or None,
    )
    if not await insert_kept(session, escalation):
        return None
    _add_escalation_entry(session, incident, escalation)
    return escalation


def _add_escalation_entry(
    session: AsyncSession, incident: Incident, escalation: Escalation
) -> None:
    """The escalation's timeline entry: its reason, in the words of whoever asked."""
    add_entry(
        session,
        incident,
        kind=TimelineKind.ESCALATION,
        text=escalation.reason,
        facts=_escalated_facts(escalation),
        author=escalation.requested_by,
        occurred_at=escalation.escalated_at,
    )


async def escalations_of(session: AsyncSession, incident_id: int) -> Sequence[Escalation]:
    """Every escalation of the incident, oldest first."""
    statement = (
        select(Escalation)
        .where(col(Escalation.incident_id) == incident_id)
        .order_by(col(Escalation.escalated_at), col(Escalation.id))
    )
    return (await session.exec(statement)).all()


async def acknowledge(
    session: AsyncSession,
    incident: Incident,
    *,
    user_id: str,
    at: datetime,
    escalation_id: int | None = None,
    via: str | None = None,
) -> list[Escalation]:
    """Acknowledge escalations and record it (the caller commits); return those acknowledged.
    ``via``: how, when not in Slack (``sms``, ``voice``, ``ntfy``, ``email``).

    With an ``escalation_id`` (the button on its message) that one; otherwise the waiting
    escalations that brought ``user_id`` in, or, if none did, every waiting one: whoever
    answers for the team (or for a pager) acknowledges for it. With none waiting, ``/incident
    ack`` acknowledges the incident itself, once: someone is on it, which its time to
    acknowledge counts (bot/record/postmortem/figures.py); an empty list then.
    """
    everything = await escalations_of(session, incident.id or 0)
    waiting = [escalation for escalation in everything if escalation.acknowledged_at is None]
    if escalation_id is not None:
        chosen = [escalation for escalation in everything if escalation.id == escalation_id]
        if chosen and chosen[0].acknowledged_at is not None:
            raise AlreadyAcknowledged(escalation=chosen[0], incident=incident)
    else:
        chosen = [escalation for escalation in waiting if user_id in escalation.users] or waiting
    if not chosen and (escalation_id is not None or incident.acknowledged_at is not None):
        raise NothingToAcknowledge(incident=incident)
    for escalation in chosen:
        escalation.acknowledged_at, escalation.acknowledged_by = at, user_id
        session.add(escalation)
    if incident.acknowledged_at is None:
        incident.acknowledged_at = at
        session.add(incident)
    facts: dict[str, Any] = {"targets": [target_facts(escalation) for escalation in chosen]}
    if via is not None:
        facts["via"] = via
    add_entry(
        session,
        incident,
        kind=TimelineKind.ACKNOWLEDGED,
        facts=facts,
        author=user_id,
        occurred_at=at,
    )
    return chosen


def say_answer(
    session: AsyncSession,
    escalation: Escalation,
    incident: Incident,
    *,
    answerer: str | None,
    answered_at: datetime | None,
    by: str,
    at: datetime,
    where: str,
) -> None:
    """Keep who answered the escalation and when (``answerer`` None: nobody did), as ``by``
    says it ``where`` (the caller commits). Refused once it is acknowledged: the record's
    acknowledgement is its answer, and a person's word does not replace it."""
    if escalation.acknowledged_at is not None:
        raise AlreadyAcknowledged(escalation=escalation, incident=incident)
    escalation.answer_said_by, escalation.answer_said_at = by, at
    escalation.answer_said_where = where
    escalation.said_answerer = answerer
    escalation.said_answered_at = answered_at if answerer else None
    session.add(escalation)


def _escalated_facts(escalation: Escalation) -> dict[str, Any]:
    """An escalation entry's facts: its target, and why a policy escalated when it did."""
    facts: dict[str, Any] = {"target": target_facts(escalation)}
    if escalation.why is not None:
        facts["why"] = escalation.why
    return facts


def target_facts(escalation: Escalation) -> dict[str, Any]:
    """The target as an entry keeps it: a person or a user group by id (the group with its
    handle as people typed it), an on-call schedule by name with whom it named, a policy by
    name and level (and round, when it repeated), with whom each schedule among its targets
    named (``on_call``)."""
    target: dict[str, Any] = {"kind": escalation.target_kind, "id": escalation.target_ref}
    if escalation.target_kind == "usergroup":
        target["name"] = escalation.target
    elif escalation.target_kind == "schedule":
        target["user"] = escalation.on_call[0]["user"] if escalation.on_call else None
        if escalation.on_call and escalation.on_call[0].get("guest"):
            target["guest"] = True  # named, not brought in
        if escalation.on_call and len(escalation.on_call) > 1:  # overlap: all
            target["on_call"] = [dict(named) for named in escalation.on_call]
    elif escalation.target_kind == "policy":
        target["level"] = escalation.level
        if escalation.policy_round > 1:
            target["round"] = escalation.policy_round
        if escalation.on_call:
            target["on_call"] = [dict(named) for named in escalation.on_call]
    return target


async def acknowledged_since(session: AsyncSession, incident_id: int, since: datetime) -> bool:
    """Whether any escalation of the incident was acknowledged at or after ``since``."""
    statement = select(Escalation).where(
        col(Escalation.incident_id) == incident_id,
        col(Escalation.acknowledged_at) >= since,
    )
    return (await session.exec(statement)).first() is not None


async def add_page(
    session: AsyncSession,
    escalation: Escalation,
    *,
    service: str,
    routing_key_env: str,
    dedup_key: str,
    at: datetime,
) -> Page | None:
    """Remember a page to send (the caller commits); None if this one already exists."""
    assert escalation.id is not None
    page = Page(
        incident_id=escalation.incident_id,
        escalation_id=escalation.id,
        service=service,
        routing_key_env=routing_key_env,
        dedup_key=dedup_key,
        updated_at=at,
    )
    return page if await insert_kept(session, page) else None


async def open_pages(session: AsyncSession, incident_id: int) -> Sequence[Page]:
    """Pages of the incident that PagerDuty may still hold open."""
    statement = select(Page).where(
        col(Page.incident_id) == incident_id,
        col(Page.state).in_(["pending", "triggered", "acknowledged"]),
    )
    return (await session.exec(statement.order_by(col(Page.id)))).all()


async def pages_of(session: AsyncSession, escalation_id: int) -> Sequence[Page]:
    """The pages one escalation sent (or is sending)."""
    statement = select(Page).where(col(Page.escalation_id) == escalation_id)
    return (await session.exec(statement.order_by(col(Page.id)))).all()
