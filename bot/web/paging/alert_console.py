"""An alert's acknowledgement link: its phone console (docs/web-view.md).

The link a push, a push's tap or an e-mail carries opens a small page for the alert that
paged its person: the alert's header (title, severity, state now), its latest state (who
acknowledged, snoozed or escalated it and when, in the person's zone: "You acknowledged at
03:12" on a second visit), who else is paged and how, *Open in Slack* (the alert's
message), and *Acknowledge*, *Escalate*, *Snooze* (the message's lengths, refused past
the route's ``max_snooze`` in words) and *Resolve*, each through the same flow as the
message's button, as the link's person. The link is never spent: it acts until the alert
resolves, then says when and by whom, in the person's zone (a later firing is a new alert,
paged with new links).

The token in the path is the authority (it names one page of one alert, as for an
incident's link). The push's own buttons POST with no cookie (``/ack/<token>`` acknowledges,
``/ack/<token>/escalate`` escalates); the console's forms also carry the CSRF token of an
anonymous session, as the web view's other forms do.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.basics.errors import BotError
from bot.basics.numbers import parse_bounded_int
from bot.basics.slack_patterns import USER_ID
from bot.clients.slack.errors import SlackFailure
from bot.flows.alerting.alert_actions import (
    AlreadyPaged,
    GuestChosen,
    SnoozeTooLong,
    answer_from_phone,
    escalate_alert_to,
    snooze_alert,
)
from bot.flows.escalation.answers import Answer, acknowledge_page, escalate_page, who_did
from bot.flows.paging.alert_pages import AlertUnchanged, message_url, paged_how
from bot.flows.people import zone_of
from bot.record.alerting import alerts, escalated
from bot.record.incident.message_links import known_bases
from bot.record.paging.tokens import Held
from bot.record.people import known_names, known_people
from bot.store.db import session_scope
from bot.store.models import AlertGroup
from bot.web.auth import check_csrf, csrf_token, keep_new_session, session_of, with_session
from bot.web.context import web_context
from bot.web.pages_common import FormUnreadable, read_form, render_page
from bot.web.visibility import Viewer

TEMPLATE = "web/alert_console.html.j2"
HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
# What the console's forms ask (``do``), each the message's button of that name.
ACTS = ("acknowledge", "escalate", "escalate_to", "snooze", "resolve")
# The most people Escalate to a person offers (those warroom knows, by name).
OFFERED_MAX = 300


@dataclass(frozen=True)
class Said:
    """What a press on the console did: ``outcome`` (acknowledged, escalated, snoozed,
    resolved, escalated_to, already, already_paged, guest_chosen, last_level, too_long,
    refused) and what the words need (``person``: the one escalated to, or chosen)."""

    outcome: str
    alert: AlertGroup
    by: str | None = None
    longest: int = 0
    asked: int = 0
    person: str | None = None


def _viewer(request: web.Request) -> Viewer:
    """Whoever holds the link: an anonymous session (made on the first visit) for CSRF."""
    session = session_of(request)
    viewer = Viewer(None, "link", None, False, session.session_id if session else "")
    return with_session(request, viewer)


def current(held: Held) -> bool:
    """Whether the link's page is of the alert's current firing (a resolved alert that fired
    again is a new alert: an older link only says the old one resolved)."""
    assert held.alert is not None
    return (held.page.alert_step or "").startswith(f"{held.alert.episode}:")


async def show(request: web.Request, held: Held, said: Said | None = None) -> web.Response:
    """The console as the alert stands now (``said``: what the press just did)."""
    services = web_context(request).services
    assert held.alert is not None
    async with session_scope(services.engine) as session:
        group = await session.get(AlertGroup, held.alert.id) or held.alert
        how = await paged_how(session, group)
        by_hand = await escalated.shown_escalations(session, group)
        actors = [group.acknowledged_by, group.snoozed_by, group.resolved_by]
        actors += [said.person if said else None]
        actors += [user for each in by_hand for user in (each.escalated_by, each.person)]
        people = [user for user, _ in how] + [user for user in actors if user]
        names = await known_names(session, people)
        bases = await known_bases(session, [group.message_channel or ""])
        offered = await known_people(session, OFFERED_MAX)
    ended = group.state == alerts.RESOLVED or not current(held)
    viewer = _viewer(request)
    response = render_page(
        request,
        TEMPLATE,
        status=409 if said and said.outcome in ("already", "last_level") else 200,
        alert=group,
        ended=ended,
        current=current(held),
        me=held.page.user_id,
        zone=await zone_of(services, held.page.user_id),
        others=[(user, methods) for user, methods in how if user != held.page.user_id],
        names=await _with_slack_names(request, names, people),
        slack_link=await _slack_link(request, group, bases),
        snooze_choices=alerts.SNOOZE_CHOICES,
        people=[(user, name) for user, name in offered if user != held.page.user_id],
        said=said,
        escalated=by_hand,
        shown_at_most=escalated.ESCALATIONS_SHOWN,
        csrf=csrf_token(request, viewer),
    )
    response.headers.update(HEADERS)
    keep_new_session(request, response)
    return response


async def _with_slack_names(
    request: web.Request, names: dict[str, str], people: list[str]
) -> dict[str, str]:
    """The names the record keeps, and Slack's for the few people it does not (the same
    people are asked once: the workspace client keeps its answers)."""
    services = web_context(request).services
    named = dict(names)
    for user in dict.fromkeys(people):
        if user not in named:
            try:
                named[user] = await services.slack.full_name(user)
            except SlackFailure:
                continue  # the id is shown: the page answers while Slack does not
    return named


async def _slack_link(request: web.Request, group: AlertGroup, bases: dict[str, str]) -> str | None:
    """The alert's message in Slack (its permalink, else a deep link to its channel)."""
    return await message_url(web_context(request).services, group, bases)


