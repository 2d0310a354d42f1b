"""What a real workspace does that a lenient emulator let through: each test here goes through
the strict emulator (Slack's documented limits and semantics) and failed on the bot as it was.
"""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import select

from bot.clients.slack.limits import SECTION_TEXT_MAX
from bot.record.incident import reactions
from bot.store.db import session_scope
from bot.store.models import ChannelMessage, Escalation, Incident, TimelineEntry, TimelineKind
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.escalation.test_escalation import escalation_messages
from tests.helpers.incidents import command, open_incident, settle, the_incident


async def kinds_in_timeline(warroom: Warroom) -> list[tuple[str, str]]:
    async with session_scope(warroom.engine) as session:
        rows = (await session.exec(select(TimelineEntry).order_by(TimelineEntry.id))).all()
    return [(row.kind, row.text) for row in rows]


async def stored(warroom: Warroom, channel: Channel) -> list[ChannelMessage]:
    async with session_scope(warroom.engine) as session:
        statement = select(ChannelMessage).where(ChannelMessage.channel == channel.id)
        return list((await session.exec(statement.order_by(ChannelMessage.id))).all())


# -- the declare modal -----------------------------------------------------------------------
async def test_the_declare_modal_opens_in_slack(warroom: Warroom) -> None:
    slack = warroom.slack
    general = slack.channel_by_name("general")
    assert general is not None
    await slack.send_command("", user=ALICE, channel=general.id)
    opened = await slack.wait_for(lambda: slack.calls_to("views.open"))
    assert opened[-1].ok, opened[-1].error
    (view,) = slack.views.values()
    assert view["callback_id"] == "declare_incident"


# -- escalations -----------------------------------------------------------------------------
async def test_a_group_with_someone_already_here_brings_in_the_others(warroom: Warroom) -> None:
    slack = warroom.slack
    slack.add_usergroup("S0ONCALL", "oncall", [ALICE, BOB, CAROL])
    channel = await open_incident(warroom)
    assert ALICE in channel.members and BOB not in channel.members

    await command(warroom, channel, "escalate @oncall")

    assert {BOB, CAROL} <= channel.members, "one member already there must not stop the rest"
    (message,) = escalation_messages(channel)
    assert "Brought in: <@U0BOB>, <@U0CAROL>" in message.text
    assert "Already in the channel: <@U0ALICE>" in message.text
    async with session_scope(warroom.engine) as session:
        (row,) = (await session.exec(select(Escalation))).all()
    assert row.users == [ALICE, BOB, CAROL] and row.found_present == [ALICE]


