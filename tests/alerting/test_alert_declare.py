"""An alert declared as an incident in one press, or attached to one. Over
the wire: Alertmanager's webhooks to a running warroom, the Slack emulator (the alert
message's Declare incident button, the declare form it opens and its submission, the
incident's channel, ``/incident alert attach``), the fake ntfy (Carol's phone), the JSON
API (the incident's times, metrics and timeline as every surface reads them).

Carol is on call for ``night`` (the ``queues`` policy's level 1, its level 2 Bob after five
minutes); the alert fires at 01:58 by Alertmanager's clock and reaches warroom at 02:00."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.config import Secret
from bot.store.db import session_scope
from bot.store.models import AlertGroup, Incident
from emulator import Channel, FakeNtfy, SlackEmulator
from tests.alerting.test_alert_escalate_to_person import choose_a_person, page_them
from tests.alerting.test_own_alerts import (
    CONTACTS,
    GUEST,
    NOW,
    POLICIES,
    PUBLIC_URL,
    RESOLVE_MINE,
    TOPIC,
    buttons,
    deliver,
    only_message,
    page_route,
    queue_lag,
)
from tests.conftest import ALICE, BOB, CAROL, Clock, Warroom, WarroomFactory
from tests.helpers.alerts import TOKEN, alert, alertmanager, incidents_of, routes
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import API_TOKEN, web_settings
from tests.paging.scenario import SCHEDULES, paging_settings

STARTED = datetime(2026, 3, 3, 1, 58, tzinfo=UTC)  # the alert's startsAt


@pytest.fixture
def warroom_settings(
    slack: SlackEmulator, database_url: str, tmp_path: Path, ops: Channel, ntfy: FakeNtfy
) -> dict[str, object]:
    settings = paging_settings(
        tmp_path,
        CONTACTS,
        POLICIES,
        SCHEDULES,
        WARROOM_NTFY_URL=ntfy.root,
        WARROOM_PUBLIC_URL=PUBLIC_URL,
    )
    return {
        "database_url": database_url,
        "clock": Clock(NOW),
        "alerting__token": Secret(TOKEN),
        "alerting__routes": routes(page_route(ops.id)),
        **web_settings(slack),
        **settings,
    }


async def the_alerts(warroom: Warroom) -> list[AlertGroup]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(AlertGroup).order_by(AlertGroup.id))).all())


async def press_declare(warroom: Warroom, ops: Channel, user: str, message_ts: str = "") -> None:
    """``user`` presses Declare incident on the alert's message (as their screen shows it)."""
    (group, *_) = await the_alerts(warroom)
    ts = message_ts or only_message(ops).ts
    await warroom.slack.click_button(
        ops.id, ts, "declare_from_alert", user=user, value=str(group.id), block_id="alert"
    )
    await settle(warroom)


def declare_form(slack: SlackEmulator, user: str) -> tuple[str, dict[str, Any]]:
    """The declare form open for ``user`` (the latest)."""
    forms = [
        (view_id, view)
        for view_id, view in slack.views.items()
        if view["callback_id"] == "declare_incident" and view.get("trigger_user") == user
    ]
    return forms[-1]


async def submit(slack: SlackEmulator, view_id: str, view: dict[str, Any], user: str) -> None:
    """Submit the form as it was filled (its title and severity kept)."""
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    title = blocks["title"]["element"]["initial_value"]
    severity = blocks["severity"]["element"]["initial_option"]
    answer = await slack.submit_view(
        view_id,
        {
            "title": {"title": {"type": "plain_text_input", "value": title}},
            "severity": {
                "severity": {
                    "type": "static_select",
                    "selected_option": {"value": severity["value"]},
                }
            },
        },
        user=user,
    )
    assert answer.status == 200 and answer.text == "", answer.text


