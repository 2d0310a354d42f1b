"""``/incident`` end to end: signed HTTP into the real server, Slack played by the emulator."""

from __future__ import annotations

import json
import time

import aiohttp
from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import Incident, TimelineEntry, TimelineKind
from emulator import Channel, SlackEmulator, slack_signature_headers
from tests.conftest import ALICE, BOB, Warroom
from tests.helpers.incidents import post_saying


def general(slack: SlackEmulator) -> str:
    channel = slack.channel_by_name("general")
    assert channel is not None
    return channel.id


async def incident_channel(slack: SlackEmulator, prefix: str = "inc-") -> Channel:
    """Wait until the bot has opened an incident channel and posted its header."""
    channel: Channel = await slack.wait_for(
        lambda: next((c for c in slack.channels.values() if c.name.startswith(prefix)), None)
    )
    await slack.wait_for(lambda: channel.pins)
    return channel


async def post_raw(
    warroom: Warroom, body: str, headers: dict[str, str], content_type: str
) -> tuple[int, str]:
    """POST exactly these bytes to the bot, as Slack would, and return (status, body)."""
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{warroom.url}/slack/events",
            data=body.encode(),
            headers={**headers, "Content-Type": content_type},
        ) as response,
    ):
        return response.status, await response.text()


async def stored_incidents(warroom: Warroom) -> list[Incident]:
    async with session_scope(warroom.engine) as session:
        return list((await session.exec(select(Incident))).all())


async def last_reply(slack: SlackEmulator, user: str, containing: str) -> str:
    message = await slack.wait_for(
        lambda: next((m for m in reversed(slack.ephemeral_for(user)) if containing in m.text), None)
    )
    return str(message.text)


async def test_start_opens_a_channel_and_records_the_incident(warroom_any_db: Warroom) -> None:
    warroom, slack = warroom_any_db, warroom_any_db.slack
    response = await slack.send_command(
        "start sev2 Checkout page returns 500s", user=ALICE, channel=general(slack)
    )
    assert response.status == 200

    channel = await incident_channel(slack)
    assert channel.name == "inc-1-checkout-page-returns-500s"
    assert ALICE in channel.members and not channel.is_private
    assert "Checkout page returns 500s" in channel.topic and "SEV2" in channel.topic
    assert "investigating" in channel.topic
    header = next(m for m in channel.messages if m.ts in channel.pins)
    assert header.bot_id and "INC-1" in header.text and "Checkout page returns 500s" in header.text

    reply = await last_reply(slack, ALICE, "INC-1")
    assert f"<#{channel.id}>" in reply

    [incident] = await stored_incidents(warroom)
    assert (incident.reference, incident.severity, incident.status) == (
        "INC-1",
        "SEV2",
        "investigating",
    )
    assert (incident.channel_id, incident.channel_name) == (channel.id, channel.name)
    assert incident.declared_by == ALICE and incident.commander == ALICE
    async with session_scope(warroom.engine) as session:
        entries = (await session.exec(select(TimelineEntry))).all()
    assert [e.kind for e in entries] == [TimelineKind.DECLARED]


async def test_the_modal_declares_an_incident(warroom: Warroom) -> None:
    slack = warroom.slack
    response = await slack.send_command("", user=BOB, channel=general(slack))
    assert response.status == 200
    view_id, view = await slack.wait_for(lambda: next(iter(slack.views.items()), None))
    assert view["callback_id"] == "declare_incident"

    submitted = await slack.submit_view(
        view_id,
        {
            "title": {"title": {"type": "plain_text_input", "value": "Payments API timing out"}},
            "severity": {
                "severity": {"type": "static_select", "selected_option": {"value": "SEV1"}}
            },
            "description": {
                "description": {"type": "plain_text_input", "value": "p99 latency over 30 s"}
            },
            "visibility": {
                "visibility": {"type": "checkboxes", "selected_options": [{"value": "private"}]}
            },
        },
        user=BOB,
    )
    assert submitted.status == 200 and submitted.text == ""  # an empty ack closes the modal

    channel = await incident_channel(slack)
    assert channel.name == "inc-1-payments-api-timing-out" and BOB in channel.members
    header = next(m for m in channel.messages if m.ts in channel.pins)
    assert "SEV1" in header.text and "p99 latency over 30 s" in header.text
    assert "INC-1" in await last_reply(slack, BOB, "INC-1")
    [incident] = await stored_incidents(warroom)
    assert incident.description == "p99 latency over 30 s" and incident.severity == "SEV1"
    assert incident.is_private and channel.is_private


async def test_the_modal_refuses_an_empty_title(warroom: Warroom) -> None:
    slack = warroom.slack
    await slack.send_command("", user=BOB, channel=general(slack))
    view_id = await slack.wait_for(lambda: next(iter(slack.views), None))
    submitted = await slack.submit_view(
        view_id, {"title": {"title": {"type": "plain_text_input", "value": "   "}}}, user=BOB
    )
    assert submitted.json() == {
        "response_action": "errors",
        "errors": {"title": "Give the incident a title."},
    }
    assert await stored_incidents(warroom) == []


