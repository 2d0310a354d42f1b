"""Entries people add by hand: /incident note, /incident timeline, and the message shortcuts."""

from __future__ import annotations

import time

from sqlmodel import select

from bot.basics.timestamps import ts_to_datetime
from bot.store.db import session_scope
from bot.store.models import Incident, TimelineEntry
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.incidents import open_incident, post_saying, settle
from tests.incident.test_timeline import timeline


async def reply_containing(warroom: Warroom, user: str, text: str) -> str:
    slack = warroom.slack
    found = await slack.wait_for(
        lambda: next((m for m in reversed(slack.ephemeral_for(user)) if text in m.text), None)
    )
    return str(found.text)


async def test_a_note_is_a_key_event_at_the_time_it_is_typed(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    await slack.send_command("note Paged the DBA on call", user=BOB, channel=channel.id)
    reply = await reply_containing(warroom, BOB, "Added to the INC-1 timeline")
    assert "Paged the DBA on call" in reply
    async with session_scope(warroom.engine) as session:
        entry = (
            await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "key_event"))
        ).one()
    assert (entry.text, entry.author, entry.occurred_at) == (
        "Paged the DBA on call",
        BOB,
        warroom.clock.now,
    )


async def test_a_note_needs_text_and_an_incident_channel(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    empty = await slack.send_command("note", user=BOB, channel=channel.id)
    assert "Say what happened" in empty.text and "/incident note" in empty.text
    general = slack.channel_by_name("general")
    assert general is not None
    await slack.send_command("note hello", user=BOB, channel=general.id)
    assert "only inside an incident channel" in await reply_containing(warroom, BOB, "only inside")


async def test_the_timeline_is_shown_privately_in_the_incidents_zone(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    said = await slack.post_message(channel.id, "db failover @channel <b>", user=CAROL)
    await slack.add_reaction(channel.id, said.ts, "x", user=ALICE)
    await settle(warroom)  # the question the mark asks in its thread
    before = len(channel.messages)
    await slack.send_command("timeline", user=ALICE, channel=channel.id)
    shown = await reply_containing(warroom, ALICE, "INC-1 timeline")
    assert "Incident declared" in shown and "misleading path" in shown
    # Carol's broadcast is shown, not obeyed again; what she typed is shown as typed.
    assert "db failover @channel &lt;b&gt;" in shown and "<!channel>" not in shown
    assert "UTC" in shown
    assert len(channel.messages) == before  # nothing posted to the channel


async def test_the_shortcut_adds_a_message_with_the_chosen_kind_and_words(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    said = await slack.post_message(channel.id, "ok so it was the cert lol", user=CAROL)
    response = await slack.message_shortcut(channel.id, said.ts, "add_to_timeline", user=ALICE)
    assert response.status == 200
    view_id, _view = await slack.wait_for(
        lambda: next(
            (
                (i, v)
                for i, v in slack.views.items()
                if v["callback_id"] == "add_to_timeline_submit"
            ),
            None,
        )
    )
    submitted = await slack.submit_view(
        view_id,
        {
            "kind": {"kind": {"type": "static_select", "selected_option": {"value": "root_cause"}}},
            "text": {"text": {"type": "plain_text_input", "value": "Expired TLS certificate"}},
        },
        user=ALICE,
    )
    assert submitted.status == 200
    await reply_containing(warroom, ALICE, "as _root cause_")
    assert await timeline(warroom, channel.id) == [("root_cause", "Expired TLS certificate")]
    async with session_scope(warroom.engine) as session:
        entry = (
            await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "root_cause"))
        ).one()
    assert entry.occurred_at == ts_to_datetime(said.ts) and entry.author == CAROL


async def test_declaring_from_a_message_takes_one_click(warroom: Warroom) -> None:
    slack = warroom.slack
    alerts = slack.create_channel("alerts", creator=BOB, members=[BOB, ALICE])
    twenty_minutes_ago = f"{int(time.time()) - 1200}.000300"
    said = await slack.post_message(
        alerts.id,
        "Checkout 500 rate at 20%\nsee dashboard https://grafana.example/d/checkout",
        user=BOB,
        ts=twenty_minutes_ago,
    )
    response = await slack.message_shortcut(alerts.id, said.ts, "declare_from_message", user=ALICE)
    assert response.status == 200 and response.text == ""

    channel = await slack.wait_for(lambda: slack.channel_by_name("inc-1-checkout-500-rate-at-20"))
    link = await post_saying(slack, channel, "Declared from")
    assert f"/archives/{alerts.id}/p" in link.text and "Checkout 500 rate at 20%" in link.text
    async with session_scope(warroom.engine) as session:
        incident = (await session.exec(select(Incident))).one()
        detection = (
            await session.exec(select(TimelineEntry).where(TimelineEntry.kind == "detection"))
        ).one()
    assert incident.detected_at == ts_to_datetime(twenty_minutes_ago) == incident.started_at
    assert incident.description.startswith("Checkout 500 rate at 20%")
    assert incident.declared_by == ALICE and ALICE in channel.members
    assert detection.occurred_at == incident.detected_at and detection.author == BOB
    assert "INC-1" in await reply_containing(warroom, ALICE, "INC-1")