async def api_incident(warroom: Warroom, reference: str = "INC-1") -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/api/incidents/{reference}", headers=headers) as answer,
    ):
        assert answer.status == 200, await answer.text()
        found: dict[str, Any] = await answer.json()
        return found


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_declared_from_an_acknowledged_alert_the_timeline_starts_with_its_history(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())  # 02:00: Carol's push
    await warroom.advance(minutes=1)
    await deliver(warroom, queue_lag())  # a repeat: counted
    await warroom.advance(minutes=2)
    message = only_message(ops)
    await slack.click_button(
        ops.id, message.ts, "acknowledge_alert", user=CAROL, block_id="alert",
        value=str((await the_alerts(warroom))[0].id),
    )  # fmt: skip
    await settle(warroom)  # 02:03: Carol acknowledges
    assert buttons(only_message(ops)) == ["Snooze", "Resolve", "Declare incident", RESOLVE_MINE]
    await warroom.advance(minutes=3)

    # 02:06: Alice presses Declare incident: the declare form, filled from the alert.
    await press_declare(warroom, ops, ALICE)
    view_id, view = declare_form(slack, ALICE)
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == "QueueLag is firing"
    assert blocks["severity"]["element"]["initial_option"]["value"] == "SEV3"
    await submit(slack, view_id, view, ALICE)
    await settle(warroom)

    # Declared as /incident start does: its channel, Alice its lead; the alert attached.
    (incident,) = await incidents_of(warroom)
    assert (incident.reference, incident.declared_by, incident.commander) == ("INC-1", ALICE, ALICE)
    assert incident.channel_id is not None
    channel = slack.channels[incident.channel_id]
    assert any("Declared from the alert *QueueLag is firing*" in m.text for m in channel.messages)
    text = only_message(ops).text
    assert f":link: *Declared as INC-1* (<#{incident.channel_id}>) by <@{ALICE}> at " in text
    assert buttons(only_message(ops)) == []
    assert [group.state for group in await the_alerts(warroom)] == ["attached"]

    # Its timeline starts with the alert's history, at the alert's times.
    record = await api_incident(warroom)
    lines = [(at(line["at"]), line["kind"], line["text"]) for line in record["timeline"]]
    assert lines[0][:2] == (STARTED, "detection")
    assert "QueueLag" in lines[0][2] and "fired 2 times" in lines[0][2]
    paged = [line for line in lines if line[1] == "paged"]
    assert len(paged) == 1 and paged[0][0] == NOW
    said = "The alert “QueueLag is firing” paged @Carol Tanaka (policy queues, level 1) by "
    assert paged[0][2] == said + "push, Slack message"
    acknowledged = [line for line in lines if line[1] == "acknowledged"]
    assert acknowledged[0][0] == NOW + timedelta(minutes=3)
    assert "acknowledged by @Carol Tanaka in Slack" in acknowledged[0][2]
    assert lines.index(acknowledged[0]) < [line[1] for line in lines].index("declared")
    # Detection is the alert's first firing; acknowledged, the alert's acknowledgement; time
    # to acknowledge, from its page (02:00) to it (02:03): the alert's own.
    assert at(record["detected_at"]) == STARTED
    assert at(record["acknowledged_at"]) == NOW + timedelta(minutes=3)
    assert at(record["declared_at"]) == NOW + timedelta(minutes=6)
    metrics = {metric["key"]: metric for metric in record["metrics"]}
    assert metrics["time_to_acknowledge"]["seconds"] == 180
    assert metrics["time_to_acknowledge"]["from"] == "paged"
    # The list says the same (one definition, figures.py).
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{warroom.url}/api/incidents", headers=headers) as answer,
    ):
        (listed,) = (await answer.json())["items"]
    assert at(listed["acknowledged_at"]) == NOW + timedelta(minutes=3)
    assert at(listed["detected_at"]) == STARTED

    # Declare pressed again, on a screen that still shows the button: said, nothing changes.
    await press_declare(warroom, ops, BOB, message_ts=only_message(ops).ts)
    (said,) = [m.text for m in slack.ephemeral_for(BOB)]
    assert said.startswith("This alert is already declared as *INC-1*")
    assert len(await incidents_of(warroom)) == 1
    assert len(ntfy.phone(TOPIC)) == 1


