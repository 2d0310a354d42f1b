"""Notifications of an alert's pages (an alert of its own, no incident: ``action: page``).

A page belongs to an alert group instead of an incident; its notifications are taken and
settled as an incident's are (bot/flows/paging/pages.py), and sent here in the alert's
words: a Slack DM, a push with its Acknowledge and Escalate buttons and a third, "Snooze or
resolve", opening the alert's phone console (as tapping it does:
bot/web/paging/alert_console.py), an e-mail with that link, an SMS ending "Reply 1 to
acknowledge, 2 to escalate, 3 to snooze 1h (or 3 and a length: 3 30m, 3 4h), 6 to resolve"
and a call that says the alert and waits for a key. SMS and calls go through the incident
pages' providers (bot/flows/paging/phones.py: the registry's, the contact's fallback at
once), their reports kept as an incident's (``pages.record_status``): a failed, busy or
unanswered one, or one not reported in time, fires the person's next rule at once. A reply
or a key 1 acknowledges the alert, 2 escalates it, 3 snoozes it for an hour (an SMS's
"3 4h" that long), 6 resolves it (bot/flows/escalation/answers.py). A webhook contact gets
the alert's page as a signed JSON document (``type`` "alert", its console's links to act), a
Teams contact an Adaptive Card whose Acknowledge opens the console, as an incident's
(bot/flows/paging/hooks.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.basics.errors import BotError
from bot.basics.logs import page_stage
from bot.basics.slack_links import channel_link, message_link
from bot.clients.mail import Mail, send_mail
from bot.clients.ntfy import Push, publish
from bot.clients.slack.errors import SlackFailure
from bot.clients.vendor_http import VendorFailure
from bot.flows.channel import deliver_now
from bot.flows.home.publishing import schedule_alert_homes
from bot.flows.paging import hooks, phones
from bot.flows.paging.delivery import wait_for_report
from bot.flows.paging.fallback import fire_next_rule
from bot.flows.rights import require
from bot.record.alerting import alerts, escalated
from bot.record.changes import beside as changes_beside
from bot.record.incident.message_links import known_bases
from bot.record.paging import pages, tokens
from bot.record.paging.contacts import SLACK, Method
from bot.record.people import known_names
from bot.record.rights import Act
from bot.services import Services
from bot.store import jobs, outbox
from bot.store.db import session_scope
from bot.store.job_kinds import JobKind
from bot.store.models import AlertGroup, Incident, Job, Notification, PersonPage

log = logging.getLogger(__name__)
# Where acknowledgement links point: GET shows a button (an alert's: its phone console),
# POST acknowledges; an alert's push's Escalate POSTs the link and this suffix.
ACK_PATH = "/ack"
ESCALATE_SUFFIX = "/escalate"
# How long an SMS reply or a key 3 snoozes an alert when it names no length (an SMS's
# "3 4h" does: bot/flows/escalation/answers.py).
PHONE_SNOOZE_MINUTES = 60


# The methods whose message carries the alert's console link (``acknowledge_url``).
CONSOLE_METHODS = frozenset({"ntfy", "email"})


def method_in(methods: Mapping[str, Method], notification: Notification) -> Method | None:
    """Where the notification goes among a person's ``methods`` by name, as paging reaches
    them now."""
    if notification.method == SLACK:
        return Method(kind=SLACK, address=notification.user_id)
    found = methods.get(notification.contact)
    return found if found is not None and found.kind == notification.method else None


async def send(
    services: Services,
    group: AlertGroup,
    notification: Notification,
    method: Method | None,
    *,
    again: bool,
    console: str | None = None,
) -> None:
    """Send one notification of ``group``'s page (taken already, the group read in that
    transaction: ``again`` when a sender stopped mid-send before) and keep what became of it;
    ``console``: its console link, issued already (else issued here, where its method carries
    one). A shadowed alert's is kept as who would have been notified, and nothing leaves:
    checked here, where every path to a sender passes."""
    if group.shadow:
        await keep_shadow(services, notification)
        return
    try:
        if method is None:
            raise VendorFailure(f"no contact {notification.contact!r} any more", retryable=False)
        sender = _SENDERS.get(notification.method)
        if sender is None:
            raise VendorFailure(
                f"{notification.method} is not sent for alerts yet", retryable=False
            )
        if console is None and notification.method in CONSOLE_METHODS:
            console = await acknowledge_url(services, notification)
        vendor_id = await sender(services, group, notification, method, console)
    except VendorFailure as failure:
        log.warning("alert notification %s (%s) failed: %s", notification.id,
                    notification.method, failure.detail)  # fmt: skip
        await settle(services, notification, pages.FAILED, detail=failure.detail)
        await fire_next_rule(services, None, notification, failure.detail)
        return
    if again:
        log.warning("alert notification %s was being sent when warroom stopped: sent again",
                    notification.id)  # fmt: skip
    await settle(services, notification, pages.SENT, vendor_id=vendor_id)


async def keep_shadow(services: Services, notification: Notification) -> None:
    """A shadowed alert's notification, due: kept as would have been sent when it was due
    by its method, nothing leaves (no sender, no delivery wait, no next rule brought
    forward)."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        current = await session.get(Notification, notification.id)
        assert current is not None
        current.state, current.updated_at = pages.SHADOW, now
        current.sent_at = min(current.due_at, now)
        session.add(current)
        await session.commit()
    log.info("alert notification %s (%s) kept as a shadow: not sent",
             notification.id, notification.method)  # fmt: skip


