"""The demo's alerts (bot/admin/demo/demo.py plays them): what Alertmanager posts, what each
alert's message in #checkout-alerts and Carol's phone say of it, Carol acknowledging the queue's
on the phone console, Alice declaring the error rate's the incident from its message's
"Declare incident" button, and how many times anyone was paged for it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from bot.admin.demo.demo_script import (
    ALERTS_CHANNEL,
    CAROL_PHONE,
    CAROL_TOPIC,
    CAST,
    DECLARED_TYPE,
    DEMO_ALERT_TOKEN,
    DEMO_PUBLIC_URL,
    ERROR_ALERT,
    QUEUE_ALERT,
    DeclareFromAlert,
    PhoneAcknowledge,
)
from bot.basics.slack_ids import AlertMessage, DeclareModal
from bot.flows.postmortem.posting import write_draft
from bot.keys import services_key
from bot.record.incident.incidents import get_by_channel
from bot.store.db import session_scope
from emulator import FakeNtfy, FakePagerDuty, FakeTwilio, SlackEmulator
from emulator.composer import displayed

# The alerts' summaries: their titles (the routes' ``title``), by which their messages are found.
ERROR_SUMMARY = "Checkout page returns 500s"
QUEUE_SUMMARY = "Checkout's order queue lags 4 minutes"


def say_paged_once(ntfy: FakeNtfy, twilio: FakeTwilio, pagerduty: FakePagerDuty) -> None:
    """How many times the error rate's alert and the incident declared from it reached Carol's
    phone and PagerDuty: once each, the incident paging nobody the alert had paged."""
    pushes = [p for p in ntfy.phone(CAROL_TOPIC) if ERROR_SUMMARY in (p.title or "")]
    texts = [t for t in twilio.phone(CAROL_PHONE).messages if ERROR_SUMMARY in t]
    calls = twilio.phone(CAROL_PHONE).calls
    triggers = [e for e in pagerduty.events if e["event_action"] == "trigger"]
    print(
        f"Paged for {ERROR_ALERT} and the incident declared from it: Carol's phone"
        f" {len(pushes)} push, {len(texts)} SMS, {len(calls)} call; PagerDuty"
        f" {len(triggers)} trigger"
    )


async def post_alert(url: str, status: str, *, start: datetime, now: datetime) -> None:
    """Post the checkout error rate's alert group as Alertmanager does (its v4 webhook, bearer
    token): firing, its route pages at high urgency and opens no incident."""
    route = " (route checkout, high urgency)" if status == "firing" else ""
    print(f"\nAlertmanager posts: {ERROR_ALERT} is {status}{route}")
    resolved = status == "resolved"
    alert = {
        "status": status,
        "labels": {"alertname": ERROR_ALERT, "service": "checkout", "severity": "page"},
        "annotations": {
            "summary": ERROR_SUMMARY,
            "description": "More than 5% of /checkout requests answer 5xx.",
            "runbook_url": "https://runbooks.example.com/checkout/errors",
        },
        "startsAt": start.isoformat(),
        "endsAt": now.isoformat() if resolved else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=checkout_5xx_ratio",
        "fingerprint": "d1c5f3a7e2b94c60",
    }
    await _send_alert(url, alert)


async def _send_alert(url: str, alert: dict[str, Any]) -> None:
    """Post ``alert`` as Alertmanager posts its group (the v4 webhook, grouped by its name)
    to warroom, with the bearer token."""
    name = alert["labels"]["alertname"]
    body = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": alert["status"],
        "receiver": "warroom",
        "groupLabels": {"alertname": name},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.example.com",
        "alerts": [alert],
    }
    headers = {"Authorization": f"Bearer {DEMO_ALERT_TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as answer,
    ):
        if answer.status != 202:
            raise RuntimeError(f"the alert was refused: {answer.status} {await answer.text()}")


async def post_queue_alert(url: str, now: datetime) -> None:
    """Post the checkout queue's lag alert as Alertmanager does: its route pages, at low
    urgency, and opens no incident."""
    print(f"\nAlertmanager posts: {QUEUE_ALERT} is firing (route checkout-queue, low urgency)")
    labels = {"alertname": QUEUE_ALERT, "service": "checkout", "severity": "warning"}
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {
            "summary": QUEUE_SUMMARY,
            "description": "Orders wait more than 3 minutes before a worker takes them.",
        },
        "startsAt": now.isoformat(),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=checkout_queue_lag",
        "fingerprint": "7be0c2d94a1f3e85",
    }
    await _send_alert(url, alert)


def _alert_message(slack: SlackEmulator, channel_id: str, summary: str) -> Any:
    """The alert's one message in the alerts channel (updated in place), by its summary."""
    return next(m for m in slack.channels[channel_id].messages if summary in m.text)


def say_alert_posted(slack: SlackEmulator, channel_id: str, ntfy: FakeNtfy, summary: str) -> None:
    """What an alert did as it fired: its message in the alerts channel (its first two lines)
    and the push it sent Carol's phone."""
    message = _alert_message(slack, channel_id, summary)
    shown = displayed(message.text, slack.workspace()).splitlines()
    print(f"warroom posts in #{ALERTS_CHANNEL}: {' / '.join(shown[:2])}")
    for push in ntfy.phone(CAROL_TOPIC):
        if summary in (push.title or ""):
            buttons = ", ".join(action["label"] for action in push.actions)
            print(f"carol's phone gets a push (priority {push.priority}): {push.title} [{buttons}]")


def say_alert_state(slack: SlackEmulator, channel_id: str, summary: str) -> None:
    """How the alert's message reads once acted on: its state's line."""
    shown = displayed(_alert_message(slack, channel_id, summary).text, slack.workspace())
    lines = shown.splitlines()
    state = next((line for line in lines if "Acknowledged" in line), lines[0])
    print(f"Its message in #{ALERTS_CHANNEL} now says: {state}")


