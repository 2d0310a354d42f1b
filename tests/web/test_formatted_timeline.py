"""Slack text as Slack shows it, everywhere people read (issue 71, item 6): a message marked
in the channel with ``*502*``, ``:fire:``, ``~strike~``, ``_italics_``, code and a mention
reads formatted on the incident page's timeline (HTML, the same renderer as the channel
history) and in the postmortem draft and its Markdown download (``**502**``, 🔥, ``~~…~~``,
the person by name), never as its raw markup; and its other characters stay words.

The message arrives as Slack sends it (a ``message`` event from the emulator, in Slack's
encoding: https://docs.slack.dev/messaging/formatting-message-text#escaping), and is marked
with the reaction that makes a key event (📌, ``pushpin``, warroom's default).
"""

from __future__ import annotations

from emulator import SlackEmulator
from tests.conftest import ALICE, BOB
from tests.helpers.incidents import open_incident, settle
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom

SAID = (
    "Checkout answers *502* :fire: since the deploy, ~cache~ _the gateway_ is at fault: "
    "`kubectl rollout undo` (ask <@U0ALICE>) &lt;b&gt;not bold&lt;/b&gt;"
)


async def test_a_marked_message_reads_formatted_on_the_page_and_in_the_draft(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom, "Checkout returns 502s")
        said = await slack.post_message(channel.id, "", user=BOB, slack_text=SAID)
        await slack.add_reaction(channel.id, said.ts, "pushpin", user=BOB)
        await settle(warroom)
        await sign_in(session, warroom, ALICE)  # so the record knows Alice's name
        async with session.get(f"{warroom.url}/incidents/INC-1") as answer:
            assert answer.status == 200
            page = await answer.text()
        async with session.get(f"{warroom.url}/incidents/INC-1/postmortem.md") as answer:
            assert answer.status == 200
            markdown = await answer.text()
        async with session.get(f"{warroom.url}/incidents/INC-1/postmortem") as answer:
            assert answer.status == 200
            draft_page = await answer.text()

    timeline = page.split('id="timeline-table"', 1)[1].split("</table>", 1)[0]
    for shown in (
        "<strong>502</strong> 🔥",
        "<del>cache</del> <em>the gateway</em>",
        "<code>kubectl rollout undo</code>",
        "@Alice Moreau",
        "&lt;b&gt;not bold&lt;/b&gt;",
    ):
        assert shown in timeline, (shown, timeline)
    shown_words = visible_text(timeline)
    assert "*502*" not in shown_words and ":fire:" not in shown_words, shown_words
    assert "~cache~" not in shown_words and "<b>" not in timeline

    line = next(line for line in markdown.splitlines() if "Checkout answers" in line)
    assert (
        "Checkout answers **502** 🔥 since the deploy, ~~cache~~ *the gateway* is at fault: "
        "`kubectl rollout undo` \\(ask @Alice Moreau\\) &lt;b&gt;not bold&lt;/b&gt;"
    ) in line, line
    assert "<b>" not in markdown and ":fire:" not in markdown

    for shown in ("<strong>502</strong> 🔥", "<del>cache</del>", "<em>the gateway</em>"):
        assert shown in draft_page, shown
    assert "<b>not bold" not in draft_page
