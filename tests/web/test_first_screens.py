"""The web view's first screens over HTTP: the list opens with what
is on fire now, the incident page with a header that answers "how bad, how long, where do I
go", and people are named from Slack (users.info, through the emulator) on first sight."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bench.harness import free_port
from bot.flows.people import PAGE_ASKS
from bot.record.oncall.schedules import parse_schedules
from emulator import SlackEmulator
from tests.conftest import ALICE, BOB
from tests.helpers.incidents import command, open_incident
from tests.helpers.web_view import browser, sign_in, visible_text, web_warroom

if TYPE_CHECKING:
    from playwright.async_api import Browser

DAVE = "U0DAVE"
GHOST = "U0GHOST"  # nobody Slack knows


def text_of(html: str) -> str:
    return " ".join(visible_text(html).split())


def workspace_link(slack: SlackEmulator, channel: str) -> str:
    """The channel's page in the emulated workspace, as auth.test's ``url`` makes it."""
    return f"https://{slack.team_domain}.slack.com/archives/{channel}"


async def test_the_list_opens_with_the_open_incidents_worst_first_then_the_resolved(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as alice:
        slow = await open_incident(warroom, "Search is slow")
        down = await open_incident(warroom, "Checkout is down")
        blip = await open_incident(warroom, "A blip in billing")
        await command(warroom, down, "sev 1")
        await command(warroom, down, "lead @bob")
        await command(warroom, down, "update Rolling back the deploy")
        await command(warroom, blip, "resolve it passed")
        await sign_in(alice, warroom, ALICE)
        async with alice.get(f"{warroom.url}/") as answer:
            html = await answer.text()
        assert answer.status == 200
        active = html[html.index('id="active-now"') : html.index('id="resolved"')]
        resolved = html[html.index('id="resolved"') :]
        # What is on fire, worst first; the resolved one only below.
        assert active.index("Checkout is down") < active.index("Search is slow")
        assert "A blip in billing" not in active and "A blip in billing" in resolved
        first = active[: active.index("Search is slow")]
        # Each with its status as a badge, its commander by name, its latest update's time
        # and the way to its channel.
        assert '<span class="badge status-badge status-badge-investigating">' in first
        assert "Bob Okafor" in first and BOB not in text_of(first)
        assert "none yet" not in first and "ago" in first
        assert f'href="{workspace_link(slack, down.id)}">Open in Slack' in first
        assert f'href="{workspace_link(slack, slow.id)}">Open in Slack' in active
        # The filters fold away (open while some are in use), and still filter both parts.
        assert '<details class="card filters-box">' in html
        async with alice.get(f"{warroom.url}/?severity=SEV1") as answer:
            html = await answer.text()
        assert '<details class="card filters-box" open>' in html
        assert "Checkout is down" in html and "Search is slow" not in html
        assert "A blip in billing" not in html
        # Open ones only: the resolved part is not shown.
        async with alice.get(f"{warroom.url}/?status=investigating") as answer:
            html = await answer.text()
        assert 'id="resolved"' not in html and "Search is slow" in html


async def test_the_incident_page_opens_with_its_header_and_answers_without_slack(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with web_warroom(slack, sqlite_url) as warroom, browser() as alice:
        channel = await open_incident(warroom, "Checkout is down")
        await command(warroom, channel, "update Rolling back the deploy")
        await command(warroom, channel, "ack")
        await sign_in(alice, warroom, ALICE)
        async with alice.get(f"{warroom.url}/incidents/INC-1") as answer:
            html = await answer.text()
        assert answer.status == 200
        header = html[html.index('class="card incident-head"') : html.index('id="summary"')]
        shown = text_of(header)
        assert "investigating" in shown and "SEV" in shown and "open for" in shown
        for metric in ("Time to detect", "Time to acknowledge", "Time to mitigate"):
            assert metric in shown, metric
        assert "Time to resolve" in shown
        assert "Latest update" in shown and "Rolling back the deploy" in shown
        assert "Alice Moreau" in shown and ALICE not in shown
        # auth.test's url, learned at start-up and kept: no call per page view.
        asked = len(slack.calls_to("auth.test"))
        assert f'href="{workspace_link(slack, channel.id)}"' in header
        async with alice.get(f"{warroom.url}/incidents/INC-1") as answer:
            assert answer.status == 200
        assert len(slack.calls_to("auth.test")) == asked
    # Slack unreachable from start-up: the page still answers, with Slack's deep link.
    down = f"http://127.0.0.1:{free_port()}/api/"
    async with (
        web_warroom(slack, sqlite_url, slack__api_url=down, web__auth="none") as warroom,
        browser() as local,
    ):
        async with local.get(f"{warroom.url}/incidents/INC-1") as answer:
            html = await answer.text()
        assert answer.status == 200
        deep = f"slack://channel?team={slack.team_id}&amp;id={channel.id}"
        assert f'href="{deep}"' in html and "Rolling back the deploy" in html
        async with local.get(f"{warroom.url}/") as answer:
            assert answer.status == 200 and deep in await answer.text()


async def test_people_are_named_from_slack_on_first_sight_and_the_unknown_calmly(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    slack.add_user(DAVE, "dave", "Dave Ndiaye")
    async with web_warroom(slack, sqlite_url) as warroom, browser() as alice:
        channel = await open_incident(warroom, "Checkout is down")
        # Dave never signs in, runs no command and leads nothing: he speaks, naming someone
        # Slack does not know.
        said = f"Orders DB is slow, <@{GHOST}> knows"
        await slack.post_message(channel.id, "", slack_text=said, user=DAVE)
        await slack.post_message(channel.id, "Still slow", user=DAVE)
        await warroom.finish_background()
        await sign_in(alice, warroom, ALICE)
        async with alice.get(f"{warroom.url}/incidents/INC-1/history") as answer:
            html = await answer.text()
        assert answer.status == 200
        assert "Dave Ndiaye" in html and DAVE not in text_of(html)
        # Asked once each, however often seen; an id Slack does not know is no failure.
        asked = [call.args.get("user") for call in slack.calls_to("users.info")]
        assert asked.count(DAVE) == 1 and asked.count(GHOST) == 1
        await slack.post_message(channel.id, "", slack_text=f"<@{GHOST}>?", user=DAVE)
        await warroom.finish_background()
        asked = [call.args.get("user") for call in slack.calls_to("users.info")]
        assert asked.count(GHOST) == 1


async def test_nobody_in_a_schedule_file_is_asked_about_at_start_up(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """A schedule file may name hundreds (made up, in a benchmark): warroom starts without
    asking Slack for any of them; a page asks for at most ``PAGE_ASKS`` of those it shows (a
    schedule's page names only who is on call now and next, and its layers' members), and
    names those Slack cannot name "a Slack user (U0…)"."""
    made_up = [f"U0MADE{n:03d}" for n in range(40)]
    schedules = {
        "schedules": {
            "big": {
                "timezone": "UTC",
                "layers": [
                    {
                        "name": "all",
                        "start": "2026-03-02 09:00",
                        "rotation": "daily",
                        "members": made_up,
                    }
                ],
            }
        }
    }
    async with (
        web_warroom(
            slack,
            sqlite_url,
            oncall__schedules=parse_schedules(schedules, now=datetime.now(UTC)),
            web__auth="none",
        ) as warroom,
        browser() as local,
    ):
        await warroom.finish_background()
        asked = {call.args.get("user") for call in slack.calls_to("users.info")}
        assert not asked & set(made_up)
        async with local.get(f"{warroom.url}/oncall/big") as answer:
            assert answer.status == 200
            html = await answer.text()
        await warroom.finish_background()
        # The page asked for the first PAGE_ASKS it shows, in turn, and left the rest to the
        # background (which may be at work already: the day's handoff saw who is on call now):
        # each asked once.
        asked_in_turn = [call.args.get("user") for call in slack.calls_to("users.info")]
        assert sorted(u for u in asked_in_turn if u in made_up) == made_up
        first = made_up[:PAGE_ASKS]
        assert [u for u in asked_in_turn if u in first] == first
        assert "a Slack user (U0MADE039)" in text_of(html)


LAPTOP_FOLD = {"width": 1280, "height": 900}


async def test_the_incident_header_fits_the_first_900_px_of_a_laptop(
    slack: SlackEmulator, sqlite_url: str, chromium: Browser
) -> None:
    """Open in Slack and the four metrics are on the first screen at 1280 px, even with a long
    title and a long latest update."""
    async with web_warroom(slack, sqlite_url, web__auth="none") as warroom:
        title = "Checkout returns 500s for card payments in every region after the 14:02 deploy"
        channel = await open_incident(warroom, title)
        await command(warroom, channel, "update " + "Rolling back deploy 4812; " * 30)
        context = await chromium.new_context(viewport=LAPTOP_FOLD)
        try:
            page = await context.new_page()
            await page.goto(f"{warroom.url}/incidents/INC-1")
            for selector in ("#open-in-slack", "#head-metrics", "#latest-update"):
                box = await page.locator(selector).bounding_box()
                assert box is not None, selector
                assert box["y"] + box["height"] <= LAPTOP_FOLD["height"], (selector, box)
            for metric in ("Time to detect", "Time to acknowledge", "Time to mitigate"):
                dt = page.locator("#head-metrics").get_by_text(metric, exact=True)
                box = await dt.bounding_box()
                assert box is not None and box["y"] + box["height"] <= LAPTOP_FOLD["height"]
        finally:
            await context.close()
