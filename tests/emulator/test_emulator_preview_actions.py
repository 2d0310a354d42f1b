"""A preview that acts (emulator/preview_actions.py, ``warroom dev``): what a person does on
the page's form reaches the app exactly as Slack sends it (the emulator's client: a slash
command's form, a ``message`` event, ``reaction_added``, a button's ``block_actions``), and
the page comes back (303) as that person, with a word on what was done; what no page sends is
refused (400).

A stand-in for the bot (tests.helpers.fake_bot) receives what the emulator posts over HTTP.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from emulator.preview_actions import ActingEmulator
from tests.helpers.fake_bot import serving

ALICE = "U0ALICE"
ACK = {
    "type": "button",
    "action_id": "alert_ack",
    "value": "42",
    "text": {"type": "plain_text", "text": "Acknowledge"},
}


class Bot:
    """Stands in for the bot's request URL: keeps what each request carried."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        text = await request.text()
        if request.content_type == "application/json":
            self.received.append(json.loads(text))
        else:
            fields = dict(urllib.parse.parse_qsl(text))
            payload = fields.get("payload")
            self.received.append(json.loads(payload) if payload else fields)
        return web.Response(text="")


@pytest.fixture
async def acting() -> AsyncIterator[tuple[ActingEmulator, Bot, str]]:
    async with ActingEmulator() as slack:
        slack.add_user(ALICE, "alice", "Alice Moreau")
        ops = slack.create_channel("ops", creator=ALICE, members=[slack.bot_user_id])
        bot = Bot()
        async with serving(slack, bot.handle):
            yield slack, bot, ops.id


async def submit(slack: ActingEmulator, channel: str, form: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{slack.root_url}/preview/{channel}", data=form, allow_redirects=False
        ) as answer,
    ):
        return answer.status, answer.headers.get("Location", "")


async def test_a_slash_command_typed_reaches_the_app_as_slacks_form(
    acting: tuple[ActingEmulator, Bot, str],
) -> None:
    slack, bot, ops = acting
    status, location = await submit(slack, ops, {"user": ALICE, "text": "/oncall payments"})
    assert status == 303
    assert location == f"/preview/{ops}?as={ALICE}&note=/oncall+sent"
    [fields] = bot.received
    assert fields["command"] == "/oncall" and fields["text"] == "payments"
    assert fields["user_id"] == ALICE and fields["channel_id"] == ops


async def test_a_message_and_a_reaction_typed_reach_the_app_as_events(
    acting: tuple[ActingEmulator, Bot, str],
) -> None:
    slack, bot, ops = acting
    assert (await submit(slack, ops, {"user": ALICE, "text": "checkout is slow"}))[0] == 303
    await slack.drain()
    assert (await submit(slack, ops, {"user": ALICE, "text": "+:eyes:"}))[0] == 303
    await slack.drain()
    events = [r["event"] for r in bot.received if "event" in r]
    said = next(e for e in events if e["type"] == "message" and not e.get("subtype"))
    assert said["text"] == "checkout is slow" and said["user"] == ALICE
    reacted = next(e for e in events if e["type"] == "reaction_added")
    assert reacted["reaction"] == "eyes" and reacted["item"]["ts"] == said["ts"]


async def test_a_button_pressed_sends_block_actions_and_the_page_offers_it(
    acting: tuple[ActingEmulator, Bot, str],
) -> None:
    slack, bot, ops = acting
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Alert* firing"}},
        {"type": "actions", "block_id": "alert", "elements": [ACK]},
    ]
    message = slack.post_as_bot(slack.channels[ops], "Alert firing", blocks=blocks)
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{slack.root_url}/preview/{ops}?as={ALICE}") as answer,
    ):
        shown = await answer.text()
    pressed = re.search(r'name="press" value="([^"]+)"[^>]*>Acknowledge<', shown)
    assert pressed is not None and pressed[1] == f"{message.ts} 1 0"
    assert '<option value="U0ALICE" selected>Alice Moreau</option>' in shown
    status, location = await submit(slack, ops, {"user": ALICE, "press": pressed[1]})
    assert status == 303 and location.endswith("note=Pressed+Acknowledge")
    [payload] = [r for r in bot.received if r.get("type") == "block_actions"]
    assert payload["type"] == "block_actions" and payload["user"]["id"] == ALICE
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "alert_ack",
        "alert",
        "42",
    )
    assert payload["container"]["message_ts"] == message.ts


async def test_an_overflow_option_chosen_sends_its_selected_option(
    acting: tuple[ActingEmulator, Bot, str],
) -> None:
    slack, bot, ops = acting
    more = {
        "type": "overflow",
        "action_id": "alert_more",
        "options": [
            {"text": {"type": "plain_text", "text": "Acknowledge all mine"}, "value": "42:ack"},
            {"text": {"type": "plain_text", "text": "Resolve all mine"}, "value": "42:resolve"},
        ],
    }
    blocks = [
        {
            "type": "section",
            "block_id": "alert",
            "text": {"type": "mrkdwn", "text": "x"},
            "accessory": more,
        }
    ]
    message = slack.post_as_bot(slack.channels[ops], "Alert firing", blocks=blocks)
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{slack.root_url}/preview/{ops}?as={ALICE}") as answer,
    ):
        shown = await answer.text()
    assert 'aria-label="More actions">⋯</summary>' in shown
    pressed = re.search(r'name="press" value="([^"]+)"[^>]*>Resolve all mine<', shown)
    assert pressed is not None and pressed[1] == f"{message.ts} 0 0 1"
    status, location = await submit(slack, ops, {"user": ALICE, "press": pressed[1]})
    assert status == 303 and location.endswith("note=Pressed+Resolve+all+mine")
    [payload] = [r for r in bot.received if r.get("type") == "block_actions"]
    [action] = payload["actions"]
    assert (action["type"], action["action_id"], action["block_id"]) == (
        "overflow",
        "alert_more",
        "alert",
    )
    assert action["selected_option"] == more["options"][1]
    # An option the menu does not have is refused.
    assert (await submit(slack, ops, {"user": ALICE, "press": f"{message.ts} 0 0 2"}))[0] == 400


async def test_what_no_page_sends_is_refused_and_what_slack_refuses_is_said(
    acting: tuple[ActingEmulator, Bot, str],
) -> None:
    slack, bot, ops = acting
    assert (await submit(slack, ops, {"user": "U0NOBODY", "text": "hello"}))[0] == 400
    assert (await submit(slack, ops, {"user": ALICE, "press": "1.000001 0 0"}))[0] == 400
    assert (await submit(slack, ops, {"user": ALICE, "press": "garbage"}))[0] == 400
    assert (await submit(slack, "C0NONE", {"user": ALICE, "text": "hi"}))[0] == 404
    status, location = await submit(slack, ops, {"user": ALICE, "text": "/deploy"})
    assert status == 303 and "not+a+slash+command+of+this+app" in location
    assert [r for r in bot.received if "command" in r or r.get("type") != "event_callback"] == []