def channels_made(slack: SlackEmulator) -> str:
    return ", ".join(sorted(f"#{c.name}" for c in slack.channels.values() if not c.is_im))


async def acknowledge_on_phone(ntfy: FakeNtfy, step: PhoneAcknowledge, local: str) -> None:
    """The person taps the push: its link opens the alert's phone console (GET), whose
    Acknowledge form is sent as a phone's browser sends it (POST, with the page's CSRF token
    and the cookie of its session)."""
    name = CAST[step.user][0]
    push = ntfy.phone(CAROL_TOPIC)[-1]
    assert push.click is not None
    link = push.click.replace(DEMO_PUBLIC_URL, local, 1)
    # The phone reaches warroom's https address; here it is the demo's port on 127.0.0.1.
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[local])
    async with aiohttp.ClientSession(cookie_jar=jar) as phone:
        async with phone.get(link) as answer:
            page = await answer.text()
        print(
            f"{name} taps the push: her phone opens {DEMO_PUBLIC_URL}/ack/… (the alert's console,"
            f" answered {answer.status})"
        )
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        if token is None:
            raise RuntimeError(f"the console has no form: {page[:300]}")
        form = {"csrf": token[1], "do": "acknowledge"}
        async with phone.post(link, data=form) as answer:
            page = await answer.text()
    if "Acknowledged: the paging has stopped." not in page:
        raise RuntimeError(f"the console did not acknowledge: {answer.status}")
    print(f'{name} presses Acknowledge on it: "Acknowledged: the paging has stopped."')


async def declare_from_alert(
    app: web.Application,
    slack: SlackEmulator,
    alerts_id: str,
    step: DeclareFromAlert,
    settle: Callable[[], Awaitable[None]],
) -> str:
    """The person presses Declare incident on the error rate alert's message: the declare
    form opens filled from the alert; they pick the type (the form follows it) and press
    Declare. The incident's channel, once open; what it took from the alert is said."""
    name = CAST[step.user][0]
    print(f"{name} presses Declare incident on the alert's message in #{ALERTS_CHANNEL}")
    view_id = await _press_declare(slack, alerts_id, step.user)
    blocks = {block.get("block_id"): block for block in slack.views[view_id]["blocks"]}
    title = blocks[DeclareModal.TITLE]["element"]["initial_value"]
    severity = blocks[DeclareModal.SEVERITY]["element"]["initial_option"]
    print(f"The declare form opens filled from the alert: {title}, {severity['value']}")
    kind = {
        "type": "static_select",
        "selected_option": {
            "text": {"type": "plain_text", "text": DECLARED_TYPE},
            "value": DECLARED_TYPE,
        },
    }
    values: dict[str, dict[str, dict[str, Any]]] = {
        DeclareModal.TITLE: {DeclareModal.TITLE: {"type": "plain_text_input", "value": title}},
        DeclareModal.SEVERITY: {
            DeclareModal.SEVERITY: {"type": "static_select", "selected_option": severity}
        },
    }
    await slack.choose_in_view(view_id, DeclareModal.TYPE, kind, user=step.user, values=values)
    await settle()
    print(f"{name} picks the type {DECLARED_TYPE} and presses Declare")
    await slack.submit_view(
        view_id, {**values, DeclareModal.TYPE: {DeclareModal.TYPE: kind}}, user=step.user
    )
    await settle()
    channel_id = await _incident_channel(slack)
    attached = displayed(_alert_message(slack, alerts_id, ERROR_SUMMARY).text, slack.workspace())
    print(
        f"warroom opens #{slack.channels[channel_id].name}; the alert's message now says: "
        + next(line for line in attached.splitlines() if "Declared as" in line)
    )
    await _say_timeline_start(app, channel_id)
    return channel_id


async def _press_declare(slack: SlackEmulator, alerts_id: str, user: str) -> str:
    """``user`` presses Declare incident on the error rate alert's message; the declare form
    it opens (its view's id)."""
    message = _alert_message(slack, alerts_id, ERROR_SUMMARY)
    button = next(
        element
        for block in message.blocks or []
        for element in block.get("elements", [])
        if element.get("action_id") == AlertMessage.DECLARE
    )
    opened = set(slack.views)
    await slack.click_button(
        alerts_id,
        message.ts,
        AlertMessage.DECLARE,
        user=user,
        value=button["value"],
        block_id=AlertMessage.BLOCK,
    )
    view_id: str = await slack.wait_for(
        lambda: next((i for i in slack.views if i not in opened), None), timeout=15
    )
    return view_id


async def _say_timeline_start(app: web.Application, channel_id: str) -> None:
    """The first lines of the incident's timeline, as its draft shows them: the alert's
    history before its declaration."""
    services = app[services_key]
    async with session_scope(services.engine) as session:
        incident = await get_by_channel(session, channel_id)
    assert incident is not None and incident.id is not None
    draft = (await write_draft(services, incident.id, ask_slack=False)).draft
    zone = ZoneInfo(services.settings.incidents.timezone)
    print(f"{incident.reference}'s timeline starts with the alert's history ({zone.key}):")
    for line in draft.timeline:
        print(f"  {line.at.astimezone(zone):%H:%M} {line.kind}: {line.text}")
        if line.kind == "declared":
            break


async def _incident_channel(slack: SlackEmulator) -> str:
    channel = await slack.wait_for(
        lambda: next((c for c in slack.channels.values() if c.name.startswith("inc-")), None),
        timeout=15,
    )
    await slack.wait_for(lambda: channel.pins, timeout=15)
    return str(channel.id)
