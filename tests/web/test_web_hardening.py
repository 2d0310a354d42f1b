"""The web view under an outside review's findings: who may edit a written section,
people's text shown as text in every format, membership look-ups bounded by the page, the web
view without Slack, and guests."""

from __future__ import annotations

import html
import re
import statistics
import time
import urllib.parse
from typing import Any

import aiohttp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bench.harness import free_port
from bot.basics.markdown_text import markdown_item, markdown_to_html, prose
from bot.basics.render import record_text
from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Warroom
from tests.helpers.incidents import declare_incident, open_incident
from tests.helpers.network import host_port, proxy_to
from tests.helpers.web_view import API_TOKEN, browser, csrf_of, sign_in, web_warroom

HOSTILE = (
    "Ping ![](@U0BOB) and ![](!here).\n"
    "[Re-authenticate](https://evil.example/login) ![x](https://evil.example/track.png)"
)
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def _draft_article(page: str) -> str:
    """The postmortem draft as its page shows it."""
    match = re.search(r'<article class="draft" id="draft">(.*?)</article>', page, re.S)
    assert match, "the page has no draft"
    return match.group(1)


def _headings(rendered: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r"<h[1-6]>(.*?)</h[1-6]>", rendered)]


async def _resolve_and_publish(warroom: Warroom, channel: Channel) -> dict[str, Any]:
    await warroom.slack.send_command("resolve", user=ALICE, channel=channel.id)
    await warroom.finish_background()
    await warroom.run_jobs()
    [canvas] = warroom.slack.canvases.values()
    return canvas


async def _invite(slack: SlackEmulator, channel_id: str, user: str) -> None:
    """Someone in the channel invites ``user`` (Slack then tells the bot they joined)."""
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{slack.base_url}conversations.invite",
            headers={"Authorization": f"Bearer {slack.bot_token}"},
            data={"channel": channel_id, "users": user},
        ) as answer,
    ):
        assert (await answer.json())["ok"]
    await slack.drain()