async def test_declared_while_paging_the_incident_takes_over_and_pages_nobody_twice(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())  # 02:00: Carol's push; Bob due at 02:05
    assert len(ntfy.phone(TOPIC)) == 1
    await warroom.advance(minutes=1)
    await press_declare(warroom, ops, ALICE)
    view_id, view = declare_form(slack, ALICE)
    await submit(slack, view_id, view, ALICE)
    await settle(warroom)
    (incident,) = await incidents_of(warroom)

    # The incident's policy (the alert's: SEV3 names none) starts at its level 1: Carol, paged
    # for the alert already, is brought into the channel and not paged again; her own rules
    # go on (her Slack DM at 02:02, the alert's). Bob comes at the incident's level 2 (02:06),
    # once: the alert's own level 2 (02:05) was cancelled.
    await warroom.advance(minutes=4)  # 02:05
    assert slack.direct_messages(BOB) == []
    await warroom.advance(minutes=2)  # 02:07
    assert len(slack.direct_messages(BOB)) == 1
    await warroom.advance(minutes=20)
    assert len(ntfy.phone(TOPIC)) == 1
    assert len(slack.direct_messages(CAROL)) == 1
    assert len(slack.direct_messages(BOB)) == 1
    assert incident.channel_id is not None
    assert CAROL in slack.channels[incident.channel_id].members

    # Carol taps Acknowledge on the alert's push: the incident is acknowledged (its record
    # says so, from the push), and nothing more is sent to anyone.
    (push,) = ntfy.phone(TOPIC)
    assert await ntfy.tap(push, "Acknowledge", reach=(PUBLIC_URL, warroom.url)) == 200
    await settle(warroom)
    record = await api_incident(warroom)
    assert at(record["acknowledged_at"]) == NOW + timedelta(minutes=27)
    assert any(
        line["kind"] == "acknowledged" and "from the push notification" in line["text"]
        for line in record["timeline"]
    )
    async with session_scope(warroom.engine) as session:
        current = await session.get(Incident, incident.id)
    assert current is not None and current.acknowledged_at is not None
    await warroom.advance(minutes=30)
    assert len(ntfy.phone(TOPIC)) == 1
    assert len(slack.direct_messages(BOB)) == 1


