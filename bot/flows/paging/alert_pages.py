"""What an alert of its own is to paging (no incident: ``action: page``): acknowledged, resolved,
and its one message shown (posted, then updated in place as its state changes; a shadowed
alert's in the shadow channel, naming who it would have paged). Acknowledging or resolving
stops its policy's levels and ends its pages, their notifications still to come cancelled.

Its pages' notifications are taken as an incident's are (bot/flows/paging/pages.py) and sent
in the alert's words through each person's destinations (bot/flows/paging/notifying.py,
bot/flows/paging/destinations/); a reply or a key 1 acknowledges the alert, 2 escalates it,
3 snoozes it for ``PHONE_SNOOZE_MINUTES`` (an SMS's "3 4h" that long), 6 resolves it
(bot/flows/escalation/answers.py).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.logs import page_stage
from bot.basics.slack_links import channel_link, message_link
from bot.clients.slack.errors import SlackFailure
from bot.flows.home.publishing import schedule_alert_homes
from bot.flows.rights import require
from bot.record.alerting import alerts, escalated, notes
from bot.record.changes import beside as changes_beside
from bot.record.paging import pages
from bot.record.people import known_names
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import AlertGroup, Incident, Job, Notification, PersonPage

log = logging.getLogger(__name__)
# How long an SMS reply or a key 3 snoozes an alert when it names no length (an SMS's
# "3 4h" does: bot/flows/escalation/answers.py).
PHONE_SNOOZE_MINUTES = 60


class AlertUnchanged(BotError):
    """A press or an answer on an alert that is acknowledged or resolved already: said
    privately, nothing changed."""

    template = "messages/alert_already.j2"


def escalation_jobs(group_id: int) -> str:
    """The key prefix of an alert group's policy levels' jobs."""
    return f"alert-level:{group_id}:"


async def cancel_levels(session: AsyncSession, group_id: int, now: datetime) -> None:
    """No timer of the alert's policy levels pages it any more (the caller commits)."""
    await jobs.cancel(
        session,
        incident_id=None,
        kinds=[JobKind.ALERT_ESCALATE],
        now=now,
        key_prefix=escalation_jobs(group_id),
    )


async def stop_paging(
    session: AsyncSession,
    group: AlertGroup,
    now: datetime,
    *,
    by: str | None = None,
    via: str | None = None,
) -> list[PersonPage]:
    """No further level of the alert's policy, and every page of it ended (acknowledged
    ones when ``by`` is given) with its notifications still to come (the caller commits)."""
    assert group.id is not None
    await cancel_levels(session, group.id, now)
    ended = await pages.end_pages(
        session,
        incident_id=None,
        escalation_ids=None,
        at=now,
        by=by,
        via=via,
        alert_group_id=group.id,
    )
    await jobs.cancel(
        session,
        incident_id=None,
        kinds=[JobKind.NOTIFY],
        now=now,
        key_prefix=alert_notifications(group.id),
    )
    return ended


def alert_notifications(group_id: int) -> str:
    """The key prefix of an alert group's notifications' jobs, cancelled at once."""
    return f"notify:alert{group_id}:"


async def schedule_show(
    session: AsyncSession, group: AlertGroup, now: datetime, *, also: str = "", along: bool = False
) -> None:
    """Have the alert's message show its state now (the caller commits): one job per state
    it shows (its state, its count, ``also``: a policy level reached), each reading the
    state when it runs, so a retried change is shown once and none is lost. ``along``: its
    job written with the next ones the transaction writes (its page's first notifications'),
    one INSERT for all (``jobs.schedule_along``)."""
    shown = f"{group.episode}.{group.cycle}:{group.state}:{group.fired_count}:{also}"
    job = jobs.NewJob(
        kind=JobKind.ALERT_MESSAGE,
        key=f"alert-message:{group.id}:{shown}",
        due_at=now,
        payload={"group": group.id, "episode": group.episode},
    )
    if along:
        jobs.schedule_along(session, job)
    else:
        await jobs.schedule_jobs(session, [job])