async def test_a_taken_channel_name_gets_a_numeric_suffix(warroom: Warroom) -> None:
    slack = warroom.slack
    slack.create_channel("inc-1-checkout-page-returns-500s", creator=BOB)
    await slack.send_command("start Checkout page returns 500s", user=ALICE, channel=general(slack))
    channel = await incident_channel(slack, "inc-1-checkout-page-returns-500s-")
    assert channel.name == "inc-1-checkout-page-returns-500s-2"
    [incident] = await stored_incidents(warroom)
    assert incident.channel_name == channel.name


async def test_a_90_character_title_makes_an_80_character_channel_name(warroom: Warroom) -> None:
    slack = warroom.slack
    title = ("Checkout page " + "very " * 15 + "slow at peak")[:90]
    assert len(title) == 90
    await slack.send_command(f"start {title}", user=ALICE, channel=general(slack))
    channel = await incident_channel(slack)
    # Cut at 80, then the dangling hyphen of a half-word is trimmed.
    assert 75 <= len(channel.name) <= 80 and not channel.name.endswith("-")
    assert channel.name.startswith("inc-1-checkout-page-very-very-")
    [incident] = await stored_incidents(warroom)
    assert incident.title == title  # the title itself is kept whole


async def test_slack_is_acknowledged_before_a_slow_web_api_answers(warroom: Warroom) -> None:
    slack = warroom.slack
    slack.delay("conversations.create", 4.0)
    response = await slack.send_command("start Slow Slack", user=ALICE, channel=general(slack))
    assert response.status == 200 and response.elapsed < 3.0  # Slack waits 3 s for the ack
    assert slack.channel_by_name("inc-1-slow-slack") is None  # still waiting on Slack
    channel = await slack.wait_for(lambda: slack.channel_by_name("inc-1-slow-slack"), timeout=10)
    await slack.wait_for(lambda: ALICE in channel.members)


async def test_resolve_posts_the_draft_and_updates_the_header(warroom: Warroom) -> None:
    slack = warroom.slack
    await slack.send_command("start Checkout page returns 500s", user=ALICE, channel=general(slack))
    channel = await incident_channel(slack)
    response = await slack.send_command(
        "resolve Rolled back the gateway release", user=BOB, channel=channel.id
    )
    assert response.status == 200

    draft = await post_saying(slack, channel, "Postmortem draft")
    assert "INC-1" in draft.text and "Checkout page returns 500s" in draft.text
    assert "Duration:" in draft.text and "channel's canvas" in draft.text
    (canvas,) = slack.canvases.values()
    assert canvas["channel_id"] == channel.id
    assert "Incident declared" in canvas["markdown"]
    assert "Rolled back the gateway release" in canvas["markdown"]
    assert "| Severity | SEV3 |" in canvas["markdown"]
    await slack.wait_for(lambda: "resolved" in channel.topic)
    await slack.wait_for(lambda: slack.calls_to("chat.update"))
    header = next(m for m in channel.messages if m.ts in channel.pins)
    assert "resolved" in header.text

    [incident] = await stored_incidents(warroom)
    assert incident.status == "resolved" and incident.resolved_at is not None
    async with session_scope(warroom.engine) as session:
        kinds = [e.kind for e in (await session.exec(select(TimelineEntry))).all()]
    assert kinds == [TimelineKind.DECLARED, TimelineKind.RESOLVED]


async def test_resolving_twice_says_so(warroom: Warroom) -> None:
    slack = warroom.slack
    await slack.send_command("start Checkout down", user=ALICE, channel=general(slack))
    channel = await incident_channel(slack)
    await slack.send_command("resolve", user=ALICE, channel=channel.id)
    await post_saying(slack, channel, "Postmortem draft")
    await slack.send_command("resolve", user=ALICE, channel=channel.id)
    assert "already resolved" in await last_reply(slack, ALICE, "already resolved")


async def test_resolve_outside_an_incident_channel_gets_a_usage_message(warroom: Warroom) -> None:
    slack = warroom.slack
    response = await slack.send_command("resolve", user=ALICE, channel=general(slack))
    assert response.status == 200
    reply = await last_reply(slack, ALICE, "only inside an incident channel")
    assert "/incident resolve" in reply and "Traceback" not in reply


async def test_help_lists_every_routed_subcommand(warroom: Warroom) -> None:
    from commands.table import SUBCOMMANDS

    slack = warroom.slack
    await slack.send_command("help", user=ALICE, channel=general(slack))
    reply = await last_reply(slack, ALICE, "/incident")
    for subcommand in SUBCOMMANDS:
        assert f"/incident {subcommand.usage}" in reply.replace("&lt;", "<").replace("&gt;", ">")


