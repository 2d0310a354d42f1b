"""Slack's mrkdwn as HTML (bot.basics.slack_mrkdwn): what Slack formats, formatted; anything
else a person typed, escaped, whatever it is (Slack's formatting rules:
https://docs.slack.dev/messaging/formatting-message-text#basic-formatting)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.basics.slack_mrkdwn import emoji_character, mrkdwn_html
from bot.basics.slack_text import SlackText

NAMES = {"U0ALICE": "Alice <Moreau>"}


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("*bold* _it_ ~gone~", "<p><strong>bold</strong> <em>it</em> <del>gone</del></p>"),
        # A marker inside a word is the character typed (Slack's rule).
        ("snake_case_name 2*3*4 a~b~c", "<p>snake_case_name 2*3*4 a~b~c</p>"),
        ("a * not bold *", "<p>a * not bold *</p>"),
        ("`a *b* &lt;c&gt;`", "<p><code>a *b* &lt;c&gt;</code></p>"),
        ("```\nline *1*\n&lt;2&gt;\n```", "<pre><code>line *1*\n&lt;2&gt;</code></pre>"),
        ("``` never closed", "<p>``` never closed</p>"),
        ("&gt; a\n&gt; b\nc", "<blockquote>a<br>b</blockquote><p>c</p>"),
        # Slack's mrkdwn has no list syntax: a list reads as its lines, as typed.
        ("- one\n• two", "<p>- one<br>• two</p>"),
        ("3. three\n4. four", "<p>3. three<br>4. four</p>"),
        (
            ":rotating_light: :+1::skin-tone-3: :large_green_circle: :own:",
            "<p>🚨 👍🏼 🟢 :own:</p>",
        ),
        ("<@U0ALICE> <@U0BOB|bob> <@U0EVE>", None),
        ("<#C0X|inc-7> <!here> <!subteam^S0X|@oncall>", None),
        ("*<https://a.example/?q=1&amp;r=2|the *label*>*", None),
        ("<mailto:a@b.example|mail> <ftp://x|ftp>", "<p>mail &lt;ftp://x|ftp&gt;</p>"),
    ],
)
def test_formatting_as_slack_shows_it(typed: str, shown: str | None) -> None:
    html = mrkdwn_html(SlackText(typed), NAMES)
    if shown is not None:
        assert html == shown
    if "U0ALICE" in typed:
        assert '<span class="mention">@Alice &lt;Moreau&gt;</span>' in html
        assert '<span class="mention">@bob</span>' in html
        assert '<span class="mention">@someone</span>' in html
    if "C0X" in typed:
        assert html == (
            '<p><span class="mention">#inc-7</span> <span class="mention">@here</span> '
            '<span class="mention">@oncall</span></p>'
        )
    if "a.example" in typed:
        assert html == (
            '<p><strong><a href="https://a.example/?q=1&amp;r=2" '
            'rel="nofollow noopener noreferrer">the *label*</a></strong></p>'
        )


def test_emoji_names_are_slacks() -> None:
    assert emoji_character("white_check_mark") == "✅"
    assert emoji_character("information_source") == "ℹ️"
    assert emoji_character("not_an_emoji") is None


ALLOWED = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "span",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


@given(st.text(alphabet=st.sampled_from(list("<>&\"'=*_~`:|@#!/\n ajsx;()")), max_size=80))
def test_whatever_is_typed_no_tag_but_formattings_reaches_the_page(typed: str) -> None:
    parser = _Tags()
    parser.feed(mrkdwn_html(SlackText(typed), NAMES))
    for tag, attrs in parser.found:
        assert tag in ALLOWED, typed
        for name, value in attrs:
            assert name in ("href", "rel", "class", "start"), typed
            if name == "href":
                assert value is not None and re.match(r"https?://", value), typed
