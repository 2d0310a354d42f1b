"""What people read is what they typed: Slack's encoding in, every output right (issue #23).

Text is generated from Slack's alphabet of constructs (``& < >``, URLs, mentions of people,
channels, user groups and broadcasts, emoji, CJK, every kind of line break, Markdown and HTML
look-alikes), typed the way a person types it, and turned into what Slack delivers by the
emulator's own client (emulator.composer): a message event, an escaped slash command, a
modal's plain input. Each output is then read the way its reader reads it: Slack's mrkdwn
decoded by Slack's rules, HTML by an HTML parser, Markdown by a CommonMark renderer, plain
text as it is.
"""

from __future__ import annotations

import html
import importlib
import re
from types import SimpleNamespace

from hypothesis import given, seed, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.basics import slack_text
from bot.basics.markdown_text import markdown_escape
from bot.basics.render import Renderer
from bot.basics.slack_text import (
    SlackText,
    to_html,
    to_mrkdwn,
    to_plain,
    to_public_plain,
    to_readable,
)
from bot.record.incident.incidents import channel_name_for
from emulator.composer import Workspace, compose
from emulator.models import Channel, User
from tests.helpers.web_view import visible_text

PEOPLE = [User("U0ALICE", "alice", "Alice Moreau"), User("U0BOB00000", "bob", "Bob Okafor")]
GROUPS = [{"id": "S0ONCALL", "handle": "payments-oncall"}]
CHANNELS = [Channel("C0GENERAL", "general", is_private=False, creator="U0ALICE", created=0)]
WORKSPACE = Workspace(PEOPLE, GROUPS, CHANNELS)
NAMES = {person.id: person.name for person in PEOPLE}
ZWSP = "\u200b"
# The rule that re-encoded rows recorded before one encoding (revision 0014), kept frozen there.
MIGRATION_0014 = importlib.import_module("bot.store.migrations.versions.0014_slack_text")

PIECES = st.sampled_from(
    [
        "&", "<", ">", "&amp;", "&lt;b&gt;", "<b>", "</script>", "<@U0BOB00000>", "<!channel>",
        "https://status.example.com/incidents/42", "https://x.example/?a=1&b=<2>",
        "@alice", "@bob", "@payments-oncall", "@here", "@channel", "@nobody", "#general",
        "#123", "*bold*", "_it_", "~s~", "`code`", "```", "> quoted", "# heading", "- item",
        "1. item", "![img](https://evil.example/x.png)", "[link](https://x.example)", "|",
        "\\", "🔥", ":fire:", "障害", "ünïcödé", "\n", "\r\n", "\r", " ", "  ", "\t", "a", "AT&T",
        "p99 > 2s", "=", "---", "|a|b|",
    ]
)  # fmt: skip
TYPED = st.lists(PIECES, min_size=1, max_size=12).map("".join)


def typed_as_read(typed: str) -> str:
    """What a reader sees of typed text: line breaks as typed them, one kind."""
    return slack_text.normalize_newlines(typed)


def slack_shows(mrkdwn: str) -> str:
    """What Slack shows of a message's text: its constructs and entities decoded."""
    return to_plain(SlackText(mrkdwn), NAMES).replace(ZWSP, "")


def words(text: str) -> str:
    """Text with its whitespace made single spaces (HTML and Markdown fold it)."""
    return " ".join(text.split())


def examples(count: int) -> settings:
    return settings(max_examples=count, deadline=None, database=None, print_blob=False)


