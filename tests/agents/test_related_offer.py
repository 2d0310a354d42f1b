"""Related incidents offered in the channel as an incident opens ("2 earlier incidents on
checkout: …"), declared by an alert or by a person: the function related_incidents and the
incident page use, said only when it finds some, and never naming a private incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.basics.slack_ids import field_input
from bot.config import Secret
from bot.record.escalation.policies import parse_policies
from bot.record.incident.incident_types import parse_incident_types
from bot.store.db import session_scope
from bot.store.models import Incident, IncidentFieldValue
from emulator import Channel
from tests.conftest import ALICE, BOB, Clock, Warroom
from tests.helpers.alerts import alert, alertmanager, post_alert, routes
from tests.helpers.incidents import declare_incident, settle

NOW = datetime(2026, 8, 1, 10, 30, tzinfo=UTC)
TOKEN = "test-alert-token-0123456789"
OFFER = ":mag: *"


@pytest.fixture
def warroom_settings() -> dict[str, object]:
    types = parse_incident_types(
        {
            "fields": {
                "service": {
                    "type": "select",
                    "label": "Service",
                    "options": ["checkout", "search"],
                    "required_at": "declare",
                }
            },
            "types": {"outage": {"fields": ["service"]}},
        }
    )
    policies = parse_policies({"policies": {"web": {"levels": [{"targets": [{"user": BOB}]}]}}})
    return {
        "clock": Clock(NOW),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes({"routes": [], "default": {"action": "open", "policy": "web"}}),
        "escalation__policies": policies,
        "incidents__types": types,
        "web__public_url": "https://warroom.example.com",
        "runtime__scheduler_interval": 3600.0,
    }


async def fire(warroom: Warroom, group: str) -> Channel:
    """An Alertmanager group on checkout fires; the channel of the incident it opens."""
    before = set(warroom.slack.channels)
    labels = {"service": "checkout"}
    body = alertmanager(group, [alert(group, "web-1", "2026-08-01T10:29:00Z", common=labels)])
    status, answer = await post_alert(warroom.url, "alertmanager", body, token=TOKEN)
    assert status == 202, answer
    await settle(warroom)
    return next(c for i, c in warroom.slack.channels.items() if i not in before)


async def declare_on_checkout(warroom: Warroom, title: str) -> Channel:
    """``/incident start --type outage <title>``: the form asks the service; checkout."""
    slack = warroom.slack
    general = slack.channel_by_name("general")
    assert general is not None
    before = set(slack.channels)
    await slack.send_command(f"start --type outage {title}", user=ALICE, channel=general.id)
    await settle(warroom)
    view_id, _ = await slack.wait_for(lambda: next(reversed(slack.views.items()), None))
    submitted = await slack.submit_view(
        view_id,
        {
            "title": {"title": {"type": "plain_text_input", "value": title}},
            "incident_type": {
                "incident_type": {"type": "static_select", "selected_option": {"value": "outage"}}
            },
            "severity": {
                "severity": {"type": "static_select", "selected_option": {"value": "SEV2"}}
            },
            field_input("service"): {
                field_input("service"): {
                    "type": "static_select",
                    "selected_option": {"value": "checkout"},
                }
            },
        },
        user=ALICE,
    )
    assert submitted.status == 200, submitted
    channel: Channel = await slack.wait_for(
        lambda: next(
            (c for i, c in slack.channels.items() if i not in before and c.name.startswith("inc-")),
            None,
        )
    )
    await slack.wait_for(lambda: channel.pins)
    await settle(warroom)
    return channel


def offers(channel: Channel) -> list[str]:
    return [m.text for m in channel.messages if m.text.startswith(OFFER)]


async def test_an_incident_opening_is_told_its_earlier_relatives_never_a_private_one(
    warroom: Warroom,
) -> None:
    # The first incident on checkout (an alert's): nothing earlier, nothing said.
    first = await fire(warroom, "CheckoutErrorRate")
    assert offers(first) == []
    await warroom.slack.send_command(
        "action @bob Add a canary for checkout", user=ALICE, channel=first.id
    )
    await settle(warroom)

    # A private incident on checkout: related, but never named in a channel.
    warroom.clock.now += timedelta(hours=2)
    secret = await declare_incident(warroom.slack, "--private Card data in the logs", pinned=True)
    await settle(warroom)
    assert offers(secret) == []
    async with session_scope(warroom.engine) as session:
        hidden = (await session.exec(select(Incident).where(Incident.number == 2))).one()
        assert hidden.is_private
        session.add(IncidentFieldValue(incident_id=hidden.id, field="service", value="checkout"))
        await session.commit()

    # Declared by a person, its service given in the form: the alert's incident is offered
    # (a service is a service, whether a field or an alert's label says it).
    warroom.clock.now += timedelta(days=1)
    third = await declare_on_checkout(warroom, "Checkout slow")
    [said] = offers(third)
    assert said.startswith(":mag: *1 earlier incident on checkout:*")
    assert "<https://warroom.example.com/incidents/INC-1|INC-1>" in said
    assert "1 follow-up still open: Add a canary for checkout" in said
    assert "INC-2" not in said and "Card data" not in said

    # Opened by an alert again: both public ones, newest first, never the private one.
    warroom.clock.now += timedelta(days=1)
    fourth = await fire(warroom, "CheckoutLatency")
    [said] = offers(fourth)
    assert said.startswith(":mag: *2 earlier incidents on checkout:*")
    assert said.index("INC-3") < said.index("INC-1")
    assert "INC-2" not in said and "Card data" not in said