async def acknowledge_alert(
    services: Services, group_id: int, *, user: str, via: str | None = None
) -> AlertGroup:
    """Acknowledge an alert: its policy stops (no next level) and every page of it is
    acknowledged, their notifications still to come cancelled. ``via``: how, when not the
    Slack button (a phone's or a link's answer is its owner's). AlertUnchanged when it is
    acknowledged or resolved already (two presses at once: one changes it)."""
    if via is None:
        await require(services, user, Act.ACKNOWLEDGE)
    return await acknowledge_checked(services, group_id, user=user, via=via or "slack")


async def acknowledge_checked(
    services: Services, group_id: int, *, user: str, via: str
) -> AlertGroup:
    """``acknowledge_alert`` once its rights are checked (or need none: a phone's answer):
    one transaction, under the alert's row lock, so a second acknowledgement at once, or
    one of several asked together, changes nothing twice."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, group_id)
        if group is None or group.state is None:
            raise LookupError(f"no alert {group_id}")
        if group.state != alerts.TRIGGERED:
            raise AlertUnchanged(alert=group, timezone=services.settings.incidents.timezone)
        acknowledged = await acknowledge_locked(session, group, now, user=user, via=via)
        await session.commit()
    count_acknowledged(services, acknowledged, via, now)
    services.wake_jobs()
    return group


async def acknowledge_locked(
    session: AsyncSession, group: AlertGroup, now: datetime, *, user: str, via: str
) -> list[PersonPage]:
    """Acknowledge a triggered alert group the caller has locked (the caller commits): its
    policy stops, its pages are acknowledged, its message shows it; the pages acknowledged.
    By a person (the button, a phone) or by its source (a vendor API's ``acknowledge``)."""
    group.state, group.acknowledged_at = alerts.ACKNOWLEDGED, now
    group.acknowledged_by, group.acknowledged_via = user, via
    session.add(group)
    acknowledged = await stop_paging(session, group, now, by=user, via=via)
    await schedule_show(session, group, now)
    return acknowledged


def count_acknowledged(
    services: Services, acknowledged: list[PersonPage], via: str, now: datetime
) -> None:
    """Count the pages acknowledged, once committed, by how and how long after they began."""
    for page in acknowledged:
        services.metrics.page_acknowledged(via, (now - page.started_at).total_seconds())


async def resolve_alert(services: Services, group_id: int, *, user: str) -> AlertGroup:
    """Resolve an alert by hand (its source may still say it fires: a new firing after
    this is a new alert): paging stops. AlertUnchanged when it is resolved already."""
    await require(services, user, Act.RESOLVE)
    return await resolve_checked(services, group_id, user=user)


async def resolve_checked(services: Services, group_id: int, *, user: str) -> AlertGroup:
    """``resolve_alert`` once its rights are checked: one transaction, under the alert's
    row lock."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, group_id)
        if group is None or group.state is None:
            raise LookupError(f"no alert {group_id}")
        if group.state in (alerts.RESOLVED, alerts.ATTACHED):  # attached: the incident's
            raise AlertUnchanged(alert=group, timezone=services.settings.incidents.timezone)
        group.state, group.resolved_at, group.resolved_by = alerts.RESOLVED, now, user
        session.add(group)
        await stop_paging(session, group, now)
        await schedule_show(session, group, now)
        await session.commit()
    services.wake_jobs()
    return group


async def show_alert(services: Services, job: Job) -> None:
    """The job handler: post the alert's one message, or update it in place, to the state it
    has now, then publish afresh the Home of each person it paged. The message's ts is kept
    under the group's lock, so it is posted once."""
    details = jobs.payload_of(job)
    page_stage("message", job.key)
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, int(details["group"]))
        if group is None or group.episode != details.get("episode") or not group.message_channel:
            return
        if group.shadow:
            await _show_shadow(services, session, group)
            await session.commit()
            return
        paged = await _paged(session, group)
        route = services.settings.alerting.routes.named(group.route)
        said = await alerts.details_of(session, group, route)
        note_count, latest_note = await notes.latest_of(session, group)
        text = services.renderer.render(
            "messages/alert_group.j2",
            outside=True,
            alert=group,
            paged=paged,
            how=await paged_how(session, group),
            labels=said.labels,
            annotations=said.annotations,
            links=said.links,
            runbook=said.runbook,
            held=said.held,
            more=said.more,
            flips=len(json.loads(group.flips)),
            flapping=route.flapping,
            timezone=services.settings.incidents.timezone,
            hours_zone=route.support_hours.zone if route.support_hours else "UTC",
            incident=await session.get(Incident, group.incident_id) if group.incident_id else None,
            escalated=await escalated.shown_escalations(session, group),
            shown_at_most=escalated.ESCALATIONS_SHOWN,
            note_count=note_count,
            latest_note=latest_note,
        )
        blocks = services.renderer.render_json(
            "blocks/alert_group.json.j2",
            text=text,
            alert=group,
            snooze_choices=alerts.SNOOZE_CHOICES,
        )
        listed = None
        if group.message_ts is None:
            group.message_ts = await services.slack.post(group.message_channel, text, blocks=blocks)
            page_stage("message_posted", job.key)
            session.add(group)
            # What changed before it waits for this message to thread under: started at the
            # commit, by this process (bench/change_list.py: the runner's look took 90 ms).
            ours = services.handed.runs(JobKind.CHANGES_BESIDE)
            listed = await changes_beside.message_posted(
                session, group, services.clock(), claimed_by=services.replica if ours else None
            )
        else:
            await services.slack.update(
                group.message_channel, group.message_ts, text, blocks=blocks
            )
        # Each paged person's Home lists their open alerts: it follows the message.
        page_stage("message_kept", job.key)
        await schedule_alert_homes(session, paged, services.clock())
        await session.commit()
        page_stage("message_committed", job.key)
    if listed is not None:
        services.hand_over([listed])
    services.wake_jobs()  # the Homes are due


