"""A person's words never become a page's markup: the security review's
payload, a ``mailto:`` link whose label is a ``<meta http-equiv="refresh">``, published to the
status page and said in the incident's channel, is served on ``/status`` and in the channel
history as the characters typed; headless Chromium opening either page stays there.

The words go in as Slack sends them: the link made with the composer's link tool, in a slash
command with ``should_escape`` on and in a message event, its label encoded ("Escaping text",
https://docs.slack.dev/messaging/formatting-message-text#escaping); and, as an app may post
it, with the label not encoded (``<mailto:a@b|<meta ...>>``). No Content-Security-Policy
stops a ``<meta>`` refresh, so the pages are read for it. The browser test is skipped, saying
why, without Chromium (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from emulator import Channel, SlackEmulator
from tests.conftest import ALICE, BOB, Clock, Warroom
from tests.helpers.incidents import command, open_incident, settle
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom
from tests.status_page.test_status_page import at
from tests.web.test_browser import sign_in_with_slack, watched_page

if TYPE_CHECKING:
    from playwright.async_api import Browser

# Where the refresh would send a reader: a page of the test's own server, so that a browser
# which followed it is seen doing so (and goes nowhere outside 127.0.0.1).
STOLEN = "/stolen-by-refresh"


def refresh(target: str) -> str:
    return f'<meta http-equiv="refresh" content="0;url={target}">'


def payloads(target: str) -> tuple[str, str]:
    """(as Slack sends it, as an app might post it): a mailto link labelled with a refresh."""
    label = refresh(target).replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"Card payments fail. Write to <mailto:support@acme.example|{label}>",
        f"Still failing <mailto:support@acme.example|{refresh(target)}>",
    )


class Elements(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def no_refresh_from_words(page: str) -> None:
    """The page's own elements only: no refresh, no element pointing at the target; the
    payload's characters shown as text."""
    metas = [attrs for tag, attrs in Elements(page).found if tag == "meta"]
    assert all("http-equiv" not in attrs for attrs in metas), metas
    assert STOLEN not in "".join(str(attrs) for _, attrs in Elements(page).found)
    assert 'http-equiv="refresh"' in visible_text(page)


@asynccontextmanager
async def published(slack: SlackEmulator, sqlite_url: str) -> AsyncIterator[Warroom]:
    """An incident made public, the payload published to /status and said in its channel."""
    async with web_warroom(
        slack, sqlite_url, Clock(at(15, 15)), runtime__scheduler_interval=3600.0
    ) as warroom:
        channel: Channel = await open_incident(warroom, "Card payments fail")
        await command(warroom, channel, "public Payments")
        encoded, raw = payloads(warroom.url + STOLEN)
        await slack.send_command(
            "", slack_text=f"update --public {encoded}", user=ALICE, channel=channel.id
        )
        await slack.post_message(channel.id, "", user=BOB, slack_text=encoded)
        await slack.post_as_app(channel.id, raw, name="Grafana")
        await settle(warroom)
        yield warroom


async def test_the_review_s_refresh_reaches_no_page_as_markup(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with published(slack, sqlite_url) as warroom, browser() as session:
        async with session.get(f"{warroom.url}/status") as answer:
            assert answer.status == 200
            status = await answer.text()
            policies = [answer.headers["Content-Security-Policy"]]
        await sign_in(session, warroom, ALICE)
        async with session.get(f"{warroom.url}/incidents/INC-1/history") as answer:
            assert answer.status == 200
            history = await answer.text()
            policies.append(answer.headers["Content-Security-Policy"])
    assert "Card payments fail. Write to" in visible_text(status)
    no_refresh_from_words(status)
    assert "Still failing" in visible_text(history)
    no_refresh_from_words(history)
    # The policy forbids what it can (a refresh is not among it: escaping is what stops it).
    for policy in policies:
        for directive in ("default-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in policy, policy


async def test_chromium_opening_the_pages_stays_on_them(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    async with published(slack, sqlite_url) as warroom, watched_page(chromium, warroom) as page:
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        await sign_in_with_slack(page, warroom)
        for path in ("/status", "/incidents/INC-1/history"):
            await page.goto(f"{warroom.url}{path}")
            # A refresh of 0 s would have navigated by now; give it a generous second.
            await page.wait_for_timeout(1_000)
            assert page.url == f"{warroom.url}{path}"
        assert not [url for url in requests if STOLEN in url], requests