async def settle(
    services: Services,
    notification: Notification,
    outcome: str,
    *,
    vendor_id: str | None = None,
    detail: str | None = None,
    reported: str | None = None,
) -> None:
    """Keep what became of an alert's notification: sent (an SMS or a call then waits for
    its provider's report, bot/flows/paging/delivery.py), or what its provider reported
    (``reported``, its word, counted on /metrics: delivered, answered, no-answer...)."""
    now = services.clock()
    async with session_scope(services.engine) as session:
        current, first_after = await mark(
            session, services, notification, outcome, vendor_id=vendor_id, detail=detail, now=now
        )
        await session.commit()
    carrier = notification.provider or current.provider
    services.metrics.notification(notification.method, reported or outcome, provider=carrier)
    if first_after is not None:
        services.metrics.first_notification_sent(notification.method, first_after, page="alert")


async def mark(
    session: AsyncSession,
    services: Services,
    notification: Notification,
    outcome: str,
    *,
    vendor_id: str | None,
    detail: str | None,
    now: datetime,
) -> tuple[Notification, float | None]:
    """The notification's row as ``outcome`` leaves it (a sent SMS or call then waits for
    its provider's report), and the seconds since what started its page arrived when it is
    the page's first sent (``pages.first_sent_after``; the caller commits): an incident's
    page and an alert's alike."""
    current = await session.get(Notification, notification.id)
    assert current is not None
    current.state, current.updated_at, current.detail = outcome, now, detail
    first_after = None
    if outcome == pages.SENT:
        current.sent_at, current.vendor_id = now, vendor_id
        # An SMS or a call: who carried it (bot/flows/paging/phones.py).
        current.provider = notification.provider or current.provider
        first_after = await pages.first_sent_after(session, current, now)
        await wait_for_report(session, services, current, now)
    session.add(current)
    return current, first_after


def _words(group: AlertGroup) -> dict[str, Any]:
    return {"alert": group, "title": group.title, "snooze": PHONE_SNOOZE_MINUTES * 60}


async def _send_slack(
    services: Services,
    group: AlertGroup,
    notification: Notification,
    method: Method,
    _console: str | None,
) -> str | None:
    """A direct message naming the alert, kept in the outbox once."""
    text = services.renderer.render("messages/alert_page_dm.j2", outside=True, **_words(group))
    async with session_scope(services.engine) as session:
        await outbox.post_once(
            session,
            channel=method.address,
            text=text,
            now=services.clock(),
            after=f"notification:{notification.id}",
        )
        await session.commit()
    services.background.spawn(deliver_now(services, method.address), name="alert page DM")
    return None


