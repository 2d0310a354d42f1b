"""An alert shown in Slack, as jobs after it was applied (intake.py): its incident's war room
opened, its changes posted beside the incident's or the route channel's message, its message
in the route's channel posted or restored."""

from __future__ import annotations

import logging
from typing import Any

from bot.clients.slack.errors import SlackFailure
from bot.flows.alerting.intake import alert_routes, policy_of
from bot.flows.channel import announce, deliver_now, refresh_channel_header
from bot.flows.escalation.reach import arrived_from
from bot.flows.incident.declare import open_war_room
from bot.flows.paging.pages import say_failures
from bot.record.alerting import alert_changes, alert_labels, alerts
from bot.record.incident import incidents
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import Alert, Incident, Job

log = logging.getLogger(__name__)


async def open_alert_war_room(services: Services, job: Job) -> None:
    """The job handler: the channel of an incident an alert opened, its policy, its first post.

    Run again after a failure, it picks up where it stopped (the channel is made once).
    """
    details = jobs.payload_of(job)
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
        previous = (
            await session.get(Incident, incident.previous_incident_id)
            if incident and incident.previous_incident_id
            else None
        )
    if incident is None:
        return
    route = alert_routes(services).named(details.get("route", ""))
    if incident.channel_id is None:
        policy, why = policy_of(services, incident, route.name, route.policy)
        await open_war_room(
            services,
            incident,
            prefix=route.channel_prefix or services.settings.incidents.channel_prefix,
            policy=policy,
            policy_why=why,
            arrived_at=arrived_from(details),
        )
        # People the policy reached before the channel existed are brought in now.
        async with session_scope(services.engine) as session:
            now = services.clock()
            await jobs.hurry(
                session, incident_id=incident.id or 0, kinds=[JobKind.BRING_IN], now=now
            )
            await session.commit()
        services.wake_jobs()
    else:
        await refresh_channel_header(services, incident)
    await _post_changes(
        services,
        incident,
        "messages/alert_opened.j2",
        previous=previous,
        flags=details.get("flags") or [],
    )
    await announce(services, incident, "messages/announce_declared.j2")
    await _say_earlier_failures(services, incident)


async def _say_earlier_failures(services: Services, incident: Incident) -> None:
    """Say the notifications of its pages that were given up before the channel existed
    (a page starts as the alert is applied, its push may fail before the war room opens)."""
    async with session_scope(services.engine) as session:
        locked = await incidents.lock(session, incident)
        said = await say_failures(session, services, locked)
        await session.commit()
    if said and locked.channel_id is not None:
        await deliver_now(services, locked.channel_id)


async def post_alert_changes(services: Services, job: Job) -> None:
    """The job handler: show alerts that started or stopped firing in the incident's channel."""
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, job.incident_id)
    # Without a channel yet, the war room job shows these alerts once it has made one.
    if incident is None or incident.channel_id is None:
        return
    await _post_changes(services, incident, "messages/alert_changes.j2")
    if jobs.payload_of(job).get("refresh"):
        await refresh_channel_header(services, incident)


async def _post_changes(
    services: Services, incident: Incident, template: str, **context: Any
) -> None:
    """Post the incident's alert changes not shown yet, once, however many jobs ask (a retried
    job finds them shown and posts nothing)."""
    assert incident.channel_id is not None
    async with session_scope(services.engine) as session:
        await incidents.lock(session, incident)
        changes = await alert_changes.take_unposted(session, incident_id=incident.id)
        await session.commit()
    if not changes:
        return
    text = services.renderer.render(
        template, incident=incident, **_change_views(changes), **context
    )
    await _post_or_restore(services, incident.channel_id, text, changes)


async def post_to_route_channel(services: Services, job: Job) -> None:
    """The job handler: a ``post`` route shows its group's alert changes in its channel."""
    details = jobs.payload_of(job)
    async with session_scope(services.engine) as session:
        group = await alerts.lock_group(session, int(details["group"]))
        changes = await alert_changes.take_unposted(session, group_id=group.id) if group else []
        await session.commit()
    if not changes or group is None:
        return
    text = services.renderer.render(
        "messages/alert_posted.j2",
        outside=True,  # a route's channel
        group=group,
        route=details.get("route", ""),
        timezone=services.settings.incidents.timezone,
        **_change_views(changes),
    )
    await _post_or_restore(services, str(details["channel"]), text, changes)


async def _post_or_restore(
    services: Services, channel: str, text: str, changes: list[alert_changes.AlertChange]
) -> None:
    try:
        await services.slack.post(channel, text)
    except SlackFailure as error:
        log.warning("posting alert changes to %s failed: %s", channel, error.code)
        async with session_scope(services.engine) as session:
            await alert_changes.restore_unposted(session, changes)
            await session.commit()
        raise


def _change_views(changes: list[alert_changes.AlertChange]) -> dict[str, Any]:
    """Alerts as templates show them: newly firing, and resolved (with when they started)."""
    rows = [change.alert for change in changes]
    shared = alert_labels.shared_labels(rows)
    firing = [_view(c.alert, shared) for c in changes if c.alert.status == "firing"]
    resolved = [_view(c.alert, shared) for c in changes if c.alert.status == "resolved"]
    return {
        "firing": firing,
        "resolved": resolved,
        "labels": shared,
        "links": alert_labels.alert_links(rows),
    }


def _view(alert: Alert, shared: dict[str, str]) -> dict[str, Any]:
    return {
        "name": alert_labels.describe(alert, shared),
        "summary": alert.summary,
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
    }