async def act(
    request: web.Request, held: Held, do: str, minutes: int | None = None, person: str = ""
) -> web.Response:
    """A press from the phone (``do``: acknowledge, escalate, resolve, snooze for
    ``minutes``, or escalate to ``person``), as the link's person; the console then says
    what it did."""
    assert held.alert is not None
    if held.alert.state == alerts.RESOLVED or not current(held):
        return await show(request, held)
    services = web_context(request).services
    page_id = held.page.id or 0
    if do == "acknowledge":
        said = _said(await acknowledge_page(services, page_id, via=held.method))
    elif do == "escalate":
        answer = await escalate_page(
            services, page_id, via=held.method, alert_acts=answer_from_phone
        )
        said = _said(answer)
    elif do == "resolve":
        said = _said(await answer_from_phone(services, held.page, "resolve"))
    elif do == "escalate_to":
        said = await _escalate_to(request, held, person)
    else:
        said = await _snooze(request, held, minutes)
    return await show(request, held, said)


async def act_on_form(request: web.Request, held: Held) -> web.Response:
    """POST /ack/<token> of an alert's link: a console's form (its CSRF token checked: 403
    otherwise) does what it asks; a POST with no ``do`` is the push's Acknowledge."""
    try:
        form = await read_form(request)
    except FormUnreadable:
        raise web.HTTPBadRequest(text="This form could not be read.") from None
    if form.get("do") is None:  # the push's Acknowledge (or an older page's form): no cookie
        return await act(request, held, "acknowledge")
    check_csrf(request, _viewer(request), form.get("csrf"))
    do = str(form.get("do"))
    minutes = parse_bounded_int(str(form.get("minutes", "")), 1, max(alerts.SNOOZE_CHOICES))
    person = str(form.get("person", ""))
    if (
        do not in ACTS
        or (do == "snooze" and minutes not in alerts.SNOOZE_CHOICES)
        or (do == "escalate_to" and not USER_ID.fullmatch(person))
    ):
        raise web.HTTPBadRequest(
            text="Choose Acknowledge, Escalate, Resolve, a Snooze length offered or a person."
        )
    return await act(request, held, do, minutes, person)


async def _snooze(request: web.Request, held: Held, minutes: int | None) -> Said:
    assert held.alert is not None and held.alert.id is not None and minutes is not None
    services = web_context(request).services
    try:
        await snooze_alert(services, held.alert.id, user=held.page.user_id, minutes=minutes)
    except AlertUnchanged as unchanged:
        group = unchanged.context["alert"]
        return Said("already", group, who_did(group))
    except SnoozeTooLong as refused:
        context = refused.context
        return Said("too_long", held.alert, longest=context["longest"], asked=context["asked"])
    except BotError:
        return Said("refused", held.alert)
    return Said("snoozed", held.alert, held.page.user_id)


async def _escalate_to(request: web.Request, held: Held, person: str) -> Said:
    """Escalate to a person chosen, as the message's form does, as the link's person."""
    assert held.alert is not None and held.alert.id is not None
    services = web_context(request).services
    user = held.page.user_id
    try:
        await escalate_alert_to(services, held.alert.id, user=user, person=person)
    except AlertUnchanged as unchanged:
        group = unchanged.context["alert"]
        return Said("already", group, who_did(group))
    except AlreadyPaged:
        return Said("already_paged", held.alert, person=person)
    except GuestChosen:
        return Said("guest_chosen", held.alert, person=person)
    except BotError:
        return Said("refused", held.alert)
    return Said("escalated_to", held.alert, user, person=person)


def _said(answer: Answer) -> Said:
    assert answer.alert is not None
    refused = answer.outcome in ("cannot_escalate", "cannot")
    return Said("refused" if refused else answer.outcome, answer.alert, answer.by)