async def _send_ntfy(
    services: Services,
    group: AlertGroup,
    _notification: Notification,
    method: Method,
    console: str | None,
) -> str | None:
    """A push with Acknowledge and Escalate buttons and a third, "Snooze or resolve", that
    opens the alert's phone console (as tapping the push does): priority 5 for SEV1 and
    SEV2, 4 otherwise, 3 (no Do Not Disturb override, ntfy's default) for a low-urgency
    alert."""
    paging = services.settings.paging
    if not paging.ntfy_url:
        raise VendorFailure("WARROOM_NTFY_URL is not set", retryable=False)
    words = _words(group)
    # One link (``console``): tapping the push opens its console; its buttons POST what they say.
    push = Push(
        topic=method.address,
        title=services.renderer.render_plain("paging/alert_push_title.j2", **words),
        message=services.renderer.render_plain("paging/alert_push_message.j2", **words),
        priority=3 if group.urgency == "low" else 5 if group.severity in ("SEV1", "SEV2") else 4,
        click=console,
        acknowledge_url=console,
        escalate_url=f"{console}{ESCALATE_SUFFIX}" if console else None,
        console_url=console,
    )
    assert services.http is not None, "paging needs the application's HTTP session"
    return await publish(services.http, paging.ntfy_url, paging.ntfy_token, push)


async def _send_email(
    services: Services,
    group: AlertGroup,
    _notification: Notification,
    method: Method,
    console: str | None,
) -> str | None:
    paging = services.settings.paging
    if not paging.smtp_on:
        raise VendorFailure("WARROOM_SMTP_URL is not set", retryable=False)
    words = {**_words(group), "acknowledge_url": console}
    text = services.renderer.render_plain("paging/alert_email.txt.j2", **words)
    mail = Mail(
        sender=paging.smtp_from,
        to=method.address,
        subject=services.renderer.render_plain("paging/alert_push_title.j2", **words),
        text=text,
        html=services.renderer.render("paging/alert_email.html.j2", **words),
    )
    return await send_mail(paging.smtp_url, mail, plaintext=paging.smtp_plaintext)


async def _send_sms(
    services: Services,
    group: AlertGroup,
    notification: Notification,
    method: Method,
    _console: str | None,
) -> str | None:
    """An SMS naming the alert, ending "Reply 1 to acknowledge", through the contact's
    provider (its fallback at once if that fails), as an incident's."""
    text = services.renderer.render_plain("paging/alert_sms.j2", **_words(group))
    ref = f"warroom-notification-{notification.id}"
    attempts = phones.sms_attempts(services, method.address, text, ref)
    return await phones.through_providers(services, None, notification, method, attempts)


def call_words(services: Services, group: AlertGroup, part: str) -> str:
    """What an alert's call says: ``part`` prompt, again (no key yet) or goodbye."""
    return services.renderer.render_plain("paging/alert_call.j2", **_words(group), part=part)


async def _send_call(
    services: Services,
    group: AlertGroup,
    notification: Notification,
    method: Method,
    _console: str | None,
) -> str | None:
    """A call that says the alert and waits for a key (1 acknowledges it), through the
    contact's provider as an incident's (its keypress webhook)."""
    attempts = phones.call_attempts(
        services,
        method.address,
        prompt=call_words(services, group, "prompt"),
        again=call_words(services, group, "again"),
        goodbye=call_words(services, group, "goodbye"),
    )
    return await phones.through_providers(services, None, notification, method, attempts)


async def acknowledge_url(services: Services, notification: Notification) -> str | None:
    """A new acknowledgement link for the notification's page (None without a public
    address: there is nowhere for it to point)."""
    public_url = services.settings.web.public_url
    if not public_url:
        return None
    async with session_scope(services.engine) as session:
        page = await session.get(PersonPage, notification.page_id)
        assert page is not None
        token = await tokens.issue(session, page, method=notification.method, at=services.clock())
        await session.commit()
    return f"{public_url}{ACK_PATH}/{token}"


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