async def test_a_guest_may_not_and_two_submissions_at_once_make_one_incident(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    # A guest of the workspace may not: told privately, no form, nothing changes.
    slack.add_user(GUEST, "gus")
    slack.users[GUEST].is_restricted = True
    ops.members.add(GUEST)
    await press_declare(warroom, ops, GUEST)
    (refused,) = [m.text for m in slack.ephemeral_for(GUEST)]
    assert refused.startswith(":no_entry: Nothing was attached: guests of the workspace cannot")
    assert not [v for v in slack.views.values() if v.get("trigger_user") == GUEST]

    await press_declare(warroom, ops, ALICE)
    await press_declare(warroom, ops, BOB)
    alices, bobs = declare_form(slack, ALICE), declare_form(slack, BOB)
    assert alices[0] != bobs[0]
    await asyncio.gather(
        submit(slack, *alices, ALICE),
        submit(slack, *bobs, BOB),
    )
    await settle(warroom)
    (incident,) = await incidents_of(warroom)
    assert (
        slack.calls_to("conversations.create") and len(slack.calls_to("conversations.create")) == 1
    )
    loser = BOB if incident.declared_by == ALICE else ALICE
    said = [m.text for m in slack.ephemeral_for(loser)]
    assert any("This alert is already declared as *INC-1*" in text for text in said), said


async def test_alert_attach_takes_another_alert_in_and_refuses_in_words(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom, "Mail is slow")  # INC-1, declared at 02:00
    await warroom.advance(minutes=3)
    await deliver(warroom, queue_lag())  # 02:03: alert 1, Carol paged
    (group,) = await the_alerts(warroom)
    assert f"Alert {group.id} · route *queues*" in only_message(ops).text

    # Bad input: the usage; an unknown id, and a guest: refused privately, nothing changes.
    await command(warroom, channel, "alert attach")
    await command(warroom, channel, "alert attach 999")
    slack.add_user(GUEST, "gus")
    slack.users[GUEST].is_restricted = True
    channel.members.add(GUEST)
    await command(warroom, channel, f"alert attach {group.id}", user=GUEST)
    usage, unknown = [m.text for m in slack.ephemeral_for(ALICE)][-2:]
    assert "Usage: `/incident alert attach &lt;alert id&gt;`" in usage
    assert unknown.startswith(":warning: There is no alert 999")
    (guest,) = [m.text for m in slack.ephemeral_for(GUEST)]
    assert guest.startswith(":no_entry: Nothing was attached: guests of the workspace cannot")
    assert (await the_alerts(warroom))[0].state == "triggered"

    # Attached: its history on the incident's timeline, the channel told, the message too.
    await warroom.advance(minutes=1)
    await command(warroom, channel, f"alert attach {group.id}")
    assert any(
        f"<@{ALICE}> attached the alert *QueueLag is firing* (alert {group.id}" in m.text
        for m in channel.messages
    )
    assert ":link: *Attached to INC-1*" in only_message(ops).text
    record = await api_incident(warroom)
    kinds = [(at(line["at"]), line["kind"]) for line in record["timeline"]]
    assert (STARTED, "alert") in kinds and (NOW + timedelta(minutes=3), "paged") in kinds
    assert at(record["detected_at"]) == STARTED  # earlier than the declaration's

    # Attached already (naming the incident), or resolved: refused privately.
    await command(warroom, channel, f"alert attach {group.id}")
    assert slack.ephemeral_for(ALICE)[-1].text.startswith(
        "This alert is already attached to *INC-1*"
    )

    # A later alert of the group joins the incident, and pages nobody.
    later = alert("QueueLag", "worker-2", "2026-03-03T02:05:00Z")
    await deliver(warroom, alertmanager("QueueLag", [later]))
    record = await api_incident(warroom)
    joined = [a["labels"]["instance"] for a in record["alerts"]]
    assert joined == ["worker-1", "worker-2"]
    assert (at("2026-03-03T02:05:00Z"), "alert") in [
        (at(line["at"]), line["kind"]) for line in record["timeline"]
    ]
    assert len(ntfy.phone(TOPIC)) == 1
    assert "fired 2 times," in only_message(ops).text

    # Another alert of the route (another group), resolved before anyone attaches it.
    key = '{}:{alertname="QueueLag", shard="9"}'
    firing = alert("QueueLag", "worker-9", "2026-03-03T02:06:00Z")
    await deliver(warroom, alertmanager("QueueLag", [firing]) | {"groupKey": key})
    ended = {**firing, "status": "resolved", "endsAt": "2026-03-03T02:07:00Z"}
    await deliver(warroom, alertmanager("QueueLag", [ended]) | {"groupKey": key})
    other = (await the_alerts(warroom))[-1]
    assert other.id != group.id and other.state == "resolved"
    await command(warroom, channel, f"alert attach {other.id}")
    assert slack.ephemeral_for(ALICE)[-1].text.startswith("This alert is already resolved")


async def test_its_source_resolving_is_said_and_after_the_incident_it_is_its_own_again(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())
    await press_declare(warroom, ops, ALICE)
    await submit(slack, *declare_form(slack, ALICE), ALICE)
    await settle(warroom)
    (incident,) = await incidents_of(warroom)
    assert incident.channel_id is not None
    channel = slack.channels[incident.channel_id]

    # Alertmanager says it resolved: the incident's timeline says so, the message too.
    await warroom.advance(minutes=2)
    await deliver(warroom, queue_lag(resolved=True))
    text = only_message(ops).text
    assert "*Resolved* by its source" in text and ":link: *Declared as INC-1*" in text
    record = await api_incident(warroom)
    assert [line["kind"] for line in record["timeline"]].count("alert") == 1

    # The incident resolved, the group fires again: an alert of its own, paged again.
    await command(warroom, channel, "resolve Queue drained")
    await warroom.advance(minutes=5)
    again = alert("QueueLag", "worker-1", "2026-03-03T02:30:00Z")
    await deliver(warroom, alertmanager("QueueLag", [again]))
    # Its own message (what changed before it, with INC-1 related, is said in its thread).
    assert len([message for message in ops.messages if not message.is_reply]) == 2
    assert len(ntfy.phone(TOPIC)) == 2
    (group,) = await the_alerts(warroom)
    assert (group.state, group.incident_id) == ("triggered", None)
    assert len(await incidents_of(warroom)) == 1


async def test_declared_after_an_escalation_to_a_person_its_timeline_names_them(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())  # 02:00: Carol's push
    await warroom.advance(minutes=1)
    view_id = await choose_a_person(warroom, ops, ALICE)
    assert view_id is not None
    await page_them(warroom, view_id, BOB, ALICE)  # 02:01: Bob paged by hand
    await press_declare(warroom, ops, ALICE)
    form_id, form = declare_form(slack, ALICE)
    await submit(slack, form_id, form, ALICE)
    await settle(warroom)
    record = await api_incident(warroom)
    lines = [(at(line["at"]), line["kind"], line["text"]) for line in record["timeline"]]
    (escalated,) = [line for line in lines if "escalated by hand" in line[2]]
    assert escalated[:2] == (NOW + timedelta(minutes=1), "escalation")
    # Bob by the name the record keeps, else his id.
    assert re.fullmatch(
        "The alert “QueueLag is firing” was escalated by hand to @(Bob Okafor|U0BOB) by @Alice "
        "Moreau",
        escalated[2],
    ), escalated
    paged = [line[2] for line in lines if line[1] == "paged"]
    assert any(re.match("The alert “QueueLag is firing” paged @(Bob|U0BOB)", p) for p in paged)


async def draft_markdown(warroom: Warroom) -> str:
    """The incident's postmortem draft as the JSON API gives it."""
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    url = f"{warroom.url}/api/incidents/INC-1/postmortem"
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.text()


def escalation_rows(markdown: str) -> list[list[str]]:
    """The cells of each row of the draft's Escalations table."""
    section = markdown.split("## Escalations", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[1:]]


async def test_the_draft_says_whom_the_alert_paged_how_and_who_acknowledged(
    warroom: Warroom, ops: Channel, ntfy: FakeNtfy
) -> None:
    slack = warroom.slack
    await deliver(warroom, queue_lag())  # 02:00: Carol's push (level 1)
    await warroom.advance(minutes=1)
    view_id = await choose_a_person(warroom, ops, ALICE)
    assert view_id is not None
    await page_them(warroom, view_id, BOB, ALICE)  # 02:01: Bob paged by hand (a Slack DM)
    await warroom.advance(minutes=2)
    (push,) = ntfy.phone(TOPIC)
    assert await ntfy.tap(push, "Acknowledge", reach=(PUBLIC_URL, warroom.url)) == 200
    await settle(warroom)  # 02:03: Carol acknowledges from the push
    await warroom.advance(minutes=3)
    await press_declare(warroom, ops, ALICE)  # 02:06
    form_id, form = declare_form(slack, ALICE)
    await submit(slack, form_id, form, ALICE)
    await settle(warroom)

    markdown = await draft_markdown(warroom)
    assert "| To | When | By | Why | Answered | How they were reached |" in markdown
    rows = escalation_rows(markdown)
    alert_rows = [row for row in rows if "QueueLag is firing" in row[3]]
    assert len(alert_rows) == 2, rows
    level, person = alert_rows
    # Level 1 of its policy at 02:00, by the policy: Carol, by push (and her Slack message
    # after two minutes), acknowledged from the push at 02:03.
    assert level[:4] == [
        "queues level 1",
        "2:00 AM",
        "the escalation policy",
        "paged for the alert “QueueLag is firing”",
    ]
    assert level[4] == "2:03 AM by Carol Tanaka, 3 minutes later, acknowledged"
    assert level[5] == (
        "Carol Tanaka: push 2:00 AM sent, Slack message 2:03 AM sent, "
        "acknowledged from the push 2:03 AM"
    )
    # Bob at 02:01, chosen by Alice by hand: his Slack message; the alert's acknowledgement.
    assert person[:4] == [
        BOB,  # the record knows no name of his: his id, as the incident's rows say it
        "2:01 AM",
        "Alice Moreau",
        "paged for the alert “QueueLag is firing”, escalated by hand",
    ]
    assert person[4] == "2:03 AM by Carol Tanaka, 2 minutes later, acknowledged"
    assert person[5] == f"{BOB}: Slack message 2:01 AM sent"
    # Before the incident's own escalation (02:06), in time order.
    assert [row[1] for row in rows] == ["2:00 AM", "2:01 AM", "2:06 AM"]
    # Which brought Carol in without paging her again: said so, not "not paged beyond Slack".
    assert rows[2][5] == "Carol Tanaka: paged for the alert already (its row), not paged again"


async def test_the_declare_form_takes_an_opsgenie_alert_s_priority(
    warroom_settings: dict[str, object], warroom_with: WarroomFactory, ops: Channel
) -> None:
    """A P1 from Opsgenie's Alert API ("Create Alert", https://docs.opsgenie.com/docs/alert-api)
    routed by a route that states no severity is offered as a SEV1, not the default SEV3."""
    route = {"name": "checkout", "action": "page", "policy": "queues", "channel": ops.id}
    warroom = await warroom_with(
        **{**warroom_settings, "alerting__routes": routes({"routes": [route]})}
    )
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{warroom.url}/v2/alerts",
            json={"message": "Checkout is down", "alias": "checkout-down", "priority": "P1"},
            headers={"Authorization": f"GenieKey {TOKEN}"},
        ) as answer,
    ):
        assert answer.status == 202, await answer.text()
    await warroom.run_jobs()
    await press_declare(warroom, ops, ALICE)
    _, view = declare_form(warroom.slack, ALICE)
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == "Checkout is down"
    assert blocks["severity"]["element"]["initial_option"]["value"] == "SEV1"


