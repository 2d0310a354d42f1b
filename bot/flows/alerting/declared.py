"""An alert declared as an incident in one press, or attached to one
(docs/alerts-without-incidents.md).

**Declare incident** on an alert's message opens the declare form as ``/incident`` does,
filled with the alert's title and severity; submitting it declares the incident as
``/incident start`` does (bot/flows/incident/declare.py) and, in the transaction that opens
it, attaches the alert (bot/record/alerting/attaching.py) under its row lock: two
submissions at once make one incident, the second told which. ``/incident alert attach <id>``
attaches another open alert to the channel's incident.

Paging: the alert's policy levels still to come are cancelled (its timers and the levels due
now); the pages of the people it paged already go on as they were (their rules' later
notifications in the alert's words), and acknowledging one acknowledges the incident. The
incident's policy (its type's, else its severity's, else the alert's own) then starts at its
level 1 and pages, at each level, only the people the alert did not page
(bot/flows/paging/pages.py ``start_pages``); acknowledging or resolving the incident ends
the alert's pages with its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import AlreadyResolved, BotError
from bot.flows.channel import Writes, refresh_channel_header, say_safely
from bot.flows.incident.declare import Declaration, declare_in_background
from bot.flows.paging.alert_pages import AlertUnchanged, cancel_levels, schedule_show
from bot.flows.rights import require
from bot.record.alerting import alerts, attaching
from bot.record.escalation.escalations import Why
from bot.record.escalation.policies import Policy
from bot.record.incident import incidents, timeline
from bot.record.rights import Act
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Incident, TimelineKind


class NoSuchAlert(BotError):
    """``/incident alert attach`` names no alert of its own (a ``page`` route's)."""

    template = "messages/alert_unknown.j2"


def _refusal(services: Services, group: AlertGroup, incident: Incident | None) -> AlertUnchanged:
    return AlertUnchanged(
        alert=group, incident=incident, timezone=services.settings.incidents.timezone
    )


async def _check(
    session: AsyncSession, services: Services, group_id: int, *, lock: bool
) -> AlertGroup:
    """The alert, if it may be attached: open and no incident's. Else NoSuchAlert, or
    AlertUnchanged naming its incident or saying it is resolved."""
    group = (
        await alerts.lock_alert(session, group_id)
        if lock
        else await session.get(AlertGroup, group_id)
    )
    if group is None or group.state is None:
        raise NoSuchAlert(alert_id=group_id)
    if group.incident_id is not None:
        incident = await incidents.get(session, group.incident_id)
        if incident is not None and incident.is_open:
            raise _refusal(services, group, incident)
    if group.state not in alerts.OPEN_STATES or group.state == alerts.ATTACHED:
        raise _refusal(services, group, None)
    return group


async def declarable(services: Services, group_id: int, *, user: str) -> AlertGroup:
    """The alert a press of Declare incident would declare, before its form opens; refused
    (privately) for a guest, or an alert resolved or attached already."""
    await require(services, user, Act.ATTACH_ALERT)
    async with session_scope(services.engine) as session:
        return await _check(session, services, group_id, lock=False)


async def _take_over(
    session: AsyncSession,
    services: Services,
    group: AlertGroup,
    incident: Incident,
    *,
    by: str,
    declared: bool,
) -> None:
    """Attach the locked, checked alert to the incident: its levels still to come cancelled,
    its history the incident's, its message shown as attached (the caller commits)."""
    now = services.clock()
    assert group.id is not None
    await cancel_levels(session, group.id, now)
    # Declared from it, the incident's declaration is its moment (the message says which).
    at = incident.declared_at if declared else now
    await attaching.attach(session, group, incident, by=by, at=at, declared=declared)
    if not declared:  # else once its channel exists (``tell``), to link it
        await schedule_show(session, group, now)


@dataclass
class AlertAttachment:
    """An alert an incident is declared from (bot/flows/incident/declare.py's Attachment)."""

    services: Services
    group_id: int
    by: str
    policy: Policy | None = None
    why: Why | None = None
    _group: AlertGroup | None = None

    async def claim(self, session: AsyncSession) -> datetime | None:
        group = await _check(session, self.services, self.group_id, lock=True)
        self._group = group
        self.policy = self.services.settings.escalation.policies.get(group.policy or "")
        if self.policy is not None:
            self.why = {"because": "route", "route": group.route, "policy": self.policy.name}
        return attaching.first_fired(group, await attaching.episode_alerts(session, group))

    async def attach(self, session: AsyncSession, incident: Incident) -> None:
        assert self._group is not None
        incident.service = incident.service or self._group.service  # the alert's service
        await _take_over(session, self.services, self._group, incident, by=self.by, declared=True)

    async def tell(self, writes: Writes) -> None:
        assert self._group is not None
        await writes.say("messages/alert_attached.j2", alert=self._group, declared=True)
        await schedule_show(writes.session, self._group, self.services.clock(), also="declared")


def declare_from_alert(
    services: Services, declaration: Declaration, group_id: int, response_url: str
) -> None:
    """Declare the incident the form describes from the alert, after the form's ack."""
    attachment = AlertAttachment(services, group_id, declaration.declared_by)
    declare_in_background(services, declaration, response_url, attachment)


async def attach_alert(services: Services, *, channel_id: str, user: str, group_id: int) -> None:
    """``/incident alert attach``: make another open alert the channel's incident's, and
    say so in its channel."""
    await require(services, user, Act.ATTACH_ALERT)
    async with session_scope(services.engine) as session:
        incident = await incidents.incident_in_channel(session, channel_id)
        if not incident.is_open:
            raise AlreadyResolved(reference=incident.reference)
        # The alert's lock before the incident's, as applying its notifications takes them.
        group = await _check(session, services, group_id, lock=True)
        incident = await incidents.lock(session, incident)
        await _take_over(session, services, group, incident, by=user, declared=False)
        timeline.add_entry(
            session,
            incident,
            kind=TimelineKind.KEY_EVENT,
            facts={"alert_act": "attached", "alert": group.title, "user": user, "id": group.id},
            author=user,
            occurred_at=services.clock(),
        )
        await session.commit()
    services.wake_jobs()
    await say_safely(
        services,
        incident,
        "messages/alert_attached.j2",
        about="an alert attached",
        alert=group,
        declared=False,
    )
    await refresh_channel_header(services, incident)