@seed(23_001)
@examples(600)
@given(typed=TYPED, escaped_command=st.booleans())
def test_slack_text_reads_as_typed_in_every_output(typed: str, escaped_command: bool) -> None:
    sent = SlackText(compose(typed, WORKSPACE, labelled_users=escaped_command).text)
    expected = typed_as_read(typed)

    # Back into Slack: what Slack shows is what was typed, `&<>` encoded exactly once.
    mrkdwn = to_mrkdwn(sent)
    assert slack_shows(mrkdwn) == expected
    assert "&amp;amp;" not in mrkdwn.replace(slack_text.encode("&amp;"), "")
    # A person's words never ping a group or the channel, and never open a code block.
    assert "<!" not in mrkdwn and "```" not in mrkdwn

    # Plain text: no markup, people by name.
    plain = to_plain(sent, NAMES)
    assert plain == expected
    assert not re.search(r"<[@#!]", plain) or re.search(r"<[@#!]", expected)

    # HTML: nothing escaped shows, no id shows, links are anchors.
    page = to_html(sent, NAMES)
    assert visible_text(page) == expected
    assert "U0BOB00000" not in visible_text(page) or "U0BOB00000" in expected
    assert "<script" not in page and "<b>" not in page

    # Markdown: a CommonMark reader shows the words, and nothing the words did not say.
    rendered = MarkdownIt("commonmark").render(markdown_escape(to_readable(sent, NAMES)))
    assert words(visible_text(rendered)) == words(expected)
    assert re.fullmatch(r"(<p>[^<]*(<br />)?[^<]*</p>\s*|<p>|</p>|<br />|[^<]|\n)*", rendered)


@seed(23_002)
@examples(400)
@given(typed=TYPED)
def test_a_modal_input_is_encoded_once_and_reads_as_typed(typed: str) -> None:
    """A modal's ``plain_text_input`` arrives as typed: encoded where it enters, it reads the
    same as the same words sent as a message."""
    kept = SlackText.from_plain(typed)
    assert to_plain(kept) == typed_as_read(typed)
    assert html.unescape(re.sub(r"<[^>]+>", "", to_html(kept))) == typed_as_read(typed)
    assert slack_shows(to_mrkdwn(kept)) == typed_as_read(typed)


@seed(23_003)
@examples(400)
@given(typed=TYPED)
def test_channel_names_have_no_entity_words(typed: str) -> None:
    title = SlackText(compose(typed, WORKSPACE).text)
    name = channel_name_for("inc", 5, title)
    plain_words = set(re.findall(r"[a-z0-9]+", to_plain(title, NAMES).lower()))
    for entity in ("amp", "lt", "gt", "u0bob00000", "subteam"):
        assert entity not in name.split("-")[2:] or entity in plain_words, (typed, name)


def test_the_issue_s_update_reads_right_everywhere() -> None:
    """The issue's example, as a slash command with escaping on."""
    typed = "Payments & checkout degraded, see https://status.example.com/incidents/42 (ask @bob)"
    sent = SlackText(compose(typed, WORKSPACE, labelled_users=True).text)
    assert sent == (
        "Payments &amp; checkout degraded, see <https://status.example.com/incidents/42>"
        " (ask <@U0BOB00000|bob>)"
    )
    assert to_mrkdwn(sent) == (
        "Payments &amp; checkout degraded, see <https://status.example.com/incidents/42>"
        " (ask <@U0BOB00000>)"
    )
    assert to_plain(sent, {"U0BOB00000": "Bob Okafor"}) == (
        "Payments & checkout degraded, see https://status.example.com/incidents/42"
        " (ask @Bob Okafor)"
    )
    assert to_plain(sent, anonymous=True).endswith("(ask someone)")
    assert to_html(sent) == (
        "Payments &amp; checkout degraded, see "
        '<a href="https://status.example.com/incidents/42" rel="nofollow noopener noreferrer">'
        "https://status.example.com/incidents/42</a> (ask @bob)"
    )


def test_labelled_links_dates_and_groups_read_by_their_words() -> None:
    sent = SlackText(
        "R&amp;D: <https://x.example/?a=1&amp;b=2|the R&amp;D runbook>, <!subteam^S0ONCALL|@oncall>"
        " at <!date^1392734382^{date_num}|2014-02-18> &lt;3"
    )
    assert to_plain(sent) == "R&D: the R&D runbook, @oncall at 2014-02-18 <3"
    assert to_readable(sent) == (
        "R&D: the R&D runbook (https://x.example/?a=1&b=2), @oncall at 2014-02-18 <3"
    )
    assert to_mrkdwn(sent) == (
        "R&amp;D: <https://x.example/?a=1&amp;b=2|the R&amp;D runbook>, @oncall"
        " at <!date^1392734382^{date_num}|2014-02-18> &lt;3"
    )


