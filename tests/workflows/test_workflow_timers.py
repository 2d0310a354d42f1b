"""The ``incident.open_for`` timer counted in one status: it fires once the incident has been
in that status that long without a break, counts again from each return to it, and runs its
workflow at most once per incident. Signed commands into the real server, the test clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from bot.config import Secret
from bot.record.workflows.definitions import WorkflowError, parse_workflows
from emulator import Channel, SlackEmulator
from tests.conftest import Clock, Warroom, running_warroom
from tests.helpers.alerts import TOKEN, alert, alertmanager, incidents_of, post_alert, routes
from tests.helpers.incidents import command, open_incident

NOW = datetime(2026, 8, 1, 10, 30, tzinfo=UTC)

STUCK = """
workflows:
  stuck:
    on: {incident.open_for: 30m, status: investigating}
    when: {severity: [SEV1, SEV2, SEV3]}
    do:
      - post: {text: "Still investigating {{ incident.reference }} after 30 minutes."}
  long-open:
    on: {incident.open_for: 2h}
    do:
      - post: {text: "{{ incident.reference }} has been open two hours."}
"""


def nudges(channel: Channel, words: str) -> int:
    return sum(words in m.text for m in channel.messages)


async def test_the_timer_counts_in_its_status_and_runs_once_per_incident(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    workflows = parse_workflows(yaml.safe_load(STUCK))
    async with running_warroom(slack, sqlite_url, workflows__definitions=workflows) as warroom:
        channel = await open_incident(warroom)
        await stuck_scenario(warroom, channel)


async def stuck_scenario(warroom: Warroom, channel: Channel) -> None:
    still = "Still investigating INC-1 after 30 minutes."
    await warroom.advance(minutes=20)
    await command(warroom, channel, "status identified")
    await warroom.advance(minutes=5)
    await command(warroom, channel, "status investigating")  # counts from here again
    await warroom.advance(minutes=10)  # 35 minutes open, investigating, but only for 10
    assert nudges(channel, still) == 0
    await warroom.advance(minutes=19)
    assert nudges(channel, still) == 0
    await warroom.advance(minutes=1)  # 30 minutes investigating without a break
    assert nudges(channel, still) == 1

    # Out and back in: the workflow ran for this incident already.
    await command(warroom, channel, "status identified")
    await command(warroom, channel, "status investigating")
    await warroom.advance(minutes=31)
    assert nudges(channel, still) == 1
    # The plain timer still counts from declaration, whatever the status did.
    assert nudges(channel, "INC-1 has been open two hours.") == 0
    await warroom.advance(minutes=2 * 60 - (20 + 5 + 10 + 19 + 1 + 31))
    assert nudges(channel, "INC-1 has been open two hours.") == 1


def test_the_status_timer_reads_in_plain_english_and_a_wrong_status_is_named() -> None:
    workflows = parse_workflows(yaml.safe_load(STUCK))
    assert (
        workflows.by_name["stuck"]
        .reads()
        .startswith("When an incident has been investigating for 30 minutes with severity")
    )
    with pytest.raises(WorkflowError) as refused:
        parse_workflows(
            {
                "workflows": {
                    "x": {
                        "on": {"incident.open_for": "1h", "status": "resolved"},
                        "do": [{"post": {"text": "hi"}}],
                    }
                }
            }
        )
    assert "on: status: 'resolved' is not one of investigating, identified, monitoring" in str(
        refused.value
    )


BACK_AND_FORTH = """
workflows:
  status-said:
    on: incident.status_changed
    do:
      - post: {text: "Status now {{ incident.status }}."}
  watched:
    on: {incident.open_for: 1h, status: monitoring}
    do:
      - post: {text: "{{ incident.reference }} has been monitoring for an hour."}
"""


async def test_each_status_change_runs_its_workflows_even_at_the_same_instant(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """The test clock stands still: identified, investigating, identified again happen at one
    instant, and each is its own change (a change's key is its place, never the clock)."""
    workflows = parse_workflows(yaml.safe_load(BACK_AND_FORTH))
    async with running_warroom(slack, sqlite_url, workflows__definitions=workflows) as warroom:
        channel = await open_incident(warroom)
        for status in ("identified", "investigating", "identified"):
            await command(warroom, channel, f"status {status}")
        await warroom.run_jobs()
        said = [m.text for m in channel.messages if m.text.startswith("Status now")]
        assert said == [
            "Status now identified.",
            "Status now investigating.",
            "Status now identified.",
        ]


async def test_an_alert_route_moving_the_incident_to_monitoring_starts_its_workflows(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """A route with ``on_resolved: monitoring`` changes the status as a person would: the
    status workflows run and the timers counting in monitoring start."""
    workflows = parse_workflows(yaml.safe_load(BACK_AND_FORTH))
    payments = {"team": "payments"}
    table = {"routes": [{"name": "payments", "match": payments, "on_resolved": "monitoring"}]}
    async with running_warroom(
        slack,
        sqlite_url,
        Clock(NOW),
        workflows__definitions=workflows,
        alerting__token=Secret(TOKEN),
        alerting__routes=routes(table),
    ) as warroom:
        firing = alert("CheckoutErrors", "web-1", "2026-08-01T10:00:00Z", common=payments)
        await deliver(warroom, alertmanager("CheckoutErrors", [firing], common=payments))
        resolved = {**firing, "status": "resolved", "endsAt": "2026-08-01T10:30:00Z"}
        await deliver(warroom, alertmanager("CheckoutErrors", [resolved], common=payments))
        (incident,) = await incidents_of(warroom)
        channel = slack.channels[incident.channel_id or ""]
        assert "Status now monitoring." in [m.text for m in channel.messages]
        watched = "INC-1 has been monitoring for an hour."
        await warroom.advance(minutes=59)
        assert nudges(channel, watched) == 0
        await warroom.advance(minutes=1)
        assert nudges(channel, watched) == 1


async def deliver(warroom: Warroom, body: dict[str, object]) -> None:
    status, answer = await post_alert(warroom.url, "alertmanager", body)
    assert status == 202, answer
    await warroom.run_jobs()
