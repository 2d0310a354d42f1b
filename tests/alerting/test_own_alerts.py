"""Alerts of their own : a route with ``action: page`` pages its
escalation policy and opens no incident. Over the wire: Alertmanager's webhooks to a running
warroom, the Slack emulator (its messages, its signed block_actions), the fake ntfy (Carol's
phone and her tap on Acknowledge)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.config import Secret
from bot.record.alerting.routes import RouteError, parse_routes
from bot.store.db import session_scope
from bot.store.models import AlertGroup
from emulator import Channel, FakeNtfy, SlackEmulator
from emulator.models import Message
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, running_warroom
from tests.helpers.alerts import (
    QUEUES_POLICIES,
    TOKEN,
    alert,
    alertmanager,
    incidents_of,
    post_alert,
    routes,
)
from tests.helpers.incidents import settle
from tests.paging.scenario import SCHEDULES, paging_settings, person_pages

# Tuesday 3 March 2026, 03:00 in Paris: Carol's night on call.
NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
STARTED = "2026-03-03T01:58:00Z"
RESOLVED_AT = "2026-03-03T02:01:00Z"
TOPIC = "carol-7f3a9c"
PUBLIC_URL = "https://warroom.example.com"
POLICIES = QUEUES_POLICIES
CONTACTS = {
    "people": {
        CAROL: {
            "contacts": {"push": {"ntfy": TOPIC}},
            "rules": [
                {"after": "0s", "notify": ["push"]},
                {"after": "2m", "notify": ["slack"]},
            ],
        },
        BOB: {"rules": [{"after": "0s", "notify": ["slack"]}]},
    }
}
GUEST = "U0GUEST"
RUNBOOK = "https://wiki.example.com/runbooks/queues"


def page_route(channel: str) -> dict[str, Any]:
    return {
        "routes": [
            {
                "name": "queues",
                "match": {"alertname": "QueueLag"},
                "action": "page",
                "policy": "queues",
                "channel": channel,
                "severity": "SEV3",
                "max_snooze": "4h",
                "runbook": RUNBOOK,
            }
        ]
    }


@pytest.fixture
def warroom_settings(
    database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    return alert_settings(database_url, tmp_path, ops, ntfy)


def alert_settings(
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    contacts: dict[str, Any] = CONTACTS,
    **more: str,
) -> dict[str, object]:
    """The page route of ``ops`` paging Carol on call, her push through ``ntfy`` (or as
    ``contacts`` say, with ``more`` settings), warroom's public address https."""
    settings = paging_settings(
        tmp_path,
        contacts,
        POLICIES,
        SCHEDULES,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL=PUBLIC_URL,
        **more,
    )
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(page_route(ops.id)),
        **settings,
    }


@asynccontextmanager
async def alert_warroom(
    slack: SlackEmulator,
    database_url: str,
    tmp_path: Path,
    ops: Channel,
    ntfy: FakeNtfy,
    contacts: dict[str, Any] = CONTACTS,
    **more: str,
) -> AsyncIterator[Warroom]:
    """The bot of ``alert_settings`` until the block ends."""
    options = alert_settings(database_url, tmp_path, ops, ntfy, contacts, **more)
    async with running_warroom(slack, **options) as running:
        yield running


def queue_lag(*, resolved: bool = False) -> dict[str, Any]:
    ends = {"ends_at": RESOLVED_AT} if resolved else {}
    return alertmanager("QueueLag", [alert("QueueLag", "worker-1", STARTED, **ends)])


async def deliver(warroom: Warroom, body: dict[str, Any]) -> None:
    status, answer = await post_alert(warroom.url, "alertmanager", body)
    assert status == 202, answer
    await warroom.run_jobs()


# An alert's acts while it pages; its message adds a menu of acts on all the chooser's alerts
# of its route ("⋯" and its options).
PAGING_ACTS = ["Acknowledge", "Escalate", "Snooze", "Resolve", "Declare incident"]
ALL_MINE = "⋯ Acknowledge all mine: queues | Resolve all mine: queues"
RESOLVE_MINE = "⋯ Resolve all mine: queues"


def only_message(channel: Channel) -> Message:
    """The alert's one message (what is said in its thread, what changed before it, aside)."""
    (message,) = [message for message in channel.messages if not message.is_reply]
    return message


