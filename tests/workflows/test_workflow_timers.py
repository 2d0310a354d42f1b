"""The ``incident.open_for`` timer counted in one status: it fires once the incident has been
in that status that long without a break, counts again from each return to it, and runs its
workflow at most once per incident. Signed commands into the real server, the test clock."""

from __future__ import annotations

import pytest
import yaml

from bot.record.workflows import WorkflowError, parse_workflows
from emulator import Channel, SlackEmulator
from tests.conftest import Warroom, command, open_incident, running_warroom

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
    async with running_warroom(slack, sqlite_url, workflows=workflows) as warroom:
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
