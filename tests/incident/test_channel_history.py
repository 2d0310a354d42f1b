"""The channel history on the web as Slack shows it: people's formatting, emoji, mentions by
name, links and code, a heading per day, the bot's own posts in their place, and nothing a
message says ever taken as markup (Slack's encoding decoded once, everything else escaped).
Messages arrive as Slack sends them (``message`` events from the emulator, their text in
Slack's encoding: https://docs.slack.dev/messaging/formatting-message-text#escaping)."""

from __future__ import annotations

import re
from datetime import timedelta

from emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Clock
from tests.helpers.incidents import open_incident
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom
from tests.web.test_browser import FIRST_DECLARED

# What Bob types, as Slack sends it: formatting, an emoji, a mention, a link, a channel, a
# quote, a list and a code block (whose `<` arrives as &lt;).
FORMATTED = (
    "*Rolled back* deploy 4812 :rotating_light: _now_ ~maybe~ `kubectl rollout undo` "
    "<@U0ALICE> see <https://grafana.example/d/1?a=1&amp;b=2|the dashboard> in <#C0INC1|inc-1>\n"
    "&gt; error rate back under 1%\n"
    "• drained the queue\n"
    "• paged payments\n"
    "```SELECT * FROM orders WHERE id &lt; 5;```"
)
# What someone hostile types (or an app posts): script, an image with a handler, a
# javascript: link, an attribute smuggled in a URL.
HOSTILE = (
    "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt; "
    '<javascript:alert(3)|click me> *<https://evil.example/" onmouseover="alert(4)|x>* '
    "`<b>` :not_an_emoji_name:"
)


async def test_the_history_shows_messages_as_slack_does(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url, Clock(FIRST_DECLARED)) as warroom:
        channel = await open_incident(warroom, "Checkout returns 500s")
        said = f"{(FIRST_DECLARED + timedelta(hours=1)).timestamp()}"
        await slack.post_message(channel.id, "", user=BOB, slack_text=FORMATTED, ts=said)
        await slack.post_as_app(channel.id, HOSTILE, name="Grafana")
        tomorrow = FIRST_DECLARED + timedelta(days=1, hours=2)
        await slack.post_message(
            channel.id, "", user=BOB, slack_text="Still fine :+1:", ts=f"{tomorrow.timestamp()}"
        )
        await warroom.finish_background()
        async with browser() as session:
            await sign_in(session, warroom, ALICE)  # so the record knows Alice's name
            async with session.get(f"{warroom.url}/incidents/INC-1/history") as answer:
                assert answer.status == 200
                html = await answer.text()
    shown = " ".join(visible_text(html).split())
    # People's formatting, as in Slack.
    for made in (
        "<strong>Rolled back</strong>",
        "🚨",
        "<em>now</em>",
        "<del>maybe</del>",
        "<code>kubectl rollout undo</code>",
        '<span class="mention">@Alice Moreau</span>',
        '<a href="https://grafana.example/d/1?a=1&amp;b=2" rel="nofollow noopener noreferrer">'
        "the dashboard</a>",
        '<span class="mention">#inc-1</span>',
        "<blockquote>error rate back under 1%</blockquote>",
        "• drained the queue<br>• paged payments",  # as typed: mrkdwn has no lists
        "<pre><code>SELECT * FROM orders WHERE id &lt; 5;</code></pre>",
        "Still fine 👍",
    ):
        assert made in html, made
    assert "<@U0ALICE>" not in shown and "U0ALICE" not in shown
    # Nothing hostile is markup: shown as the characters typed, no javascript: link, no
    # attribute smuggled in through a URL.
    assert "<script>alert(1)</script> <img src=x onerror=alert(2)>" in shown
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "javascript:" not in html.split("<main", 1)[1].replace("&lt;javascript:", "")
    assert not re.search(r"<a [^>]*javascript:", html)
    assert 'onmouseover="' not in html
    assert "<code>&lt;b&gt;</code>" in html and ":not_an_emoji_name:" in shown
    # The app's post in its place, named as the app, and the bot's own posts formatted too
    # (its announcement's emoji as characters, never as :names:).
    assert "Grafana (app)" in shown
    assert re.search(r"warroom \(app\)\s*🚨 INC-1: Checkout returns 500s", shown)
    assert not re.search(r":(rotating_light|white_check_mark|pager|warning):", shown)
    # The date once per day, the times under it.
    days = [
        visible_text(day)
        for day in re.findall(r'<tr class="day"><th colspan="3" scope="colgroup">(.*?)</th>', html)
    ]
    assert len(days) == len(set(days)) >= 2, days
    assert "Wednesday 11 March 2026" in days
    later = html[html.index("Wednesday 11 March 2026") :]
    assert "Still fine" in later and "Rolled back" not in later
