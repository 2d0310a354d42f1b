"""Pages over the wire: an escalation reaches Carol through the on-call schedule, her rules
fire at their offsets (the test clock), and an acknowledgement stops what is still to come.
Slack is the emulator on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flows.postmortem.posting import write_draft
from emulator import SlackEmulator
from tests.conftest import BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.incidents import command
from tests.paging.scenario import (
    NOW,
    declare_sev1,
    entries,
    notifications,
    paging_settings,
    person_pages,
)

# Carol hears in Slack at once, and again two minutes later while nobody acknowledged.
CONTACTS = {
    "people": {
        CAROL: {
            "rules": [{"after": "0s", "notify": ["slack"]}, {"after": "2m", "notify": ["slack"]}]
        }
    }
}


@pytest.fixture
def warroom_settings(tmp_path: Path) -> dict[str, object]:
    settings = paging_settings(tmp_path, CONTACTS)
    return {
        "clock": Clock(NOW),
        **settings,
    }


async def test_a_page_follows_the_persons_rules_until_acknowledged(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await declare_sev1(warroom)

    (first,) = slack.direct_messages(CAROL)
    assert first.text.startswith(
        ":rotating_light: *INC-1 SEV1* Checkout API returns 500s: you are paged by its "
        "escalation policy primary (level 1), on call for *night*."
    )
    (page,) = await person_pages(warroom)
    assert (page.user_id, page.state) == (CAROL, "open")
    assert [(n.rule, n.method, n.state) for n in await notifications(warroom)] == [
        (1, "slack", "sent"),
        (2, "slack", "pending"),
    ]

    await warroom.advance(minutes=1, seconds=59)
    assert len(slack.direct_messages(CAROL)) == 1
    await warroom.advance(seconds=1)
    assert len(slack.direct_messages(CAROL)) == 2
    await command(warroom, channel, "ack", user=CAROL)

    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_by, page.acknowledged_via) == (
        "acknowledged",
        CAROL,
        "slack",
    )
    assert [e["outcome"] for e in await entries(warroom, "notification")] == ["sent", "sent"]


async def test_an_acknowledgement_cancels_the_rules_still_to_come(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await declare_sev1(warroom)
    await warroom.advance(minutes=1)
    await command(warroom, channel, "ack", user=CAROL)

    await warroom.advance(minutes=30)
    assert len(slack.direct_messages(CAROL)) == 1  # the 2-minute rule never fired
    assert [(n.rule, n.state) for n in await notifications(warroom)] == [
        (1, "sent"),
        (2, "cancelled"),
    ]
    draft = await write_draft(warroom.services, 1)
    assert "_notification_" not in draft.markdown
    assert " — paged Carol Tanaka by Slack message\n" in draft.markdown
    assert "| Carol Tanaka: Slack message " in draft.markdown


async def test_the_slack_button_acknowledges_and_stops_the_rules(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await declare_sev1(warroom)
    (message,) = [m for m in channel.messages if "escalated to" in m.text]
    await slack.click_button(channel.id, message.ts, "acknowledge_escalation", user=CAROL)
    await warroom.run_jobs()
    await warroom.advance(minutes=30)
    assert len(slack.direct_messages(CAROL)) == 1
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_via) == ("acknowledged", "slack")
    assert [n.state for n in await notifications(warroom)] == ["sent", "cancelled"]


GUEST = "U0GUEST"
GUEST_REFUSED = (
    ": guests of the workspace cannot acknowledge or escalate, as that stops or sends pages to "
    "the people on call. The workspace's members in this channel may: ask one of them."
)


@pytest.mark.parametrize("kind", ["is_restricted", "is_ultra_restricted"])
async def test_a_guest_in_the_channel_neither_acknowledges_nor_escalates(
    warroom: Warroom, kind: str
) -> None:
    """A vendor's engineer invited into the war room as a guest (multi- or single-channel):
    the Acknowledge button, ``/incident ack`` and ``/incident escalate`` are refused in a
    private reply naming who may; Carol keeps being paged and Bob is not."""
    slack = warroom.slack
    channel = await declare_sev1(warroom)
    slack.add_user(GUEST, "gus")
    setattr(slack.users[GUEST], kind, True)
    channel.members.add(GUEST)
    (message,) = [m for m in channel.messages if "escalated to" in m.text]
    await slack.click_button(channel.id, message.ts, "acknowledge_escalation", user=GUEST)
    await warroom.run_jobs()
    await command(warroom, channel, "ack", user=GUEST)
    await command(warroom, channel, "escalate @bob he knows the gateway", user=GUEST)
    assert [m.text for m in slack.ephemeral_for(GUEST)] == [
        ":no_entry: Not acknowledged" + GUEST_REFUSED,
        ":no_entry: Not acknowledged" + GUEST_REFUSED,
        ":no_entry: Nobody was paged" + GUEST_REFUSED,
    ]
    await warroom.advance(minutes=2)
    assert len(slack.direct_messages(CAROL)) == 2  # her 2-minute rule fired
    (page,) = await person_pages(warroom)
    assert page.state == "open"
    assert not any(f"<@{BOB}>" in m.text for m in channel.messages)
    # A member of the workspace in the channel may.
    await slack.click_button(channel.id, message.ts, "acknowledge_escalation", user=CAROL)
    await warroom.run_jobs()
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_by) == ("acknowledged", CAROL)


# The policy again from level 1 twice after its level's 5 minutes: three rounds in all.
LOOPING = {
    "policies": {
        "primary": {"levels": [{"timeout": "5m", "targets": [{"schedule": "night"}]}], "repeat": 2}
    },
    "severities": {"SEV1": "primary"},
}


async def test_repeat_2_pages_her_three_times_then_says_the_policy_is_exhausted(
    slack: SlackEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    settings = paging_settings(tmp_path, CONTACTS, LOOPING)
    async with running_warroom(slack, sqlite_url, Clock(NOW), **settings) as warroom:
        channel = await declare_sev1(warroom)
        for _ in range(3):  # each round: her rules' DM at once and at 2 minutes
            await warroom.advance(minutes=4, seconds=59)
            assert not [m for m in channel.messages if "exhausted" in m.text]
            await warroom.advance(seconds=1)
        assert len(slack.direct_messages(CAROL)) == 6
        assert [p.state for p in await person_pages(warroom)] == ["open"] * 3
        (said,) = [m.text for m in channel.messages if "exhausted" in m.text]
        assert "policy `primary` exhausted: nobody acknowledged after 3 rounds" in said

        await warroom.advance(hours=2)
        assert len(slack.direct_messages(CAROL)) == 6  # nothing more, however long
        assert len([m for m in channel.messages if "exhausted" in m.text]) == 1
