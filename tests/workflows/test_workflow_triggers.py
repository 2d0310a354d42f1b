"""The triggers and actions the seed tests do not reach, end to end: an alert that types its
incident (and the type's defaults following), a person's type change and role, a severity
that brings in whoever a schedule has on call, and actions Slack refuses (said once, with
Slack's reason, the workflow's other actions still run). Signed requests into the real
server, Slack played by the emulator, the test clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import Secret
from bot.record.workflows.definitions import parse_workflows
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, incidents_of, post_alert, routes
from tests.helpers.incidents import command
from tests.oncall.samples import two_schedules
from tests.types.test_types_in_slack import POLICIES, types_file
from tests.workflows.test_workflows_in_slack import start

# Tuesday 10 March 2026, 11:00 in Paris: Bob's week on the payments schedule.
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
NOBODY = "U0NOBODY01"


def workflows(legal_channel: str) -> Any:
    return parse_workflows(
        {
            "workflows": {
                "payments-alerts": {
                    "on": "alert.received",
                    "when": {"labels": {"team": "payments"}},
                    "do": [{"set_type": "customer-facing"}],
                },
                "type-said": {
                    "on": "incident.type_changed",
                    "when": {"type": "customer-facing"},
                    "do": [{"post": {"text": "Now {{ incident.type }}: tell the customers."}}],
                },
                "role-said": {
                    "on": "incident.role_assigned",
                    "do": [{"post": {"text": "Roles changed in {{ incident.reference }}."}}],
                },
                "page-on-call": {
                    "on": "incident.severity_changed",
                    "when": {"all": [{"severity": "SEV1"}, {"field": "notes", "is_set": False}]},
                    "do": [{"invite": {"schedule": "payments"}}],
                },
                "half-broken": {
                    "on": "incident.declared",
                    "when": {"severity": "SEV4"},
                    "do": [
                        {"post": {"channel": legal_channel, "text": "Heads-up"}},
                        {"invite": {"users": [NOBODY]}},
                        {"post": {"text": "Still here for {{ incident.reference }}."}},
                    ],
                },
            }
        }
    )


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator,
) -> dict[str, object]:
    status = slack.create_channel("status-updates", creator=ALICE, members=[slack.bot_user_id])
    legal = slack.create_channel("legal", creator=ALICE)  # the bot is not in it
    table = {"routes": [{"name": "payments", "match": {"team": "payments"}}]}
    return {
        "clock": Clock(NOW),
        "incidents__types": types_file(status.id),
        "escalation__policies": POLICIES,
        "oncall__schedules": two_schedules(NOW),
        "workflows__definitions": workflows(legal.id),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(table),
    }


def said(channel: Channel, words: str) -> int:
    return sum(words in m.text for m in channel.messages)


async def test_an_alert_types_its_incident_and_the_type_sets_up_as_a_persons_would(
    warroom: Warroom,
) -> None:
    payments = {"team": "payments"}
    firing = alert("CheckoutErrors", "web-1", "2026-03-10T09:58:00Z", common=payments)
    status, answer = await post_alert(
        warroom.url, "alertmanager", alertmanager("CheckoutErrors", [firing], common=payments)
    )
    assert status == 202, answer
    await warroom.run_jobs()
    await warroom.advance(seconds=2)  # the workflow waited for the war room to open
    (incident,) = await incidents_of(warroom)
    assert incident.incident_type == "customer-facing"
    channel = warroom.slack.channels[incident.channel_id or ""]
    # The type's policy brought Carol in; its required role is asked for in the header.
    assert CAROL in channel.members
    header = next(m for m in channel.messages if m.ts in channel.pins)
    assert "*Needed:* comms" in header.text
    # A workflow's own change starts no workflow: type-said stays quiet.
    assert said(channel, "tell the customers") == 0


async def test_a_persons_type_change_role_and_severity_start_their_workflows(
    warroom: Warroom,
) -> None:
    channel = await start(warroom, warroom.slack, "Checkout slow")
    await command(warroom, channel, "type customer-facing")
    assert said(channel, "Now customer-facing: tell the customers.") == 1
    await command(warroom, channel, "role comms @carol")
    assert said(channel, "Roles changed in INC-1.") == 1
    assert BOB not in channel.members
    await command(warroom, channel, "sev 1")
    await warroom.advance(seconds=5)
    assert BOB in channel.members, "whoever the payments schedule has on call now: Bob"


async def test_refused_actions_are_said_once_with_slacks_reason_and_the_rest_still_run(
    warroom: Warroom,
) -> None:
    channel = await start(warroom, warroom.slack, "sev4 Disk filling")
    failures = [m.text for m in channel.messages if "Workflow *half-broken*" in m.text]
    assert len(failures) == 2, failures
    assert "not_in_channel" in failures[0]
    assert NOBODY in failures[1] and "user_not_found" in failures[1]
    assert said(channel, "Still here for INC-1.") == 1
    await warroom.advance(minutes=5)
    assert sum("Workflow *half-broken*" in m.text for m in channel.messages) == 2


async def test_a_workflow_never_invites_a_guest_on_call(warroom: Warroom) -> None:
    warroom.slack.users[BOB].is_restricted = True  # on call by the schedule file, a guest now
    channel = await start(warroom, warroom.slack, "Checkout slow")
    await command(warroom, channel, "sev 1")
    await warroom.advance(seconds=5)
    assert BOB not in channel.members
    failures = [m.text for m in channel.messages if "Workflow *page-on-call*" in m.text]
    assert len(failures) == 1, failures
    assert "is a guest of the workspace: not invited" in failures[0]