async def test_someone_slack_will_not_invite_is_never_said_to_be_brought_in(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    slack.add_user("U0GONE", "gone", "Gone Person").deleted = True
    slack.add_usergroup("S0ONCALL", "oncall", [BOB, "U0GONE"])
    channel = await open_incident(warroom)

    await command(warroom, channel, "escalate @oncall")
    await slack.click_button(
        channel.id, escalation_messages(channel)[0].ts, "acknowledge_escalation", user=BOB
    )
    await settle(warroom)

    (message,) = escalation_messages(channel)
    assert "*Acknowledged* by <@U0BOB>" in message.text, "the message was shown again"
    assert "Brought in: <@U0BOB>\n" in message.text + "\n"
    assert "Could not invite <@U0GONE>: " in message.text
    assert "U0GONE" not in message.text.split("Could not invite")[0]


async def test_an_invitation_refused_without_saying_whose_is_asked_person_by_person(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    slack.add_usergroup("S0ONCALL", "oncall", [ALICE, BOB, CAROL])
    channel = await open_incident(warroom)
    # Should Slack answer a forced invitation with one error and no per-person list.
    slack.fail_with_error("conversations.invite", "already_in_channel")

    await command(warroom, channel, "escalate @oncall")

    assert {BOB, CAROL} <= channel.members
    (message,) = escalation_messages(channel)
    assert "Brought in: <@U0BOB>, <@U0CAROL>" in message.text
    assert "Already in the channel: <@U0ALICE>" in message.text


async def test_a_large_group_is_named_in_part_and_still_posted(warroom: Warroom) -> None:
    slack = warroom.slack
    people = [f"U0P{n:04d}" for n in range(150)]
    for user in people:
        slack.add_user(user, user.lower())
    slack.add_usergroup("S0ALLHANDS", "all-hands", people)
    channel = await open_incident(warroom)

    await command(warroom, channel, "escalate @all-hands " + "the reason is long " * 50)

    assert set(people) <= channel.members
    (message,) = escalation_messages(channel)
    assert "…and 120 more" in message.text
    section = message.blocks[0]["text"]["text"]
    assert len(section) <= SECTION_TEXT_MAX


# -- message shortcuts -----------------------------------------------------------------------
async def _add_with_shortcut(warroom: Warroom, channel: Channel, ts: str) -> dict[str, Any]:
    slack = warroom.slack
    await slack.message_shortcut(channel.id, ts, "add_to_timeline", user=ALICE)
    opened = await slack.wait_for(lambda: slack.calls_to("views.open"))
    assert opened[-1].ok, (opened[-1].error, opened[-1].args.get("view", "")[:200])
    view_id, view = next(
        (i, v) for i, v in slack.views.items() if v["callback_id"] == "add_to_timeline_submit"
    )
    kind = {"kind": {"type": "static_select", "selected_option": {"value": "root_cause"}}}
    await slack.submit_view(view_id, {"kind": kind, "text": {"text": {}}}, user=ALICE)
    await warroom.finish_background()
    return view


async def test_a_long_message_can_be_added_to_the_timeline(warroom: Warroom) -> None:
    channel = await open_incident(warroom)
    long_text = ("The primary refused connections after the failover. " * 60)[:3000]
    said = await warroom.slack.post_message(channel.id, long_text, user=CAROL)

    view = await _add_with_shortcut(warroom, channel, said.ts)

    assert len(view["private_metadata"]) <= 3000
    assert ("root_cause", long_text) in await kinds_in_timeline(warroom)


async def test_a_message_of_emoji_can_be_added_to_the_timeline(warroom: Warroom) -> None:
    channel = await open_incident(warroom)
    text = "🔥" * 300 + "障害" * 150  # 600 characters that JSON escapes to 12 or 6 bytes each
    said = await warroom.slack.post_message(channel.id, text, user=CAROL)

    await _add_with_shortcut(warroom, channel, said.ts)

    assert ("root_cause", text) in await kinds_in_timeline(warroom)


def _direct_message(slack: SlackEmulator, *people: str) -> Channel:
    """A DM between people; the bot is not part of it (Slack never shows it to the bot)."""
    channel = slack.create_channel(f"dm-{'-'.join(people)}".lower(), creator=people[0])
    channel.members.update(people)
    channel.is_private = channel.is_im = True
    return channel


async def _declared_from(warroom: Warroom, channel: Channel, text: str) -> Incident:
    slack = warroom.slack
    said = await slack.post_message(channel.id, text, user=BOB)
    response = await slack.message_shortcut(channel.id, said.ts, "declare_from_message", user=BOB)
    assert response.status == 200
    await slack.wait_for(lambda: any(c.name.startswith("inc-") for c in slack.channels.values()))
    await warroom.finish_background()
    return await the_incident(warroom)


async def test_declaring_from_a_dm_is_private_and_says_the_message_cannot_be_linked(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    announce = slack.create_channel("incidents", creator=ALICE, members=[slack.bot_user_id])
    dm = _direct_message(slack, BOB, CAROL)

    async with running_warroom(
        slack, sqlite_url, incidents__announce_channel=announce.id
    ) as warroom:
        incident = await _declared_from(warroom, dm, "payments webhook secret leaked in a log")

    assert incident.is_private
    channel = slack.channels[incident.channel_id or ""]
    assert channel.is_private
    said = "\n".join(m.text for m in channel.messages)
    assert "a message in a conversation warroom cannot link to" in said
    assert "payments webhook secret leaked" in said
    assert not announce.messages, "a private incident is never announced"


async def test_declaring_from_a_private_channel_the_bot_is_not_in_is_private(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    secret = slack.create_channel("sec-team", creator=BOB, members=[CAROL], is_private=True)

    incident = await _declared_from(warroom, secret, "someone is scraping customer emails")

    assert incident.is_private and slack.channels[incident.channel_id or ""].is_private


async def test_declaring_from_a_private_channel_the_bot_is_in_is_private_with_a_link(
    warroom: Warroom,
) -> None:
    slack = warroom.slack
    secret = slack.create_channel(
        "sec-team", creator=BOB, members=[CAROL, slack.bot_user_id], is_private=True
    )

    incident = await _declared_from(warroom, secret, "someone is scraping customer emails")

    assert incident.is_private
    channel = slack.channels[incident.channel_id or ""]
    assert any(f"/archives/{secret.id}/p" in m.text for m in channel.messages)


async def test_declaring_from_a_public_channel_stays_public(warroom: Warroom) -> None:
    slack = warroom.slack
    alerts = slack.create_channel("alerts", creator=BOB, members=[BOB])

    incident = await _declared_from(warroom, alerts, "Checkout 500 rate at 20%")

    assert not incident.is_private


# -- what the record keeps -------------------------------------------------------------------
async def test_a_deleted_thread_parent_leaves_the_timeline(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    parent = await slack.post_message(channel.id, "it is DNS", user=CAROL)
    await slack.post_message(channel.id, "no it is not", user=BOB, thread_ts=parent.ts)
    await slack.add_reaction(channel.id, parent.ts, "bulb", user=ALICE)
    assert ("root_cause", "it is DNS") in await kinds_in_timeline(warroom)

    await slack.delete_message(channel.id, parent.ts)

    event, answer = slack.deliveries[-1]
    assert event["subtype"] == "message_changed" and event["message"]["subtype"] == "tombstone"
    assert answer.status == 200
    assert ("root_cause", "it is DNS") not in await kinds_in_timeline(warroom)
    (row,) = [m for m in await stored(warroom, channel) if m.ts == parent.ts]
    assert row.deleted_at is not None and row.text == "it is DNS", "the audit row stays"


async def test_joins_topics_and_pins_are_kept_as_what_they_are(warroom: Warroom) -> None:
    channel = await open_incident(warroom)
    await command(warroom, channel, "lead @bob")

    async def bob_joined() -> list[ChannelMessage]:
        rows = await stored(warroom, channel)
        return rows if any(r.subtype == "channel_join" and r.user == BOB for r in rows) else []

    rows = await warroom.slack.wait_for(bob_joined)
    notes = [row for row in rows if row.subtype is not None]
    assert {"channel_join", "channel_topic", "pinned_item"} <= {row.subtype for row in notes}
    assert all(row.is_system for row in notes)
    join = next(row for row in notes if row.subtype == "channel_join" and row.user == BOB)

    async with session_scope(warroom.engine) as session:
        incident = (await session.exec(select(Incident))).one()
        promoted = await reactions.add_reaction(
            session,
            incident,
            join,
            name="pushpin",
            user=ALICE,
            added_at=warroom.clock.now,
            kind=TimelineKind.KEY_EVENT,
        )
        await session.commit()
    assert not promoted
    assert not [k for k, _ in await kinds_in_timeline(warroom) if k == "key_event"]


async def test_events_that_say_nothing_are_not_stored(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    parent = await slack.post_message(channel.id, "checking the load balancer", user=CAROL)
    before = len(await stored(warroom, channel))
    now = f"{time.time():.6f}"
    # message_replied as Slack sometimes sends it: no subtype, no user, no text of its own.
    replied = {
        "type": "message",
        "hidden": True,
        "channel": channel.id,
        "ts": now,
        "event_ts": now,
        "message": {**parent.to_api(), "reply_count": 1, "thread_ts": parent.ts},
    }
    answer = await slack.send_event(replied)
    assert answer.status == 200
    assert len(await stored(warroom, channel)) == before


async def test_a_free_workspace_gets_the_draft_as_a_file(warroom: Warroom) -> None:
    slack = warroom.slack
    channel = await open_incident(warroom)
    slack.fail_with_error("conversations.canvases.create", "free_team_canvas_tab_already_exists")

    await command(warroom, channel, "resolve The certificate was renewed")
    await slack.wait_for(lambda: any(m.files for m in channel.messages), timeout=10)

    (file,) = [f for m in channel.messages for f in m.files or []]
    assert file["name"].endswith(".md") and not slack.canvases