async def test_an_opsgenie_alerts_notes_follow_it_into_the_incident_it_is_declared_as(
    warroom_settings: dict[str, object], warroom_with: WarroomFactory, ops: Channel
) -> None:
    """Opsgenie's "Add Note to Alert"
    (https://docs.opsgenie.com/docs/alert-api#add-note-to-alert): a note added before the
    alert is declared an incident is on the incident's timeline at its own time, with who and
    from where; one added after is said there as it comes."""
    route = {"name": "checkout", "action": "page", "policy": "queues", "channel": ops.id}
    warroom = await warroom_with(
        **{**warroom_settings, "alerting__routes": routes({"routes": [route]})}
    )

    async def genie(path: str, body: dict[str, Any]) -> None:
        async with (
            aiohttp.ClientSession() as client,
            client.post(
                f"{warroom.url}{path}", json=body, headers={"Authorization": f"GenieKey {TOKEN}"}
            ) as answer,
        ):
            assert answer.status == 202, await answer.text()
        await warroom.run_jobs()

    await genie("/v2/alerts", {"message": "Checkout is down", "alias": "checkout-down"})
    notes = "/v2/alerts/checkout-down/notes?identifierType=alias"
    await genie(notes, {"note": "Rolled back build 412", "user": "Deploy Bot", "source": "CI"})
    noted_at = NOW
    await warroom.advance(minutes=2)
    await press_declare(warroom, ops, ALICE)
    view_id, view = declare_form(warroom.slack, ALICE)
    await submit(warroom.slack, view_id, view, ALICE)
    await settle(warroom)
    await warroom.advance(minutes=1)
    await genie(notes, {"note": "Error rate back to 0.1%"})

    record = await api_incident(warroom)
    said = [(at(line["at"]), line["text"]) for line in record["timeline"] if "note" in line["text"]]
    assert said == [
        (
            noted_at,
            "The alert “Checkout is down” got a note from Deploy Bot (CI): “Rolled back build 412”",
        ),
        (
            noted_at + timedelta(minutes=3),
            # The default key's note: by its source's kind, as its acknowledgement is.
            "The alert “Checkout is down” got a note from opsgenie: “Error rate back to 0.1%”",
        ),
    ]
