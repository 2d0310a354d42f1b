"""The message beside a paged alert or a declared incident: what changed before it on its
services and what they depend on (WARROOM_CHANGE_HOURS back, the likeliest suspect first, each
with why: bot/record/changes/suspects.py; with links; every service's when the incident names
none, said so), the
earlier incidents related to it with their root causes, and the runbook.

It is the ``changes_beside`` job, written in the transaction that decides the page (an alert
of its own triggering: ``bot.flows.alerting.own_alerts.follow``) or opens the incident's war
room (``bot.flows.incident.declare.open_war_room``), so the page's first notification never
waits for it, and it is said once. An incident's is said in its channel (a private
incident's only there, its changes and related incidents never outside it); an alert's in
its message's thread in its route's channel, once that message is posted (the job is
written then, claimed for the process that posted it, and started at that commit).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select

from bot.basics.link_hosts import ShownLink, disarmed, host_of, imitated, shown_link
from bot.basics.logs import page_stage
from bot.flows.channel import Writes, deliver_now
from bot.flows.incident.declare import RELATED_SHOWN, shared_trait
from bot.flows.postmortem.suggestions import own_hosts
from bot.record.alerting import alerts
from bot.record.changes.beside import (
    ChangesBefore,
    alert_services,
    changes_beside,
    impact_started,
    incident_services,
    said_in,
)
from bot.record.incident.related import (
    Related,
    Traits,
    label_pairs,
    related_to,
    related_to_incident,
)
from bot.record.postmortem.wording import addresses
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.models import Alert, AlertGroup, ChangeEvent, Incident, Job

log = logging.getLogger(__name__)
TEMPLATE = "messages/changes_beside.j2"


async def post_changes_beside(services: Services, job: Job) -> None:
    """The job handler: the message beside an incident or an alert."""
    details = jobs.payload_of(job)
    if "incident" in details:
        await _beside_incident(services, int(details["incident"]))
    else:
        await _beside_alert(services, details)


def shown_changes(
    services: Services, changes: Sequence[ChangeEvent]
) -> dict[int, tuple[str, ShownLink | None]]:
    """Each change's summary and link as people are shown them (docs/security.md): the
    summary with the hosts in it that pass for the workspace's own disarmed, the link with
    the host it goes to (named beside it: the app that posted it chose its words), or
    refused when that host passes for the workspace's own."""
    own = own_hosts(services)
    shown: dict[int, tuple[str, ShownLink | None]] = {}
    for change in changes:
        said, _ = addresses(change.summary)
        mimics = [
            each.said
            for each in said
            if each.kind != "phone"
            and (host := host_of(each.said if "://" in each.said else f"//{each.compared}"))
            and imitated(host, own)
        ]
        link = shown_link(change.link, own) if change.link else None
        shown[change.id or 0] = (disarmed(change.summary, mimics), link)
    return shown


def _context(services: Services, before: ChangesBefore, related: list[Related]) -> dict[str, Any]:
    return {
        "shown": shown_changes(services, before.changes),
        "before": before,
        "related": related,
        "shared": shared_trait(related) if related else {},
        "related_shown": RELATED_SHOWN,
        "base": services.settings.web.public_url.rstrip("/"),
        "zone": services.settings.incidents.timezone,
    }


def _runbook(services: Services, names: tuple[str, ...]) -> str | None:
    catalog = services.settings.alerting.catalog
    for name in names:
        service = catalog.get(name)
        if service is not None and service.runbook:
            return service.runbook
    return None


async def _beside_incident(services: Services, incident_id: int) -> None:
    settings = services.settings.alerting
    async with session_scope(services.engine) as session:
        incident = await session.get(Incident, incident_id)
        if incident is None or not incident.channel_id:
            return
        own = await incident_services(session, incident, settings.catalog, settings.routes)
        before = await changes_beside(
            session,
            own,
            settings.catalog,
            moment=incident.declared_at,
            hours=settings.change_hours,
            impact=impact_started(incident),
            said=await said_in(session, incident),
            unfiltered=True,
        )
        related = await related_to_incident(session, incident, public_only=True)
        runbook = _runbook(services, own)
        if not (own or before.changes or related or runbook):
            return  # nothing known to say: no message
        writes = Writes(services, session, incident)
        context = _context(services, before, related)
        await writes.say(TEMPLATE, what="incident", runbook=runbook, **context)
        await session.commit()
    await writes.send()


async def _beside_alert(services: Services, details: dict[str, Any]) -> None:
    settings = services.settings.alerting
    page_stage("list", details.get("group"))
    async with session_scope(services.engine) as session:
        group = await session.get(AlertGroup, int(details["group"]))
        if group is None or group.episode != details.get("episode") or group.shadow:
            return
        if not group.message_channel:
            return
        route = settings.routes.named(group.route)
        said = await alerts.details_of(session, group, route)
        own = alert_services(group, said.labels, settings.catalog, settings.routes)
        before = await changes_beside(
            session,
            own,
            settings.catalog,
            moment=group.triggered_at or services.clock(),
            hours=settings.change_hours,
        )
        page_stage("list_changes")
        names = await session.exec(select(Alert.name).where(col(Alert.group_id) == group.id))
        traits = Traits(
            alert_names=frozenset(names.all()),
            labels=frozenset(label_pairs(said.labels)),
            service=group.service,
        )
        team = await services.slack.team_id()
        related = await related_to(session, traits, team_id=team, public_only=True)
        page_stage("list_related")
        runbook = said.runbook or _runbook(services, own)
        if not (own or related):
            return  # its message says its runbook already
        text = services.renderer.render(
            TEMPLATE,
            outside=True,
            what="alert",
            runbook=runbook,
            **_context(services, before, related),
        )
        # Through the outbox, recorded once for the alert's episode: a job run again after a
        # failure that came after the post finds it kept and posts nothing twice.
        kept = await outbox.post_once(
            session,
            channel=group.message_channel,
            text=text,
            now=services.clock(),
            after=f"changes-beside:{group.id}:{group.episode}",
            thread_ts=group.message_ts,
        )
        await session.commit()
        channel = group.message_channel
    if kept is not None:
        await deliver_now(services, channel)
    page_stage("list_posted")