async def _show_shadow(services: Services, session: AsyncSession, group: AlertGroup) -> None:
    """A shadowed alert's message in the shadow channel (the group locked, the caller
    commits): who it would have notified, by name, mentioning nobody; no buttons, no Home."""
    assert group.message_channel is not None
    would = await paged_how(session, group)
    route = services.settings.alerting.routes.named(group.route)
    text = services.renderer.render(
        "messages/alert_shadow.j2",
        outside=True,
        alert=group,
        would=would,
        names=await known_names(session, [user for user, _ in would]),
        hours_zone=route.support_hours.zone if route.support_hours else "UTC",
    )
    if group.message_ts is None:
        group.message_ts = await services.slack.post(group.message_channel, text)
        session.add(group)
    else:
        await services.slack.update(group.message_channel, group.message_ts, text)


async def paged_how(session: AsyncSession, group: AlertGroup) -> list[tuple[str, list[str]]]:
    """Each person the alert's episode paged, with the methods their notifications use
    (sent, due or failed; none cancelled before they left), in order."""
    statement = (
        select(Notification.user_id, Notification.method)
        .join(PersonPage, col(PersonPage.id) == col(Notification.page_id))
        .where(
            col(PersonPage.alert_group_id) == group.id,
            col(PersonPage.alert_step).startswith(f"{group.episode}:"),
            col(Notification.state) != pages.CANCELLED,
        )
        .order_by(col(PersonPage.id), col(Notification.id))
    )
    how: dict[str, list[str]] = {}
    for user, method in (await session.exec(statement)).all():
        methods = how.setdefault(user, [])
        if method not in methods:
            methods.append(method)
    return list(how.items())


async def _paged(session: AsyncSession, group: AlertGroup) -> list[str]:
    """Who the alert's current episode paged, in order."""
    statement = (
        select(PersonPage.user_id)
        .where(
            col(PersonPage.alert_group_id) == group.id,
            col(PersonPage.alert_step).startswith(f"{group.episode}:"),
        )
        .order_by(col(PersonPage.id))
    )
    return list(dict.fromkeys((await session.exec(statement)).all()))


async def message_url(services: Services, group: AlertGroup, bases: dict[str, str]) -> str | None:
    """The alert's message in Slack: its permalink when the workspace's address is known
    (auth.test's, or a permalink of that channel: ``bases``), else Slack's deep link to its
    channel; None without a message, or when Slack does not answer."""
    channel, ts = group.message_channel, group.message_ts
    if not channel:
        return None
    base = services.slack.known_workspace_url or bases.get(channel)
    if base and ts:
        return message_link(base.rstrip("/"), channel, ts)
    try:
        return channel_link(base, await services.slack.team_id(), channel)
    except SlackFailure:
        return None  # Slack does not answer: the page goes without the link