def buttons(message: Message) -> list[str]:
    """The labels of the message's acts; an overflow menu's as "⋯ <option> | <option>"."""
    return [
        label(element)
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def label(element: dict[str, Any]) -> str:
    if element["type"] == "overflow":
        return "⋯ " + " | ".join(option["text"]["text"] for option in element["options"])
    return str((element.get("text") or element["placeholder"])["text"])


async def the_alert(warroom: Warroom) -> AlertGroup:
    async with session_scope(warroom.engine) as session:
        (group,) = (await session.exec(select(AlertGroup))).all()
    return group


async def press(warroom: Warroom, channel: Channel, action: str, user: str) -> None:
    """A press of the alert message's button (Escalate: its menu's "Next level"), as Slack
    signs and sends it; one pressed on a copy of the message from before it changed (another
    person's screen) when it is gone."""
    group = await the_alert(warroom)
    message = only_message(channel)
    if action == "escalate_alert":  # Escalate is a menu: its "Next level"
        await warroom.slack.choose_in_message(
            channel.id, message.ts, action, user=user, option_text="Next level"
        )
    else:
        await warroom.slack.click_button(
            channel.id, message.ts, action, user=user, value=str(group.id), block_id="alert"
        )
    await settle(warroom)


async def test_an_alert_pages_the_on_call_person_with_no_channel_and_acknowledge_stops_it(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())

    # Carol, on call for the schedule the policy's first level names, gets the push at once.
    (push,) = ntfy.phone(TOPIC)
    assert push.title == "SEV3 Alert: QueueLag is firing"
    assert "No incident is open for it" in push.message
    # No incident, no channel made.
    assert await incidents_of(warroom) == []
    assert slack.calls_to("conversations.create") == []
    # The route's channel has the alert's one message, with its buttons.
    message = only_message(ops)
    assert "Alert: QueueLag is firing" in message.text
    assert "fired 1 time," in message.text
    assert f"paging escalation policy *queues* (<@{CAROL}>)" in message.text
    assert buttons(message) == [*PAGING_ACTS, ALL_MINE]

    # The same alert again (Alertmanager's repeat): counted, nobody paged again.
    await deliver(warroom, queue_lag())
    assert len(ntfy.phone(TOPIC)) == 1
    message = only_message(ops)
    assert "fired 2 times," in message.text

    # A guest of the workspace may not acknowledge: told privately, nothing changes.
    slack.add_user(GUEST, "gus")
    slack.users[GUEST].is_restricted = True
    ops.members.add(GUEST)
    await press(warroom, ops, "acknowledge_alert", GUEST)
    (refused,) = [m.text for m in slack.ephemeral_for(GUEST)]
    assert refused.startswith(":no_entry: Not acknowledged: guests of the workspace cannot")
    assert (await the_alert(warroom)).state == "triggered"

    # Carol acknowledges from the message: it says so in place, Acknowledge gone.
    await press(warroom, ops, "acknowledge_alert", CAROL)
    message = only_message(ops)
    assert f"*Acknowledged* by <@{CAROL}>" in message.text
    assert buttons(message) == ["Snooze", "Resolve", "Declare incident", RESOLVE_MINE]
    (page,) = await person_pages(warroom)
    assert (page.state, page.acknowledged_by, page.acknowledged_via) == (
        "acknowledged",
        CAROL,
        "slack",
    )

    # Nobody else is paged: not her 2-minute rule, not the policy's next level (Bob at 5 m).
    await warroom.advance(minutes=10)
    assert slack.direct_messages(CAROL) == []
    assert slack.direct_messages(BOB) == []

    # Bob presses Acknowledge on the message as his screen still showed it: already done.
    await press(warroom, ops, "acknowledge_alert", BOB)
    (already,) = [m.text for m in slack.ephemeral_for(BOB)]
    assert already.startswith(f"This alert is already acknowledged by <@{CAROL}>")

    # Alertmanager says it resolved: the alert is resolved, its message says so, no buttons.
    await deliver(warroom, queue_lag(resolved=True))
    message = only_message(ops)
    assert "*Resolved* by its source" in message.text
    assert buttons(message) == []
    assert (await the_alert(warroom)).state == "resolved"
    assert slack.calls_to("conversations.create") == []


async def test_unanswered_it_escalates_and_the_source_resolving_stops_the_paging(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    assert len(ntfy.phone(TOPIC)) == 1
    await warroom.advance(minutes=5)  # nobody acknowledged: level 2, Bob
    (to_bob,) = slack.direct_messages(BOB)
    assert "you are paged by its escalation policy queues" in to_bob.text
    assert len(slack.direct_messages(CAROL)) == 1  # her 2-minute rule
    assert f"(<@{CAROL}>, <@{BOB}>)" in only_message(ops).text

    await deliver(warroom, queue_lag(resolved=True))
    assert [page.state for page in await person_pages(warroom)] == ["ended", "ended"]
    await warroom.advance(minutes=30)
    assert len(slack.direct_messages(BOB)) == 1
    assert len(slack.direct_messages(CAROL)) == 1
    assert len(ntfy.phone(TOPIC)) == 1
    assert "*Resolved* by its source" in only_message(ops).text

    # It fires again later: a new alert, a new message, paged again.
    await deliver(warroom, queue_lag() | {"alerts": [alert("QueueLag", "worker-1", RESOLVED_AT)]})
    assert len(ntfy.phone(TOPIC)) == 2
    assert len(ops.messages) == 2


async def test_carols_tap_on_the_push_acknowledges_the_alert(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    await deliver(warroom, queue_lag())
    (push,) = ntfy.phone(TOPIC)
    assert await ntfy.tap(push, "Acknowledge", reach=(PUBLIC_URL, warroom.url)) == 200
    await warroom.run_jobs()
    message = only_message(ops)
    assert re.search(rf"\*Acknowledged\* by <@{CAROL}> \(ntfy\)", message.text)
    await warroom.advance(minutes=10)
    assert warroom.slack.direct_messages(CAROL) == []
    assert warroom.slack.direct_messages(BOB) == []


async def test_resolve_from_slack_stops_the_paging(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    await deliver(warroom, queue_lag())
    await press(warroom, ops, "resolve_alert", CAROL)
    assert f"*Resolved* by <@{CAROL}>" in only_message(ops).text
    await warroom.advance(minutes=10)
    assert warroom.slack.direct_messages(BOB) == []
    await press(warroom, ops, "resolve_alert", ALICE)
    (already,) = [m.text for m in warroom.slack.ephemeral_for(ALICE)]
    assert already.startswith("This alert is already resolved")


async def choose_snooze(warroom: Warroom, channel: Channel, length: str, user: str) -> None:
    """``user`` picks ``length`` in the alert message's Snooze menu, as Slack sends it."""
    message = only_message(channel)
    await warroom.slack.choose_in_message(
        channel.id, message.ts, "snooze_alert", user=user, option_text=length
    )
    await settle(warroom)


async def test_a_snooze_stops_the_paging_and_it_pages_again_from_level_1_when_still_firing(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    assert len(ntfy.phone(TOPIC)) == 1
    message = only_message(ops)
    assert f"*Runbook:* <{RUNBOOK}>" in message.text  # the route's: the alert names none

    # Carol snoozes it for an hour: paging stops, the message says until when and by whom.
    await choose_snooze(warroom, ops, "1h", CAROL)
    message = only_message(ops)
    assert f"*Snoozed* by <@{CAROL}> until " in message.text
    assert buttons(message) == ["Resolve", "Declare incident", RESOLVE_MINE]
    assert (await the_alert(warroom)).state == "snoozed"
    # Acknowledge on a screen that still shows the button: said privately, nothing changes.
    await press(warroom, ops, "acknowledge_alert", BOB)
    (already,) = [m.text for m in slack.ephemeral_for(BOB)]
    assert already.startswith(f"This alert is already snoozed by <@{CAROL}> until ")

    # Within the hour: not her 2-minute Slack rule, not Bob's level 2; a repeat only counts.
    await warroom.advance(minutes=30)
    await deliver(warroom, queue_lag())
    await warroom.advance(minutes=29)
    assert len(ntfy.phone(TOPIC)) == 1
    assert slack.direct_messages(CAROL) == []
    assert slack.direct_messages(BOB) == []
    assert "fired 2 times," in only_message(ops).text

    # The hour is up and it still fires: triggered again, Carol's phone rings again.
    await warroom.advance(minutes=1)
    assert len(ntfy.phone(TOPIC)) == 2
    message = only_message(ops)
    assert f"*Triggered* again: the snooze by <@{CAROL}> ended at " in message.text
    assert buttons(message) == [*PAGING_ACTS, ALL_MINE]
    # And its policy goes on from there: Bob at level 2, five minutes later.
    await warroom.advance(minutes=5)
    assert len(slack.direct_messages(BOB)) == 1


async def test_resolved_by_its_source_during_a_snooze_it_is_never_paged_again(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    await deliver(warroom, queue_lag())
    await choose_snooze(warroom, ops, "30m", CAROL)
    await warroom.advance(minutes=10)
    await deliver(warroom, queue_lag(resolved=True))
    message = only_message(ops)
    assert "*Resolved* by its source at " in message.text
    assert "during its snooze" in message.text
    assert buttons(message) == []
    await warroom.advance(hours=2)
    assert len(ntfy.phone(TOPIC)) == 1
    assert warroom.slack.direct_messages(CAROL) == []
    assert warroom.slack.direct_messages(BOB) == []
    assert (await the_alert(warroom)).state == "resolved"


async def test_a_snooze_longer_than_the_routes_maximum_or_a_guests_is_refused_in_words(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    await choose_snooze(warroom, ops, "8h", CAROL)
    (refused,) = [m.text for m in slack.ephemeral_for(CAROL)]
    assert refused == (
        ":no_entry: Not snoozed: this alert's route (queues) allows a snooze of at most 4h,"
        " and 8h was chosen. Choose a shorter one, or acknowledge it. Nothing changed."
    )
    slack.add_user(GUEST, "gus")
    slack.users[GUEST].is_restricted = True
    ops.members.add(GUEST)
    await choose_snooze(warroom, ops, "30m", GUEST)
    (guest,) = [m.text for m in slack.ephemeral_for(GUEST)]
    assert guest.startswith(":no_entry: Not snoozed: guests of the workspace cannot snooze")
    # Nor may a guest escalate or resolve it.
    await press(warroom, ops, "escalate_alert", GUEST)
    await press(warroom, ops, "resolve_alert", GUEST)
    _, escalate, resolve = [m.text for m in slack.ephemeral_for(GUEST)]
    assert escalate.startswith(":no_entry: Nobody was paged: guests of the workspace cannot")
    assert resolve.startswith(":no_entry: Not resolved: guests of the workspace cannot")
    assert slack.direct_messages(BOB) == []
    assert (await the_alert(warroom)).state == "triggered"
    # Still paged as before: Bob at level 2 after five minutes.
    await warroom.advance(minutes=5)
    assert len(slack.direct_messages(BOB)) == 1


async def test_escalate_pages_the_next_level_at_once_and_says_so_on_the_last(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    assert slack.direct_messages(BOB) == []

    # Carol and Alice press Escalate at once: Bob (level 2) is paged now, once.
    message = only_message(ops)
    await asyncio.gather(
        *(
            slack.choose_in_message(
                ops.id, message.ts, "escalate_alert", user=user, option_text="Next level"
            )
            for user in (CAROL, ALICE)
        )
    )
    await settle(warroom)
    (to_bob,) = slack.direct_messages(BOB)
    assert "you are paged by its escalation policy queues" in to_bob.text
    text = only_message(ops).text
    assert re.search(rf"Escalated by hand to level 2 by <@({CAROL}|{ALICE})> at ", text)
    assert f"*Paged:* <@{CAROL}> by push, Slack DM · <@{BOB}> by Slack DM" in text
    # The one whose press came second is told privately, in words: nothing more was paged.
    said = [m.text for user in (CAROL, ALICE) for m in slack.ephemeral_for(user)]
    assert len(said) == 1
    assert said[0].startswith(("This alert was escalated meanwhile", "Not escalated: level 2"))

    # Level 2 is the policy's last: a press says so, and Bob's timer does not page him again.
    await press(warroom, ops, "escalate_alert", BOB)
    (last,) = [m.text for m in slack.ephemeral_for(BOB)]
    assert last == (
        "Not escalated: level 2 is the last level of escalation policy *queues*, and it is"
        " paged already. Nobody more was paged."
    )
    await warroom.advance(minutes=10)
    assert len(slack.direct_messages(BOB)) == 1


async def test_the_message_shows_the_alerts_labels_annotations_and_runbook_escaped_once(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    firing = alert("QueueLag", "worker-1", STARTED, common={"queue": "mail<out>"})
    firing["annotations"] |= {
        "description": "Lag over 5 min & rising <!channel>",
        "runbook_url": "https://runbooks.example.com/queue-lag?team=a&b",
    }
    await deliver(warroom, alertmanager("QueueLag", [firing]))
    text = only_message(ops).text
    assert "*SEV3 Alert: " in text
    assert "*Runbook:* <https://runbooks.example.com/queue-lag?team=a&amp;b>" in text
    assert RUNBOOK not in text  # the alert's own runbook comes first
    assert "*description:* Lag over 5 min &amp; rising &lt;!channel&gt;" in text
    assert "*summary:* QueueLag on worker-1" in text
    assert "`queue=mail&lt;out&gt;`" in text
    assert "`instance=worker-1`" in text
    assert "runbook_url" not in text
    assert f"*Paged:* <@{CAROL}> by push, Slack DM" in text  # her rules: push, then Slack
    assert "fired 1 time, last " in text


def test_a_routes_max_snooze_and_runbook_are_checked() -> None:
    route = {"name": "q", "action": "page", "policy": "p", "channel": "C0123456789"}
    assert parse_routes({"routes": [route]}).named("q").max_snooze.total_seconds() == 86400
    with pytest.raises(RouteError, match="max_snooze: expected a duration"):
        parse_routes({"routes": [{**route, "max_snooze": "soon"}]})
    with pytest.raises(RouteError, match="runbook must be an http"):
        parse_routes({"routes": [{**route, "runbook": "javascript:alert(1)"}]})


def test_a_page_route_needs_a_policy_and_a_channel() -> None:
    route = {"name": "queues", "match": {"alertname": "QueueLag"}, "action": "page"}
    with pytest.raises(RouteError, match="a 'page' route needs 'channel'"):
        parse_routes({"routes": [route]})
    with pytest.raises(RouteError, match="a 'page' route needs 'policy'"):
        parse_routes({"routes": [{**route, "channel": "C0123456789"}]})
