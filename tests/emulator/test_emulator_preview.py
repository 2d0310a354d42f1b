"""The emulator's preview of a channel (``GET /preview/<channel>``, emulator/preview.py): a
message's Block Kit and mrkdwn as the Slack client shows them
(https://docs.slack.dev/messaging/formatting-message-text), said to be the emulator's."""

from __future__ import annotations

import aiohttp

from emulator import SlackEmulator
from emulator.models import Message
from emulator.preview import mrkdwn, page

ALICE = "U0ALICE"


async def test_the_preview_lays_out_a_channels_blocks_and_says_it_is_not_slack() -> None:
    async with SlackEmulator() as slack:
        slack.add_user(ALICE, "alice", "Alice Moreau")
        ops = slack.create_channel("ops", creator=ALICE, members=[slack.bot_user_id, ALICE])
        blocks = [
            {"type": "header", "text": {"type": "plain_text", "text": "Checkout"}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*Down* since 02:00 &amp; <@U0ALICE> knows"},
                "accessory": {
                    "type": "button",
                    "action_id": "stop",
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Stop"},
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "_route_ queues"}]},
            {"type": "divider"},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "ack",
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Acknowledge"},
                    },
                    {
                        "type": "static_select",
                        "action_id": "snooze",
                        "placeholder": {"type": "plain_text", "text": "Snooze"},
                        "options": [{"text": {"type": "plain_text", "text": "1h"}, "value": "60"}],
                    },
                ],
            },
            {"type": "rich_text", "elements": []},
        ]
        headers = {"Authorization": f"Bearer {slack.bot_token}"}
        body = {"channel": ops.id, "text": "Checkout is down", "blocks": blocks}
        async with aiohttp.ClientSession() as client:
            url = f"{slack.base_url}chat.postMessage"
            async with client.post(url, json=body, headers=headers) as posted:
                answered = await posted.json()
                assert answered["ok"] is True, answered
            async with client.get(f"{slack.root_url}/preview/ops") as answer:
                assert answer.status == 200
                page = await answer.text()
        assert "This is not Slack." in page
        assert '<h2 class="block header">Checkout</h2>' in page
        assert "<strong>Down</strong> since 02:00 &amp; " in page
        assert '<span class="mention">@Alice Moreau</span> knows' in page
        assert "<span><em>route</em> queues</span>" in page
        assert 'class="button danger">Stop</button>' in page and '<hr class="block">' in page
        assert '<button type="button" class="button primary">Acknowledge</button>' in page
        assert 'class="button select">Snooze <span aria-hidden="true">▾</span>' in page
        assert "(a rich_text block, not previewed)" in page
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"{slack.root_url}/preview/nowhere") as answer,
        ):
            assert answer.status == 404


def test_mrkdwn_as_the_client_shows_it() -> None:
    workspace = SlackEmulator().workspace()
    shown = mrkdwn(
        "*bold* _it_ ~gone~ `a_b*c` snake_case_name 12:30:45 :fire:\n"
        ">quoted *line*\n&gt;and more\nafter <https://x.example/a_b|the_link> <!here>\n"
        "```\n*not bold* <b>\n```",
        workspace,
    )
    assert "<strong>bold</strong> <em>it</em> <del>gone</del> <code>a_b*c</code>" in shown
    assert "snake_case_name 12:30:45" in shown  # no italics inside words, no emoji in times
    assert '<span class="emoji">:fire:</span>' in shown
    assert "<blockquote>quoted <strong>line</strong><br>and more</blockquote>" in shown
    assert '<a href="https://x.example/a_b">the_link</a>' in shown
    assert '<span class="mention">@here</span>' in shown
    assert "<pre>*not bold* &lt;b&gt;</pre>" in shown


def test_an_overflow_menu_is_its_three_dots() -> None:
    """An overflow menu is drawn as Slack's three dots (its options, on a preview that acts)."""
    slack = SlackEmulator()
    ops = slack.create_channel("ops", creator=ALICE, members=[slack.bot_user_id])
    overflow = {"type": "overflow", "action_id": "more", "options": []}
    section = {"type": "section", "text": {"type": "plain_text", "text": "x"}}
    ops.messages.append(
        Message(ts="1.000001", user=None, text="x", channel=ops.id, bot_id="B0", app_name="app")
    )
    ops.messages[-1].blocks = [{**section, "accessory": overflow}]
    assert 'aria-label="More actions">⋯</button>' in page(ops, slack.workspace())