async def _hook_words(
    services: Services, group: AlertGroup, notification: Notification, console: str | None
) -> tuple[hooks.AlertLinks, str | None, int | None]:
    """What a webhook's document or a Teams card of the alert's page says beside the alert:
    its links (``console``: the page's console link, issued with it), the paged person's
    name as the record keeps it, the policy's level."""
    async with session_scope(services.engine) as session:
        page = await session.get(PersonPage, notification.page_id)
        names = await known_names(session, [notification.user_id])
        bases = await known_bases(session, [group.message_channel or ""])
    step = str(page.alert_step or "") if page is not None else ""
    level = step.rsplit(":", 1)[-1]
    console = console or await acknowledge_url(services, notification)
    public_url = services.settings.web.public_url
    links = hooks.AlertLinks(
        console=console,
        escalate=f"{console}{ESCALATE_SUFFIX}" if console else None,
        alert=f"{public_url}/alerts/{group.id}" if public_url else None,
        slack=await message_url(services, group, bases),
    )
    return links, names.get(notification.user_id), int(level) if level.isdigit() else None


async def _send_webhook(
    services: Services,
    group: AlertGroup,
    notification: Notification,
    method: Method,
    console: str | None,
) -> str | None:
    """A signed JSON POST of the alert's page (``type`` "alert") to the destination the
    contact names, as an incident's page is sent (bot/flows/paging/hooks.py)."""
    links, name, level = await _hook_words(services, group, notification, console)
    now = services.clock()
    document = hooks.alert_document(
        group, notification, name=name, level=level, links=links, at=now
    )
    await hooks.send_to(services, method.address, document, at=now, delivery=str(notification.id))
    return None


async def _send_teams(
    services: Services,
    group: AlertGroup,
    notification: Notification,
    method: Method,
    console: str | None,
) -> str | None:
    """An Adaptive Card of the alert's page in a Teams channel: the alert, its severity and
    urgency, who is paged, and Acknowledge (its console), Open in Slack, Open alert."""
    links, name, level = await _hook_words(services, group, notification, console)
    if links.slack and not links.slack.startswith("https://") and group.message_channel:
        # Teams opens only web links: Slack's redirect to the channel instead.
        links = replace(
            links, slack=f"https://slack.com/app_redirect?channel={group.message_channel}"
        )
    words = _words(group)
    facts = (
        ("Severity", group.severity or "none"),
        ("Urgency", group.urgency),
        ("Paged", f"{name or notification.user_id} (rule {notification.rule})"),
        ("Paged by", services.renderer.render_plain(
            "paging/alert_teams_paged_by.j2", **words, level=level)),
    )  # fmt: skip
    await hooks.send_alert_card(services, method.address, group, facts, links)
    return None


# What sends one method of an alert's page (with its console link, where the method carries
# one): the service's id for it, or a VendorFailure.
AlertSender = Callable[
    [Services, AlertGroup, Notification, Method, str | None], Awaitable[str | None]
]
_SENDERS: dict[str, AlertSender] = {
    SLACK: _send_slack,
    "ntfy": _send_ntfy,
    "sms": _send_sms,
    "voice": _send_call,
    "email": _send_email,
    "webhook": _send_webhook,
    "teams": _send_teams,
}


# -- an alert's life: acknowledged, resolved, shown ------------------------------------------
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
    now = services.clock()
    async with session_scope(services.engine) as session:
        group = await alerts.lock_alert(session, group_id)
        if group is None or group.state is None:
            raise LookupError(f"no alert {group_id}")
        if group.state != alerts.TRIGGERED:
            raise AlertUnchanged(alert=group, timezone=services.settings.incidents.timezone)
        acknowledged = await acknowledge_locked(session, group, now, user=user, via=via or "slack")
        await session.commit()
    count_acknowledged(services, acknowledged, via or "slack", now)
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