# -- finding 1: who may edit, and what reaches the canvas ----------------------------------
async def test_only_the_incidents_people_may_edit_and_their_markup_stays_text(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        canvas = await _resolve_and_publish(warroom, channel)
        assert CAROL not in channel.members
        url = f"{warroom.url}/incidents/INC-1/postmortem/sections/fix"
        async with browser() as carol:
            await sign_in(carol, warroom, CAROL)
            async with carol.get(f"{warroom.url}/incidents/INC-1/postmortem") as answer:
                page = await answer.text()
            assert answer.status == 200 and 'class="section-editor"' not in page
            token = csrf_of(page)  # the sign-out form's token: the session's own
            async with carol.post(url, data={"body": HOSTILE, "csrf": token}) as answer:
                refused = await answer.text()
            assert answer.status == 403
            assert "Only the people in" in refused
        assert "evil.example" not in canvas["markdown"]
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            async with alice.get(f"{warroom.url}/incidents/INC-1") as answer:
                token = csrf_of(await answer.text())
            async with alice.post(url, data={"body": HOSTILE, "csrf": token}) as answer:
                page = await answer.text()
            assert answer.status == 200
            await warroom.run_jobs()
        markdown = canvas["markdown"]
        for raw in ("![](@U0BOB)", "![](!here)", "](https://evil.example"):
            assert raw not in markdown, raw
        for shown in (markdown_to_html(markdown), _draft_article(page)):
            assert "<img" not in shown
            assert 'href="https://evil' not in shown
            text = html.unescape(re.sub(r"<[^>]+>", "", shown))
            assert "Ping ![](@U0BOB) and ![](!here)." in text
            assert "[Re-authenticate](https://evil.example/login)" in text
            assert "![x](https://evil.example/track.png)" in text


# -- finding 6: line structure of messages ------------------------------------------------
STRUCTURED = [
    "Outage\n===",
    "Second\n---",
    "Steps:\n\n- item\n1. step",
    "Output:\n\n    code",
    "Note:\n\n> quoted",
    "# hash",
]


def _assert_plain(rendered: str, where: str) -> None:
    assert not any(
        word in heading for heading in _headings(rendered) for word in ("Outage", "Second", "hash")
    ), where
    for tag in ("<pre>", "<blockquote>", "<ol", "<li>item", "<hr"):
        assert tag not in rendered, (where, tag)
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    for said in ("- item", "1. step", "code", "> quoted", "# hash", "===", "---"):
        assert said in text, (where, said)


async def test_message_line_structure_is_text_in_draft_canvas_and_page(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom:
        channel = await open_incident(warroom)
        for text in STRUCTURED:
            said = await slack.post_message(channel.id, text, user=ALICE)
            await slack.add_reaction(channel.id, said.ts, "pushpin", user=ALICE)
        # A status update ends its line in the draft: nothing after it to break an underline.
        await slack.send_command("update Outage\n===", user=ALICE, channel=channel.id)
        await slack.send_command("update Second\n---", user=ALICE, channel=channel.id)
        await slack.drain()
        canvas = await _resolve_and_publish(warroom, channel)
        async with browser() as alice:
            await sign_in(alice, warroom, ALICE)
            async with alice.get(f"{warroom.url}/api/incidents/INC-1/postmortem") as answer:
                markdown = await answer.text()
            async with alice.get(f"{warroom.url}/incidents/INC-1/postmortem") as answer:
                page = await answer.text()
        _assert_plain(markdown_to_html(markdown), "draft")
        _assert_plain(markdown_to_html(canvas["markdown"]), "canvas")
        _assert_plain(_draft_article(page), "page")


# -- finding 7: membership look-ups bounded by the page ----------------------------------
async def test_membership_look_ups_are_bounded_by_the_page_and_remembered(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    general = slack.channel_by_name("general")
    assert general is not None
    async with web_warroom(slack, sqlite_url) as warroom:
        for number in range(1, 13):
            await slack.send_command(
                f"start --private Secret {number}", user=ALICE, channel=general.id
            )
            channel = await slack.wait_for(
                lambda n=number: next(
                    (c for c in slack.channels.values() if c.name.startswith(f"inc-{n}-")), None
                )
            )
            await slack.wait_for(lambda c=channel: c.pins)
            await _invite(slack, channel.id, BOB)
        await warroom.finish_background()
        for person, expected in ((BOB, "Secret 12"), (CAROL, None)):
            async with browser() as session:
                await sign_in(session, warroom, person)
                for _ in range(2):
                    before = len(slack.calls_to("conversations.members"))
                    async with session.get(f"{warroom.url}/?per_page=1") as answer:
                        page = await answer.text()
                    async with session.get(f"{warroom.url}/api/incidents?per_page=1") as answer:
                        body = await answer.json()
                    asked = len(slack.calls_to("conversations.members")) - before
                    assert asked <= 2, (person, asked)
                    if _ == 1:
                        assert asked == 0, "Slack's recent answers are remembered"
                    if expected:
                        assert expected in page and body["items"][0]["title"] == expected
                        assert body["pages"] >= 2, "there are more of Bob's incidents"
                    else:
                        assert "Secret" not in page and body["total"] == 0


# -- finding 8: the web view without Slack -------------------------------------------------
# A page that waited on a Slack that hangs would take the Slack client's timeout (30 s):
# one answered sooner than this did not, however busy the machine.
HUNG_SLACK_SHOWS_AFTER = 15.0


async def test_the_web_view_answers_from_the_database_when_slack_is_down(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    general = slack.channel_by_name("general")
    assert general is not None
    async with web_warroom(slack, sqlite_url) as warroom:
        await open_incident(warroom, "Checkout down")
        await declare_incident(slack, "--private Payroll leak", pinned=True)
        await warroom.finish_background()
    async with browser() as alice, proxy_to(*host_port(slack.base_url)) as slack_api:
        async with web_warroom(slack, sqlite_url) as warroom:
            await sign_in(alice, warroom, ALICE)
        async with web_warroom(
            slack, sqlite_url, slack__api_url=f"{slack_api.url}/api/"
        ) as warroom:
            # Slack hangs: connections open, nothing answered. A page that waited on it would
            # wait for the client's own timeout (30 s); a page answers after its membership
            # deadline at most (1.5 s), and on a busy machine its render on top.
            slack_api.hold()
            headers = {"Authorization": f"Bearer {API_TOKEN}"}
            for path, client_headers in (
                ("/", {}),
                ("/incidents/INC-1", {}),
                ("/incidents/INC-2", {}),
                ("/insights", {}),
                ("/api/incidents", {}),
                ("/api/incidents", headers),
                ("/api/incidents/INC-2", headers),
            ):
                began = time.monotonic()
                async with alice.get(warroom.url + path, headers=client_headers) as answer:
                    body = await answer.text()
                took = time.monotonic() - began
                assert answer.status == 200, (path, answer.status, body[:300])
                assert took < HUNG_SLACK_SHOWS_AFTER, (path, took)
                if path == "/":
                    # Alice declared the private one: her role shows it without Slack.
                    assert "Checkout down" in body and "Payroll leak" in body


async def test_with_sign_in_off_no_page_waits_on_an_unreachable_slack(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """Issue 24, item 12: Slack unreachable from start-up and no incident stored yet, so the
    workspace is known from nowhere: every page answers at once (nothing to show is nothing to
    show), never after a wait on auth.test."""
    down = f"http://127.0.0.1:{free_port()}/api/"
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with (
        web_warroom(slack, sqlite_url, slack__api_url=down, web__auth="none") as warroom,
        browser() as local,
    ):
        took: list[tuple[str, float]] = []
        for path in ("/", "/insights", "/incidents/INC-1", "/api/incidents", "/", "/insights"):
            began = time.monotonic()
            async with local.get(warroom.url + path, headers=headers) as answer:
                body = await answer.text()
            took.append((path, time.monotonic() - began))
            assert answer.status == (404 if path == "/incidents/INC-1" else 200), body[:300]
    # Each page waited 2 s for auth.test before. The median, not each page: on a loaded
    # machine one page (the first, compiling its templates) can take seconds on its own.
    assert statistics.median(seconds for _path, seconds in took) < 1.0, took


async def test_signing_in_while_slack_is_unreachable_goes_to_slack_without_a_500(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """``GET /auth/slack`` asked Slack which workspace to offer and answered 500 when Slack
    did not say: now the person is sent to Slack's sign-in page without the workspace named
    (the callback still admits this workspace's people only)."""
    down = f"http://127.0.0.1:{free_port()}/api/"
    async with (
        web_warroom(slack, sqlite_url, slack__api_url=down) as warroom,
        aiohttp.ClientSession() as session,
    ):
        async with session.get(f"{warroom.url}/auth/slack", allow_redirects=False) as answer:
            assert answer.status == 302, await answer.text()
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)
        assert query["scope"] == ["openid profile email"] and "team" not in query


# -- finding 9: guests ------------------------------------------------------------------
async def test_a_guest_sees_only_the_incidents_of_channels_they_are_in(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    guest = slack.add_user("U0GUEST", "gus", "Gus Guest")
    guest.is_restricted = True
    general = slack.channel_by_name("general")
    assert general is not None
    async with web_warroom(slack, sqlite_url) as warroom:
        await open_incident(warroom, "Checkout down")
        second = await declare_incident(slack, "Search slow", pinned=True)
        await _invite(slack, second.id, "U0GUEST")
        await warroom.finish_background()
        async with browser() as gus:
            await sign_in(gus, warroom, "U0GUEST")
            async with gus.get(f"{warroom.url}/") as answer:
                listed = await answer.text()
            assert "Search slow" in listed and "Checkout down" not in listed
            async with gus.get(f"{warroom.url}/incidents/INC-1") as answer:
                assert answer.status == 404
            async with gus.get(f"{warroom.url}/incidents/INC-2") as answer:
                assert answer.status == 200
            async with gus.get(f"{warroom.url}/api/incidents") as answer:
                body = await answer.json()
            assert [item["reference"] for item in body["items"]] == ["INC-2"]
            async with gus.get(f"{warroom.url}/api/incidents/INC-1") as answer:
                assert answer.status == 404
            async with gus.get(f"{warroom.url}/insights") as answer:
                insights = await answer.text()
            assert answer.status == 200 and "INC-1" not in insights
        async with browser() as bob:
            await sign_in(bob, warroom, BOB)  # a full member sees every public incident
            async with bob.get(f"{warroom.url}/") as answer:
                listed = await answer.text()
            assert "Search slow" in listed and "Checkout down" in listed


# -- findings 1 and 6 as a property: text with any line structure stays text ---------------
_LINE_STARTS = ["#", "=", "-", "*", "+", "1.", "12)", ">", " ", "    ", "```", "`", "|", "~~~", ""]
_LINE = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from(_LINE_STARTS),
    st.text(alphabet=st.sampled_from(list("ab =-*+#>|`.![]()@:/_~&<1 ")), max_size=12),
)
MESSAGES = st.lists(_LINE, min_size=1, max_size=5).map("\n".join)
_ALLOWED_BLOCKS = {
    "paragraph_open",
    "paragraph_close",
    "inline",
    "bullet_list_open",
    "bullet_list_close",
    "list_item_open",
    "list_item_close",
}
_ALLOWED_INLINE = {"text", "softbreak", "hardbreak", "strong_open", "strong_close"}


def _plain_words(text: str) -> str:
    """Text as a reader takes it in: any run of white space one space."""
    return " ".join(text.replace("\u00a0", " ").replace("\u200b", "").split())


def _words(encoded: str) -> str:
    """What a reader sees of encoded output (HTML, Slack's ``&amp;``): decoded once. A
    person's words are never decoded: ``#&#1`` is what they typed (a soak run found the
    test decoding the typed text too, so the `&#1` it had typed vanished from the oracle)."""
    return _plain_words(html.unescape(encoded))


def _markdown_shows(markdown: str, text: str) -> None:
    tokens = _MARKDOWN.parse(markdown)
    blocks = {token.type for token in tokens}
    assert blocks <= _ALLOWED_BLOCKS, (markdown, blocks - _ALLOWED_BLOCKS)
    inline = [child for token in tokens if token.children for child in token.children]
    assert {child.type for child in inline} <= _ALLOWED_INLINE, markdown
    shown = " ".join(child.content for child in inline if child.type == "text")
    # The parser's text is decoded once already: compared as it is, with the typed text.
    assert _plain_words(text) in _plain_words(shown), (markdown, shown)
    rendered = markdown_to_html(markdown)
    for tag in ("<h", "<pre", "<code", "<blockquote", "<ol", "<table", "<a ", "<img", "<hr"):
        assert tag not in rendered, (markdown, tag)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES)
@example("`````")  # found by a run: a fence taken apart per three left the run's end whole
@example("#&#1")  # found by a soak run: a numeric character reference, typed as text
@example("a &amp; b &lt;c&gt;")  # entities typed as text are shown as typed, not decoded
@example("#|\n:-")  # found by a soak run: a line and `:-` under it were a table of one column
@example("#|\n-:")  # the same with the colon after
def test_any_line_structure_is_shown_as_text_in_every_format(text: str) -> None:
    # Canvas Markdown and HTML: a timeline line as the drafts write it, and a written section.
    _markdown_shows(f"- **12:00** key event: {markdown_item(text)}\n", text)
    _markdown_shows(f"Written:\n\n{prose(text)}\n", text)
    # Slack mrkdwn: no quote or code block, and the text itself, once Slack decodes it.
    said = str(record_text(text))
    assert "```" not in said
    assert not any(line.lstrip(" ").startswith(("&gt;", ">")) for line in said.split("\n"))
    assert _words(said) == _plain_words(text)
