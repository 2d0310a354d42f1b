"""A draft's links and names cost Slack one ``chat.getPermalink`` per channel and one
``users.info`` per person, kept for every later draft (and every replica, on its database),
and each link is the one Slack gives for its message, thread replies included."""

from __future__ import annotations

import html

from slack_sdk.web.async_client import AsyncWebClient

from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom, running_warroom
from tests.helpers.incidents import command, open_incident

SAID = 12  # Bob's messages; every third gets a reply from Carol in its thread


async def _pin(warroom: Warroom, channel: Channel, ts: str) -> None:
    await warroom.slack.add_reaction(channel.id, ts, "pushpin", user=ALICE)


async def _say_and_pin(warroom: Warroom, channel: Channel, first: int) -> list[str]:
    """Bob's lines and Carol's replies, each pinned as a key moment; their timestamps."""
    slack, marked = warroom.slack, []
    for n in range(first, first + SAID):
        said = await slack.post_message(channel.id, f"line {n}", user=BOB)
        marked.append(said.ts)
        if n % 3 == 0:
            reply = await slack.post_message(
                channel.id, f"reply {n}", user=CAROL, thread_ts=said.ts
            )
            marked.append(reply.ts)
    for ts in marked:
        await _pin(warroom, channel, ts)
    await slack.drain()
    return marked


def _canvas(slack: SlackEmulator, channel: Channel) -> str:
    """The channel's canvas, Markdown's escapes in link targets read (``\\_``, ``&amp;``) as a
    reader's Markdown reads them."""
    (canvas,) = [c for c in slack.canvases.values() if c["channel_id"] == channel.id]
    return html.unescape(str(canvas["markdown"]).replace("\\_", "_"))


async def _slack_links(slack: SlackEmulator, channel: Channel, marked: list[str]) -> list[str]:
    """Each message's link as Slack itself gives it."""
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    answers = [await client.chat_getPermalink(channel=channel.id, message_ts=ts) for ts in marked]
    return [str(answer["permalink"]) for answer in answers]


async def test_a_draft_asks_one_link_per_channel_and_one_name_per_person_and_keeps_them(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url) as warroom:
        channel = await open_incident(warroom)
        marked = await _say_and_pin(warroom, channel, 0)
        asked_before = len(slack.calls_to("chat.getPermalink"))
        await command(warroom, channel, "postmortem")
        asked = slack.calls_to("chat.getPermalink")[asked_before:]
        named = [call.args.get("user") for call in slack.calls_to("users.info")]
    draft = _canvas(slack, channel)
    assert any("thread_ts=" in link for link in await _slack_links(slack, channel, marked))
    for link in await _slack_links(slack, channel, marked):
        assert f"({link})" in draft, link
    # One message of the channel asked for, where each of the 16 moments was before.
    assert len(asked) == 1
    assert len(named) == len(set(named)), named

    # Restarted (another replica, a later draft): what was learned is in the database.
    slack.calls.clear()
    async with running_warroom(slack, database_url) as warroom:
        more = await _say_and_pin(warroom, channel, SAID)
        await command(warroom, channel, "postmortem")
    assert slack.calls_to("chat.getPermalink") == []
    assert slack.calls_to("users.info") == []
    draft = _canvas(slack, channel)
    for link in await _slack_links(slack, channel, marked + more):
        assert f"({link})" in draft, link


async def test_an_answer_not_of_slacks_form_is_not_copied_and_each_link_is_asked(
    slack: SlackEmulator, database_url: str
) -> None:
    async with running_warroom(slack, database_url) as warroom:
        channel = await open_incident(warroom)
        marked = await _say_and_pin(warroom, channel, 0)
        asked_before = len(slack.calls_to("chat.getPermalink"))
        # A link form nothing documents (a redirector, a changed format): no pattern to copy.
        odd = "https://links.example.com/m?id=1"
        slack.answer("chat.getPermalink", {"ok": True, "channel": channel.id, "permalink": odd})
        await command(warroom, channel, "postmortem")
        asked = slack.calls_to("chat.getPermalink")[asked_before:]
    assert len(asked) == len(marked)
    draft = _canvas(slack, channel)
    assert f"({odd})" in draft
    for link in (await _slack_links(slack, channel, marked))[1:]:
        assert f"({link})" in draft, link