async def test_an_unknown_subcommand_gets_usage_at_once(warroom: Warroom) -> None:
    slack = warroom.slack
    response = await slack.send_command("explode now", user=ALICE, channel=general(slack))
    assert response.status == 200
    assert "explode" in response.text and "/incident start" in response.text
    assert [m.via for m in slack.ephemeral_for(ALICE)] == ["ack"]


async def test_a_bad_signature_is_refused(warroom: Warroom) -> None:
    slack = warroom.slack
    response = await slack.send_command(
        "start Evil", user=ALICE, channel=general(slack), signing_secret="not-the-secret"
    )
    assert response.status == 401
    assert await stored_incidents(warroom) == []


async def test_a_stale_timestamp_is_refused(warroom: Warroom) -> None:
    slack = warroom.slack
    stale = int(time.time()) - 400
    response = await slack.send_command(
        "start Replayed", user=ALICE, channel=general(slack), timestamp=stale
    )
    assert response.status == 401
    assert await stored_incidents(warroom) == []


async def test_a_malformed_timestamp_is_refused_not_crashed_on(warroom: Warroom) -> None:
    body = "command=%2Fincident&text=help"
    headers = slack_signature_headers(warroom.slack.signing_secret, body)
    headers["X-Slack-Request-Timestamp"] = "yesterday"
    status, _ = await post_raw(warroom, body, headers, "application/x-www-form-urlencoded")
    assert status == 401


async def test_an_oversized_body_gets_413(warroom: Warroom) -> None:
    body = "text=" + "x" * (2 * 1024 * 1024)
    headers = slack_signature_headers(warroom.slack.signing_secret, body)
    status, _ = await post_raw(warroom, body, headers, "application/x-www-form-urlencoded")
    assert status == 413


async def test_mentions_in_a_title_do_not_ping_anyone(warroom: Warroom) -> None:
    slack = warroom.slack
    await slack.send_command(
        "start <!channel> checkout down, <@U0BOB> please look <!here>",
        user=ALICE,
        channel=general(slack),
    )
    channel = await incident_channel(slack)
    await last_reply(slack, ALICE, "INC-1")
    said = [m.text for m in channel.messages] + [m.text for m in slack.ephemeral_for(ALICE)]
    said.append(channel.topic)
    for text in said:
        assert "<!channel>" not in text and "<!here>" not in text and "<@U0BOB>" not in text
    assert any("&lt;!channel&gt;" in text for text in said)


async def test_a_title_containing_payload_is_handled(warroom: Warroom) -> None:
    slack = warroom.slack
    response = await slack.send_command(
        "start Card payload rejected by gateway", user=ALICE, channel=general(slack)
    )
    assert response.status == 200
    channel = await incident_channel(slack)
    assert channel.name == "inc-1-card-payload-rejected-by-gateway"


async def test_slack_refusing_the_channel_is_explained(warroom: Warroom) -> None:
    slack = warroom.slack
    slack.fail_with_error("conversations.create", "restricted_action")
    await slack.send_command("start Checkout down", user=ALICE, channel=general(slack))
    reply = await last_reply(slack, ALICE, "restricted_action")
    assert "INC-1" in reply
    [incident] = await stored_incidents(warroom)
    assert incident.channel_id is None


async def test_rate_limits_and_server_errors_are_retried(warroom: Warroom) -> None:
    slack = warroom.slack
    slack.fail("chat.postMessage", status=429, retry_after=1)
    slack.fail("conversations.setTopic", status=500)
    await slack.send_command("start Checkout down", user=ALICE, channel=general(slack))
    channel = await slack.wait_for(lambda: slack.channel_by_name("inc-1-checkout-down"))
    await slack.wait_for(lambda: channel.pins, timeout=10)
    assert [c.status for c in slack.calls_to("chat.postMessage")][:2] == [429, 200]
    assert "Checkout down" in channel.topic


async def test_url_verification_is_answered_when_signed(warroom: Warroom) -> None:
    body = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"})
    headers = slack_signature_headers(warroom.slack.signing_secret, body)
    status, text = await post_raw(warroom, body, headers, "application/json")
    assert status == 200
    assert json.loads(text)["challenge"] == "c-123"


async def test_subscribed_events_are_acknowledged(warroom: Warroom) -> None:
    slack = warroom.slack
    await slack.send_command("start Checkout down", user=ALICE, channel=general(slack))
    channel = await incident_channel(slack)
    message = await slack.post_message(channel.id, "looking at the dashboards", user=BOB)
    response = await slack.add_reaction(channel.id, message.ts, "pushpin", user=BOB)
    assert response.status == 200
    await slack.drain()
    assert all(delivery.status == 200 for _, delivery in slack.deliveries)
