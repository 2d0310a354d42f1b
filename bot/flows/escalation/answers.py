"""Answers that come from a phone rather than Slack: a push notification's button, an email's
link, an SMS reply, a keypress in a call. 1 (or ``ack``, or PagerDuty's 4) acknowledges the
escalation that paged the person, as the Slack button would, and says how; 2 (or ``esc``)
moves its policy to the next level now and ends this person's page (an alert's: as its
message's Escalate). An alert's page also takes 3 (or ``snooze``: one hour, as the message's
Snooze; by SMS also ``3 <length>``, a length in the words configuration takes: ``3 30m``,
``3 4h``, refused in words past the route's ``max_snooze``) and 6 (or ``resolve``,
PagerDuty's code), as its message's buttons. Each is answered in words saying which incident
(or alert) it acted on."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from bot.basics.durations import parse_duration
from bot.basics.errors import AlreadyResolved, BotError
from bot.flows.escalation.acknowledging import acknowledge
from bot.flows.escalation.targets import EscalationTarget, escalate
from bot.flows.paging.alert_pages import PHONE_SNOOZE_MINUTES, AlertUnchanged, acknowledge_alert
from bot.flows.paging.destinations import voice
from bot.flows.paging.destinations.messages import AlertPage, IncidentPage, incident_words
from bot.flows.paging.pages import end_page
from bot.record.escalation.escalations import AlreadyAcknowledged, NothingToAcknowledge
from bot.record.paging import own, pages
from bot.record.people import known_names
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Escalation, Incident, PersonPage
from bot.store.processed_events import claim_event

log = logging.getLogger(__name__)
# PagerDuty's SMS and call take 4 to acknowledge and 6 to resolve ("SMS Notifications",
# https://support.pagerduty.com/docs/sms-notifications; "Notification Content and Behavior"):
# warroom's 1 and 2 came first, PagerDuty's 4 and 6 are taken too, and 3 snoozes an alert.
ACKNOWLEDGE_WORDS = frozenset({"1", "4", "ack", "acknowledge", "yes"})
ESCALATE_WORDS = frozenset({"2", "esc", "escalate"})
SNOOZE_WORDS = frozenset({"3", "snooze"})
RESOLVE_WORDS = frozenset({"6", "resolve"})
# A snooze's length in a reply (``3 4h``): this many characters at most, whole minutes.
LENGTH_AT_MOST = 16


@dataclass(frozen=True)
class Answer:
    """What answering from a phone did (``outcome``: acknowledged, already, escalated,
    cannot_escalate, no_page, unknown_number, help; an alert's also snoozed, too_long,
    bad_length, resolved, cannot), for which incident and escalation; ``by`` who
    acknowledged, ``reason`` why it could not escalate (or act), ``longest`` a refused
    snooze's longest and ``length`` the snooze asked for (0: a plain 3), in seconds."""

    outcome: str
    incident: Incident | None = None
    escalation: Escalation | None = None
    by: str | None = None
    reason: str = ""
    # The alert it acted on, when the page was an alert's (no incident).
    alert: AlertGroup | None = None
    longest: int = 0
    length: int = 0


class AlertActs(Protocol):
    """How an alert's page is escalated, snoozed (for ``minutes``) or resolved (``act``:
    escalate, snooze, resolve; bot/flows/alerting/alert_actions.py, a later domain's): handed
    in by the web layer that hears the phone."""

    def __call__(
        self, services: Services, page: PersonPage, act: str, *, minutes: int = ...
    ) -> Awaitable[Answer]: ...