def test_truncating_never_cuts_a_construct_or_an_entity() -> None:
    sent = SlackText("a &amp; <https://x.example/long|label> b")
    assert slack_text.truncate(sent, 4) == "a &amp; …"
    assert slack_text.truncate(sent, 9) == "a &amp; <https://x.example/long|label>…"
    assert slack_text.truncate(sent, 100) == sent


def test_text_recorded_before_one_encoding_reads_as_it_did() -> None:
    """Rows from before 0014: Slack-encoded ones are unchanged, plain ones (a modal's title,
    an alert's summary) come out encoded."""
    encoded = "a &amp; b <@U0BOB|bob> <https://x.example?a=1&amp;b=2|R&amp;D> &lt;b&gt;"
    assert MIGRATION_0014.encoded(encoded) == encoded
    assert MIGRATION_0014.encoded("AT&T p99 > 2s <b>") == "AT&amp;T p99 &gt; 2s &lt;b&gt;"
    assert MIGRATION_0014.encoded("a\r\nb\rc") == "a\nb\nc"


def test_outside_the_incident_a_labelled_link_shows_its_address() -> None:
    """Posted by the bot elsewhere (``addresses``), a link's label never hides where it goes;
    a label that is the address (Slack labels a bare URL with itself) stays as it came."""
    text = SlackText(
        "Log in <https://evil.example/login|Re-authenticate> &amp; see <https://ok.example>"
    )
    assert to_mrkdwn(text) == (
        "Log in <https://evil.example/login|Re-authenticate> &amp; see <https://ok.example>"
    )
    assert to_mrkdwn(text, addresses=True) == (
        "Log in Re-authenticate (<https://evil.example/login>) &amp; see <https://ok.example>"
    )
    bare = SlackText("<http://example.com|example.com> <https://example.com/|https://example.com>")
    assert to_mrkdwn(bare, addresses=True) == bare
    # A label that is Slack markup in the words stays shown, never obeyed.
    tricky = SlackText("<https://evil.example|&lt;!here&gt; *bold*>")
    assert to_mrkdwn(tricky, addresses=True) == "&lt;!here&gt; *bold* (<https://evil.example>)"


def test_outside_the_incident_every_slack_output_of_a_template_shows_addresses() -> None:
    """The renderer's ``outside``: every person's words a template interpolates, the
    ``words`` and ``quote`` filters too."""
    renderer = Renderer()
    title = SlackText("Down <https://evil.example/login|Re-authenticate>")
    incident = SimpleNamespace(
        reference="INC-3",
        severity="SEV1",
        title=title,
        commander=None,
        declared_by="U0ALICE",
        channel_id="C0INC00001",
    )
    inside = renderer.render("messages/announce_declared.j2", incident=incident)
    outside = renderer.render("messages/announce_declared.j2", outside=True, incident=incident)
    assert "<https://evil.example/login|Re-authenticate>" in inside
    assert "Down Re-authenticate (<https://evil.example/login>)" in outside
    assert "|Re-authenticate>" not in outside


def test_public_words_are_what_was_typed_never_the_directory() -> None:
    typed = SlackText(
        "thanks <@U0CLAIRE01|claire> and <@U0BOB00000>, see <#C0INC00001|inc-1-falcon-leak>"
        " and <https://ok.example/x|notes>"
    )
    assert to_public_plain(typed) == "thanks @claire and , see  and notes (https://ok.example/x)"
    shown = to_html(typed, NAMES, public=True)
    assert "Bob" not in shown and "falcon" not in shown and "@claire" in shown
