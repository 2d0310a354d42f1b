"""Slack text as Slack shows it, everywhere people read: a message marked
in the channel with ``*502*``, ``:fire:``, ``~strike~``, ``_italics_``, code and a mention
reads formatted on the incident page's timeline (HTML, the same renderer as the channel
history) and in the postmortem draft and its Markdown download (``**502**``, 🔥, ``~~…~~``,
the person by name), never as its raw markup; and its other characters stay words.

The message arrives as Slack sends it (a ``message`` event from the emulator, in Slack's
encoding: https://docs.slack.dev/messaging/formatting-message-text#escaping), and is marked
with the reaction that makes a key event (📌, ``pushpin``, warroom's default).
"""

from __future__ import annotations

import re

import aiohttp

from bot.basics.markdown_text import markdown_to_html
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB
from tests.helpers.incidents import open_incident, settle
from tests.helpers.web_view import API_TOKEN, browser, sign_in, visible_text, web_warroom

SAID = (
    "Checkout answers *502* :fire: since the deploy, ~cache~ _the gateway_ is at fault: "
    "`kubectl rollout undo` (ask <@U0ALICE>) &lt;b&gt;not bold&lt;/b&gt;"
)
# A message with line structure: Slack shows a quote and a code block; the page's cell holds
# them (HTML nests them inside it), the draft keeps them as text of its line (Markdown has no
# such nesting: a `>` or a fence would be the draft's own quote or code block).
STRUCTURED = (
    "Rollback plan:\n&gt; *quoted* from the runbook\n```\n# not a heading\n- nor a list\n```"
)

POSING = "_To be written: the replay of the queue_ was my plan"


async def test_a_marked_message_reads_formatted_on_the_page_and_in_the_draft(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as session:
        channel = await open_incident(warroom, "Checkout returns 502s")
        said = await slack.post_message(channel.id, "", user=BOB, slack_text=SAID)
        await slack.add_reaction(channel.id, said.ts, "pushpin", user=BOB)
        planned = await slack.post_message(channel.id, "", user=BOB, slack_text=STRUCTURED)
        await slack.add_reaction(channel.id, planned.ts, "pushpin", user=BOB)
        # Italics that read as the draft's own mark of a gap stay the characters typed.
        posing = await slack.post_message(channel.id, POSING, user=BOB)
        await slack.add_reaction(channel.id, posing.ts, "pushpin", user=BOB)
        await slack.send_command("update Still *502* :fire:", user=ALICE, channel=channel.id)
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
        async with (
            aiohttp.ClientSession() as client,
            client.get(
                f"{warroom.url}/api/incidents/INC-1",
                headers={"Authorization": f"Bearer {API_TOKEN}"},
            ) as answer,
        ):
            detail = await answer.json()

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
    assert "<blockquote><strong>quoted</strong> from the runbook</blockquote>" in timeline
    assert "<pre><code># not a heading\n- nor a list</code></pre>" in timeline, timeline
    # The latest update in the page's header, formatted the same way.
    latest = page.split('id="latest-update"', 1)[1].split("</div></div>", 1)[0]
    assert "Still <strong>502</strong> 🔥" in latest, latest
    # The API gives the words as written, for programs to show as they choose.
    texts = [line["text"] for line in detail["timeline"]]
    assert any("answers *502* :fire: since" in text for text in texts), texts

    line = next(line for line in markdown.splitlines() if "Checkout answers" in line)
    assert (
        "Checkout answers **502** 🔥 since the deploy, ~~cache~~ *the gateway* is at fault: "
        "`kubectl rollout undo` \\(ask @Alice Moreau\\) &lt;b&gt;not bold&lt;/b&gt;"
    ) in line, line
    assert "<b>" not in markdown and ":fire:" not in markdown

    for shown in ("<strong>502</strong> 🔥", "<del>cache</del>", "<em>the gateway</em>"):
        assert shown in draft_page, shown
    assert "<b>not bold" not in draft_page

    # A message posing as one of the draft's gaps is not listed as one on its page.
    assert "\\_To be written: the replay of the queue\\_ was my plan" in markdown, markdown
    assert "<em>To be written: the replay" not in draft_page
    assert "the replay of the queue" not in draft_page.split('id="draft"', 1)[0]
    # Nor counted as one where the draft's gaps are counted (the Slack message, the API).
    marked = draft_page.split('id="draft"', 1)[1].count('<em class="gap"')
    assert detail["postmortem"]["gaps"] == marked, (detail["postmortem"]["gaps"], marked)

    # The structured message in the draft: its formatting Markdown's, its lines text.
    assert "&gt; **quoted** from the runbook" in markdown, markdown
    assert "`# not a heading`" in markdown and "`- nor a list`" in markdown, markdown
    article = draft_page.split('id="draft"', 1)[1]
    for rendered in (markdown_to_html(markdown), article):
        assert "<blockquote>" not in rendered and "<pre>" not in rendered
        assert not re.search(r"<h\d[^>]*>[^<]*not a heading", rendered)
        assert "<li>nor a list" not in rendered
        assert "<code># not a heading</code>" in rendered