def snooze_minutes(length: str) -> int | None:
    """A reply's snooze length (``30m``, ``4h``, ``1h30m``: the words configuration takes,
    bot/basics/durations.py) in whole minutes; None when it is none, or less than a minute,
    or not whole minutes (a bare number is seconds there: ``3 30`` is refused, not 30 s)."""
    if len(length) > LENGTH_AT_MOST:
        return None
    try:
        seconds = parse_duration(length).total_seconds()
    except (ValueError, OverflowError):
        return None
    if seconds < 60 or seconds % 60:
        return None
    return int(seconds // 60)


async def _acknowledge_alert(page: PersonPage, *, services: Services, via: str) -> Answer:
    """An alert's page answered from a phone or a link: the alert is acknowledged; an alert
    attached to an open incident since, the incident (which ends the alert's pages too)."""
    assert page.alert_group_id is not None
    async with session_scope(services.engine) as session:
        group = await session.get(AlertGroup, page.alert_group_id)
        incident = None
        if group is not None and group.incident_id is not None:
            incident = await session.get(Incident, group.incident_id)
    if group is not None and incident is not None and incident.channel_id and incident.is_open:
        try:
            await acknowledge(
                services, channel_id=incident.channel_id, user_id=page.user_id, via=via
            )
        except (AlreadyAcknowledged, NothingToAcknowledge, AlreadyResolved):
            return Answer("already", alert=group)
        return Answer("acknowledged", by=page.user_id, alert=group)
    try:
        group = await acknowledge_alert(services, page.alert_group_id, user=page.user_id, via=via)
    except AlertUnchanged as unchanged:
        group = unchanged.context["alert"]
        return Answer("already", by=who_did(group), alert=group)
    return Answer("acknowledged", by=page.user_id, alert=group)


async def acknowledge_page(services: Services, page_id: int, *, via: str) -> Answer:
    """Acknowledge the escalation that started this page, as the paged person, ``via`` how
    (an alert's page: the alert)."""
    async with session_scope(services.engine) as session:
        alert_page = await session.get(PersonPage, page_id)
    if alert_page is not None and alert_page.alert_group_id is not None:
        return await _acknowledge_alert(alert_page, services=services, via=via)
    page, incident, escalation = await _page(services, page_id)
    assert incident.channel_id is not None
    try:
        incident, _ = await acknowledge(
            services,
            channel_id=incident.channel_id,
            user_id=page.user_id,
            escalation_id=page.escalation_id,
            via=via,
        )
    except (AlreadyAcknowledged, NothingToAcknowledge, AlreadyResolved):
        _, _, current = await _page(services, page_id)
        return Answer("already", incident, current, by=current.acknowledged_by)
    return Answer("acknowledged", incident, escalation, by=page.user_id)


async def escalate_page(
    services: Services, page_id: int, *, via: str, alert_acts: AlertActs
) -> Answer:
    """Move the page's policy to its next level now, as the paged person asked ``via`` their
    phone (sms, voice, ntfy, a link): the escalation says who, and from where; this person's
    page ends (the next level has it). An alert's page escalates the alert."""
    async with session_scope(services.engine) as session:
        alert_page = await session.get(PersonPage, page_id)
    if alert_page is not None and alert_page.alert_group_id is not None:
        answer = await alert_acts(services, alert_page, "escalate")
        if answer.outcome == "escalated":
            await end_page(services, page_id, state="escalated")
        return answer
    page, incident, escalation = await _page(services, page_id)
    if escalation.policy is None or incident.channel_id is None:
        return Answer("cannot_escalate", incident, escalation, reason="no policy to escalate")
    try:
        await escalate(
            services,
            channel_id=incident.channel_id,
            requested_by=page.user_id,
            target=EscalationTarget("name", escalation.policy),
            reason="",
            why={"because": "phone", "via": via, "level": escalation.level or 0},
        )
    except BotError as error:
        reason = str(error.context.get("reason") or "it could not be escalated")
        return Answer("cannot_escalate", incident, escalation, reason=reason)
    await end_page(services, page_id, state="escalated")
    return Answer("escalated", incident, escalation)


def who_did(group: AlertGroup) -> str | None:
    """Who left the alert as it is: its resolver, snoozer, acknowledger or escalator."""
    return {
        "resolved": group.resolved_by,
        "snoozed": group.snoozed_by,
        "acknowledged": group.acknowledged_by,
    }.get(group.state or "", group.escalated_by)


async def group_of(services: Services, group_id: int) -> AlertGroup:
    async with session_scope(services.engine) as session:
        group = await session.get(AlertGroup, group_id)
    assert group is not None
    return group


async def answer_sms(
    services: Services,
    *,
    sender: str,
    body: str,
    message_sid: str,
    alert_acts: AlertActs,
    source: str = "twilio",
) -> str | None:
    """An SMS reply from ``sender``: act on their most recent open page; the SMS answering
    it. The same message id of ``source``'s again (the provider's retry, or a captured
    request replayed) is None: nothing is done and nothing answered, since the answer is an
    SMS paid for (Vonage's is sent by warroom; Twilio's TwiML only to whoever asked)."""
    async with session_scope(services.engine) as session:
        # Claimed before anything else, whoever sent it: an unknown number's replay is
        # answered once too. The claim commits with the page read under it.
        first = await claim_event(session, f"{source}-sms:{message_sid}")
        user = await own.user_with_number(session, services.settings.paging.contacts, sender)
        page = await pages.latest_open_page(session, user) if user is not None else None
        await session.commit()
    if not first:
        log.info("an SMS reply from %s came again: not acted on nor answered twice", source)
        return None
    if user is None:
        return await _said(services, Answer("unknown_number"))
    if page is None:
        return await _said(services, Answer("no_page"))
    word = body.strip().lower()
    answer = await _act(services, page.id or 0, word, via="sms", alert_acts=alert_acts)
    return await _said(services, answer, sms=True)


async def answer_keypress(
    services: Services,
    *,
    call_sid: str,
    digits: str,
    alert_acts: AlertActs,
    source: str = "twilio",
) -> str:
    """A key pressed during a page's call: what the call says back. It acts once per call
    (the call hangs up after its answer, so the same call's id again is the provider's
    retry or a captured request replayed) and only while the call's page is open (an
    alert's page ended: who left the alert as it is). ``source``: the provider (twilio, or
    vonage: its DTMF input event)."""
    async with session_scope(services.engine) as session:
        notification = await pages.by_vendor_id(session, call_sid)
        page = await session.get(PersonPage, notification.page_id) if notification else None
        first = (
            page is not None
            and page.state == "open"
            and await claim_event(session, f"{source}-voice:{call_sid}")
        )
        await session.commit()
    if page is not None and page.state != "open" and page.alert_group_id is not None:
        # An alert's call answered after its page ended (acknowledged from another phone,
        # another replica): who left the alert as it is, not "no open page".
        group = await group_of(services, page.alert_group_id)
        return await _said(services, Answer("already", by=who_did(group), alert=group))
    if page is None or not first:
        return await _said(services, Answer("no_page"))
    answer = await _act(services, page.id or 0, digits, via="voice", alert_acts=alert_acts)
    return await _said(services, answer)


async def call_words(services: Services, *, call_id: str, part: str) -> str:
    """What a page's call says when no key came (``part``: again, or goodbye), for the
    incident (or the alert) of the call ``call_id``; the goodbye alone when no page has
    that call."""
    async with session_scope(services.engine) as session:
        notification = await pages.by_vendor_id(session, call_id)
        page = await session.get(PersonPage, notification.page_id) if notification else None
    if notification is None or page is None or page.state != "open":
        return voice.goodbye(services)
    if page.alert_group_id is not None:  # an alert's call: in the alert's words
        async with session_scope(services.engine) as session:
            group = await session.get(AlertGroup, page.alert_group_id)
        assert group is not None
        return await voice.said(services, AlertPage(group, notification), part)
    _, incident, escalation = await _page(services, page.id or 0)
    return await voice.said(services, IncidentPage(incident, escalation, notification), part)


async def _act(
    services: Services, page_id: int, word: str, *, via: str, alert_acts: AlertActs
) -> Answer:
    if word in ACKNOWLEDGE_WORDS:
        return await acknowledge_page(services, page_id, via=via)
    if word in ESCALATE_WORDS:
        return await escalate_page(services, page_id, via=via, alert_acts=alert_acts)
    async with session_scope(services.engine) as session:
        alert_page = await session.get(PersonPage, page_id)
    if alert_page is not None and alert_page.alert_group_id is not None:
        head, _, length = word.partition(" ")
        if head in SNOOZE_WORDS and length.strip():
            # ``3 4h``: snoozed that long, if the route allows it.
            minutes = snooze_minutes(length.strip())
            if minutes is None:
                group = await group_of(services, alert_page.alert_group_id)
                return Answer("bad_length", alert=group, longest=_longest(services, group))
            return await alert_acts(services, alert_page, "snooze", minutes=minutes)
        if word in SNOOZE_WORDS:
            return await alert_acts(services, alert_page, "snooze")
        if word in RESOLVE_WORDS:
            return await alert_acts(services, alert_page, "resolve")
        return Answer("help", alert=await group_of(services, alert_page.alert_group_id))
    _, incident, escalation = await _page(services, page_id)
    return Answer("help", incident, escalation)


def _longest(services: Services, group: AlertGroup) -> int:
    """The longest snooze the alert's route allows, in seconds."""
    longest = services.settings.alerting.routes.named(group.route).max_snooze
    return int(longest.total_seconds())


async def _page(services: Services, page_id: int) -> tuple[PersonPage, Incident, Escalation]:
    async with session_scope(services.engine) as session:
        page = await session.get(PersonPage, page_id)
        assert page is not None
        incident = await session.get(Incident, page.incident_id)
        escalation = await session.get(Escalation, page.escalation_id)
    assert incident is not None and escalation is not None
    return page, incident, escalation


async def _said(services: Services, answer: Answer, *, sms: bool = False) -> str:
    """The answer in words (an SMS's text, ``sms``, or what the call says)."""
    context: dict[str, object] = {"incident": None, "escalation": None, "title": ""}
    if answer.incident is not None and answer.escalation is not None:
        context = await incident_words(services, answer.incident, answer.escalation, answer.by)
    elif answer.alert is not None:
        async with session_scope(services.engine) as session:
            named = await known_names(session, [answer.by] if answer.by else [])
        context = {**context, "title": answer.alert.title, "names": named}
    names = context.get("names") or {}
    assert isinstance(names, dict)
    by = names.get(answer.by, answer.by) if answer.by else None
    return services.renderer.render_plain(
        "paging/answer.j2",
        **context,
        alert=answer.alert,
        outcome=answer.outcome,
        by=by,
        reason=answer.reason,
        longest=answer.longest,
        snooze=answer.length or PHONE_SNOOZE_MINUTES * 60,
        asked=bool(answer.length),
        sms=sms,
    )
